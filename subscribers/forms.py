"""Parent-facing forms: every error is a clear Japanese sentence next to its field."""

import datetime
from collections.abc import Callable
from typing import cast

from django import forms
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from content import language_policy
from content.programme import Programme, programme_end, programme_from
from kizuna import clock, email_addresses, japanese_dates
from kizuna.choices import Channel, Language
from kizuna.i18n import LANGUAGE_NAMES

from .models import Child, Subscriber

DUE_DATE_MAX_AHEAD = datetime.timedelta(days=300)
DUE_DATE_MAX_PAST = datetime.timedelta(days=28)


class TypedDateField(forms.DateField):
    """A date from the picker (2027-04-01) or typed as families write it (令和9年4月1日)."""

    widget = forms.DateInput(attrs={"type": "date", "autocomplete": "off"}, format="%Y-%m-%d")

    def to_python(self, value) -> datetime.date | None:
        if value in self.empty_values:
            return None
        if isinstance(value, datetime.date):
            return value
        try:
            return japanese_dates.parse_date(str(value))
        except japanese_dates.DateFormatError as error:
            raise forms.ValidationError(str(error), code="invalid") from None


def _date_field(label: str, help_text: str) -> forms.DateField:
    return TypedDateField(label=label, required=False, help_text=help_text)


class EmailAddressField(forms.CharField):
    """An address as typed on a phone: full-width ＠ and letters normalised, old docomo/au
    addresses (taro..yamada.@docomo.ne.jp) accepted (kizuna.email_addresses)."""

    widget = forms.EmailInput(attrs={"autocomplete": "email", "inputmode": "email"})
    default_validators = [email_addresses.validate]

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("max_length", email_addresses.MAX_LENGTH)
        super().__init__(**kwargs)

    def to_python(self, value) -> str:
        return email_addresses.normalize(super().to_python(value))


def refuse_unsendable_address(form: forms.Form, *, line_url: str = "") -> None:
    """An address the configured mail service cannot deliver to gets an error at the field."""
    address = form.cleaned_data.get("email")
    if not address or email_addresses.can_send_to(address):
        return
    problem = _(
        "このメールアドレスは「.」が続く、または「@」の直前が「.」の形のため、"
        "いまの配信システムからはお送りできません。"
    )
    if line_url:
        form.add_error(
            "email",
            format_html(
                '{}<a href="{}">{}</a>',
                problem,
                line_url,
                _("LINEでの受け取りをご利用ください。"),
            ),
        )
    else:
        form.add_error("email", problem + _("お手数ですが、ほかのメールアドレスをご利用ください。"))


# The fields' HTML of unbound forms, per process (see ParentForm.fields_html).
_UNBOUND_HTML: dict[tuple, SafeString] = {}
_UNBOUND_HTML_MAX = 4096


def offer_languages(field: forms.Field, municipality) -> tuple[str, ...]:
    """Only the municipality's languages, the page's language chosen to start with."""
    offered = language_policy.offered_languages(municipality.pk)
    choice = cast(forms.ChoiceField, field)
    choices = cast(list[tuple[str, str]], choice.choices)
    choice.choices = [(code, label) for code, label in choices if code in offered]
    current = get_language()
    field.initial = current if current in offered else Language.JA
    return offered


class ParentForm(forms.Form):
    """Japanese labels take no trailing colon."""

    # True where an unbound form's fields look the same for every reader: their HTML then
    # depends only on the class, ``rendering_key``, prefix, ids and language, and is rendered
    # once per process. (Rendering the widgets was most of the signup page's time.)
    same_html_unbound = False
    rendering_key = ""
    # Fields whose HTML, in a form with initial values too, depends only on their value and
    # ``rendering_key`` (a choice among fixed options, never words a reader typed): each is
    # rendered once per process and value.
    same_html_fields: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def fields_html(self) -> SafeString:
        """The form's fields as subscribers/_fields.html renders them."""
        if self.is_bound or not (self.same_html_unbound or self.same_html_fields):
            return render_to_string("subscribers/_fields.html", {"form": self})
        if self.same_html_unbound and not self.initial:
            return _kept((type(self), self.rendering_key, self.prefix, self.auto_id), self._all)
        if not self.same_html_fields:
            return render_to_string("subscribers/_fields.html", {"form": self})
        # As _fields.html puts them: a newline and subscribers/_field.html for each field.
        fields = "".join("\n" + self._field_html(field) for field in self)
        return mark_safe(fields + "\n")  # noqa: S308

    def _all(self) -> SafeString:
        return render_to_string("subscribers/_fields.html", {"form": self})

    def _field_html(self, field: forms.BoundField) -> SafeString:
        def render() -> SafeString:
            return render_to_string("subscribers/_field.html", {"field": field})

        if field.name not in self.same_html_fields:
            return render()
        key = (type(self), self.rendering_key, self.prefix, self.auto_id, field.name, field.value())
        return _kept(key, render)


