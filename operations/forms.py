from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kizuna.choices import Channel
from municipalities.models import Municipality

MAX_SELECTED = 1000


class IdListField(forms.Field):
    """Delivery ids ticked in a list: whole numbers only, at most MAX_SELECTED."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[int]:
        if not value:
            return []
        values = value if isinstance(value, list | tuple) else [value]
        if len(values) > MAX_SELECTED:
            raise forms.ValidationError(
                _("一度に選べるのは%(max)d件までです。") % {"max": MAX_SELECTED}
            )
        try:
            return sorted({int(item) for item in values})
        except (TypeError, ValueError) as error:
            raise forms.ValidationError(_("配信の指定が正しくありません。")) from error


class RetryForm(forms.Form):
    ids = IdListField(required=False)
    error = forms.CharField(required=False, max_length=500, widget=forms.HiddenInput)
    municipality = forms.ModelChoiceField(
        queryset=Municipality.objects.none(), required=False, widget=forms.HiddenInput
    )

    def __init__(self, *args, municipalities, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["municipality"].queryset = municipalities

    def clean(self) -> dict:
        data = super().clean()
        if not self.errors and not data.get("ids") and not data.get("error"):
            raise forms.ValidationError(
                _("再試行する配信を選ぶか、エラーの理由を指定してください。")
            )
        return data


class BatchForm(forms.Form):
    """A planned batch to cancel: one day of one municipality, optionally one channel or one
    message (``urgent:12``)."""

    municipality = forms.ModelChoiceField(
        queryset=Municipality.objects.none(),
        error_messages={"invalid_choice": _("その自治体は選べません。")},
    )
    day = forms.DateField(
        error_messages={"invalid": _("日付は YYYY-MM-DD の形で指定してください。")}
    )
    channel = forms.ChoiceField(choices=[("", _("すべて")), *Channel.choices], required=False)
    message_key = forms.CharField(required=False, max_length=100)

    def __init__(self, *args, municipalities, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["municipality"].queryset = municipalities


class FailureFilterForm(forms.Form):
    municipality = forms.ModelChoiceField(
        queryset=Municipality.objects.none(), required=False, empty_label=_("すべての自治体")
    )
    channel = forms.ChoiceField(choices=[("", _("すべて")), *Channel.choices], required=False)
    error = forms.CharField(required=False, max_length=500, label=_("エラーの理由"))

    def __init__(self, *args, municipalities, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["municipality"].queryset = municipalities
        self.fields["municipality"].label = _("自治体")
        self.fields["channel"].label = _("配信方法")


class AuditSearchForm(forms.Form):
    username = forms.CharField(label=_("ユーザー名"), required=False, max_length=150)
    action = forms.ChoiceField(label=_("操作"), required=False)
    target = forms.CharField(label=_("対象"), required=False, max_length=100)
    since = forms.DateField(
        label=_("いつから"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("日付は YYYY-MM-DD の形で指定してください。")},
    )
    until = forms.DateField(
        label=_("いつまで"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("日付は YYYY-MM-DD の形で指定してください。")},
    )

    def __init__(self, *args, **kwargs) -> None:
        from audit.models import AuditEvent

        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("すべて")), *AuditEvent.Action.choices]

    def filter(self, events):
        if not self.is_valid():
            return events.none()
        data = self.cleaned_data
        if data["username"]:
            events = events.filter(username__icontains=data["username"])
        if data["action"]:
            events = events.filter(action=data["action"])
        if data["target"]:
            events = events.filter(target__icontains=data["target"])
        if data["since"]:
            events = events.filter(at__date__gte=data["since"])
        if data["until"]:
            events = events.filter(at__date__lte=data["until"])
        return events
