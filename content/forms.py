from datetime import timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from kizuna import clock
from kizuna.choices import Language

from .models import Audience

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# A preview further out than this is a typo (2207 for 2027), not a plan.
MAX_YEARS_AWAY = 10


class PreviewForm(forms.Form):
    """The family to preview: a municipality and a due date or a birth date."""

    municipality = forms.ModelChoiceField(
        label=_("自治体"), queryset=None, empty_label=_("選んでください")
    )
    due_date = forms.DateField(label=_("出産予定日"), required=False, widget=DATE_WIDGET)
    birth_date = forms.DateField(
        label=_("生年月日"),
        required=False,
        widget=DATE_WIDGET,
        help_text=_("入れると、この日から子どものメッセージになります。"),
    )
    signup_on = forms.DateField(
        label=_("登録日"),
        required=False,
        widget=DATE_WIDGET,
        help_text=_("空欄なら最初のメッセージ（妊娠4週）から表示します。"),
    )
    # Optional so that links from admin pages need only a municipality and a date.
    audience = forms.ChoiceField(
        label=_("読者"), choices=Audience.choices, initial=Audience.EVERYONE, required=False
    )
    language = forms.ChoiceField(
        label=_("言語"), choices=Language.choices, initial=Language.JA, required=False
    )
    nickname = forms.CharField(
        label=_("ニックネーム"), max_length=30, required=False, initial="はな"
    )
    drafts = forms.BooleanField(label=_("下書きも表示する"), required=False)
    notice = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, municipalities, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["municipality"].queryset = municipalities
        if municipalities.count() == 1:
            self.fields["municipality"].initial = municipalities.first()

    def clean_audience(self) -> str:
        return self.cleaned_data["audience"] or Audience.EVERYONE.value

    def clean_language(self) -> str:
        return self.cleaned_data["language"] or Language.JA.value

    def clean(self) -> dict:
        data = super().clean()
        due, birth = data.get("due_date"), data.get("birth_date")
        if (
            not due
            and not birth
            and not self.errors.get("due_date")
            and not self.errors.get("birth_date")
        ):
            raise forms.ValidationError(_("出産予定日か生年月日のどちらかを入力してください。"))
        today = clock.today()
        for name in ("due_date", "birth_date", "signup_on"):
            value = data.get(name)
            if value and abs((value - today).days) > MAX_YEARS_AWAY * 366:
                self.add_error(
                    name,
                    _("%(years)d年以上離れた日付です。入力を確かめてください。")
                    % {"years": MAX_YEARS_AWAY},
                )
        if due and birth and not due - timedelta(days=280) < birth <= due + timedelta(days=60):
            self.add_error(
                "birth_date",
                _("生年月日が出産予定日から離れすぎています。どちらかを確かめてください。"),
            )
        return data