def _kept(key: tuple, render: Callable[[], SafeString]) -> SafeString:
    """``render()``'s HTML for ``key`` in the page's language, rendered once per process."""
    key = (*key, get_language())
    html = _UNBOUND_HTML.get(key)
    if html is None:
        if len(_UNBOUND_HTML) >= _UNBOUND_HTML_MAX:
            _UNBOUND_HTML.clear()
        html = render()
        _UNBOUND_HTML[key] = html
    return html


class StageDatesMixin(ParentForm):
    """Due date *or* birth date, chosen with a radio so the form works without JavaScript."""

    EXPECTING, BORN = "expecting", "born"

    situation = forms.ChoiceField(
        label=_("いまの状況"),
        choices=[(EXPECTING, _("妊娠中です")), (BORN, _("すでに生まれています"))],
        widget=forms.RadioSelect,
        initial=EXPECTING,
        error_messages={
            "required": _("いまの状況を選んでください。"),
            "invalid_choice": _("いまの状況は選択肢から選んでください。"),
        },
    )
    due_date = _date_field(_("出産予定日"), _("妊娠中の方は出産予定日を入力してください。"))
    birth_date = _date_field(
        _("生年月日"), _("生まれている場合はお子さまの生年月日を入力してください。")
    )

    programme = Programme()

    def _programme_end(self, birth: datetime.date) -> datetime.date:
        return self.programme.end(birth)

    def clean(self) -> dict:
        data = super().clean()
        today = clock.today()
        if data.get("situation") == self.EXPECTING:
            due = data.get("due_date")
            data["birth_date"] = None
            if due is None:
                if "due_date" not in self.errors:
                    self.add_error("due_date", _("出産予定日を入力してください。"))
            elif due > today + DUE_DATE_MAX_AHEAD:
                self.add_error(
                    "due_date", _("出産予定日は今日から300日以内の日付を入力してください。")
                )
            elif due < today - DUE_DATE_MAX_PAST:
                self.add_error(
                    "due_date",
                    _(
                        "出産予定日が4週間以上前です。すでにお生まれの場合は「すでに生まれています」を選び、生年月日を入力してください。"
                    ),
                )
        elif data.get("situation") == self.BORN:
            birth = data.get("birth_date")
            data["due_date"] = None
            if birth is None:
                if "birth_date" not in self.errors:
                    self.add_error("birth_date", _("生年月日を入力してください。"))
            elif birth > today:
                self.add_error("birth_date", _("生年月日に未来の日付は入力できません。"))
            elif self._programme_end(birth) <= today:
                self.add_error(
                    "birth_date",
                    _("配信の対象は%(until)sまでのお子さまです。")
                    % {"until": programme_end(self.programme)},
                )
        return data


def offers_line(municipality) -> bool:
    """Whether the municipality's page shows the LINE friend button."""
    return bool(municipality.line_enabled and municipality.line_friend_url)


def _consent_label(privacy_url: str):
    # One sentence around the link, so that each language puts "I agree to" where it belongs.
    link = format_html('<a href="{}">{}</a>', privacy_url, _("プライバシーポリシー"))
    return mark_safe(conditional_escape(_("%(policy)sに同意します")) % {"policy": link})  # noqa: S308


class SignupForm(StageDatesMixin):
    same_html_unbound = True

    email = EmailAddressField(
        label=_("メールアドレス"),
        error_messages={"required": _("メールアドレスを入力してください。")},
    )
    relationship = forms.ChoiceField(
        label=_("お子さまとの関係"),
        choices=Subscriber.Relationship.choices,
        initial=Subscriber.Relationship.SELF,
        widget=forms.RadioSelect,
    )
    nickname = forms.CharField(
        label=_("ニックネーム（任意）"),
        max_length=30,
        required=False,
        help_text=_("メッセージの呼びかけに使います。30文字まで。"),
    )
    language = forms.ChoiceField(
        label=_("言語"),
        # Each language by its own name: a reader looks for the name they write it with.
        choices=[(code, LANGUAGE_NAMES.get(code, label)) for code, label in Language.choices],
        initial=Language.JA,
    )
    consent = forms.BooleanField(
        required=True,
        error_messages={"required": _("登録にはプライバシーポリシーへの同意が必要です。")},
    )
    field_order = [
        "email",
        "situation",
        "due_date",
        "birth_date",
        "relationship",
        "nickname",
        "language",
        "consent",
    ]

    def __init__(self, *args, municipality, privacy_url: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.municipality = municipality
        self.programme = programme_from(municipality)
        self.fields["consent"].label = _consent_label(privacy_url)
        offered = offer_languages(self.fields["language"], municipality)
        self.rendering_key = f"{privacy_url}|{','.join(offered)}"

    def clean(self) -> dict:
        data = super().clean()
        if "email" in self.fields:
            line = "#line" if offers_line(self.municipality) else ""
            refuse_unsendable_address(self, line_url=line)
        return data

    def clean_nickname(self) -> str:
        return self.cleaned_data["nickname"].strip()


class InvitationForm(ParentForm):
    same_html_unbound = True
    email = SignupForm.base_fields["email"]
    relationship = forms.ChoiceField(
        label=_("お子さまとの関係"),
        choices=[
            c for c in Subscriber.Relationship.choices if c[0] != Subscriber.Relationship.SELF
        ],
        initial=Subscriber.Relationship.PARTNER,
        widget=forms.RadioSelect,
    )
    nickname = SignupForm.base_fields["nickname"]
    language = SignupForm.base_fields["language"]
    consent = SignupForm.base_fields["consent"]

    def __init__(self, *args, municipality, privacy_url: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.municipality = municipality
        self.fields["consent"].label = _consent_label(privacy_url)
        offered = offer_languages(self.fields["language"], municipality)
        self.rendering_key = f"{privacy_url}|{','.join(offered)}"

    def clean(self) -> dict:
        data = super().clean()
        line = (
            reverse("subscribers:landing", args=[self.municipality.slug]) + "#line"
            if offers_line(self.municipality)
            else ""
        )
        refuse_unsendable_address(self, line_url=line)
        return data


class AddChildForm(StageDatesMixin):
    same_html_unbound = True

    def __init__(self, *args, municipality, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.programme = programme_from(municipality)


class BirthReportForm(ParentForm):
    birth_date = TypedDateField(
        label=_("生年月日"), error_messages={"required": _("生年月日を入力してください。")}
    )


class SettingsForm(ParentForm):
    # The manage page shows it to every reader; the nickname is the reader's own words.
    same_html_fields = ("language", "channel")

    nickname = SignupForm.base_fields["nickname"]
    language = SignupForm.base_fields["language"]
    channel = forms.ChoiceField(label=_("受け取り方法"), choices=Channel.choices)

    def __init__(self, *args, municipality=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if municipality is not None:
            # The municipality's languages, and the reader's own even if no longer offered.
            offered = set(language_policy.offered_languages(municipality.pk))
            own = self.initial.get("language")
            field = cast(forms.ChoiceField, self.fields["language"])
            choices = cast(list[tuple[str, str]], field.choices)
            field.choices = [(c, label) for c, label in choices if c in offered or c == own]
            self.rendering_key = ",".join(code for code, _label in field.choices)


class LossReportForm(ParentForm):
    """Only the choices that fit the child: 流産・死産 during a pregnancy, お子さまの死亡 after a birth."""

    loss = forms.ChoiceField(
        label=_("お知らせいただく内容"),
        choices=Child.Loss.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("あてはまるものを選んでください。"),
            "invalid_choice": _("あてはまるものを選んでください。"),
        },
    )
    confirm = forms.BooleanField(
        label=_("このお子さまについてのメッセージをすべて止めます"),
        error_messages={"required": _("確認のチェックを入れてください。")},
    )

    def __init__(self, *args, child: Child, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        fitting = child.fitting_losses()
        self.fields["loss"].choices = [c for c in Child.Loss.choices if c[0] in fitting]
        if len(fitting) == 1:
            self.fields["loss"].initial = fitting[0]


class UnsubscribeForm(ParentForm):
    REASONS = [
        ("", _("選ばない")),
        ("too_many", _("配信が多い")),
        ("not_useful", _("内容が合わない")),
        ("other_service", _("ほかのサービスを使う")),
        ("moved", _("引っ越した")),
        ("other", _("その他")),
    ]
    reason = forms.ChoiceField(label=_("理由（任意）"), choices=REASONS, required=False)
    comment = forms.CharField(
        label=_("ご意見（任意）"),
        required=False,
        max_length=150,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def reason_text(self) -> str:
        reason = dict(self.REASONS).get(self.cleaned_data.get("reason") or "", "")
        comment = self.cleaned_data.get("comment", "").strip()
        return " / ".join(str(part) for part in (reason, comment) if part)


class ManageLinkRequestForm(ParentForm):
    email = SignupForm.base_fields["email"]


class LineSignupForm(SignupForm):
    """Signing up from LINE: the LINE account is the address, already proven by LINE."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["email"]
