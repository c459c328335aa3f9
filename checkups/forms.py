from __future__ import annotations

from typing import Any

from django import forms

from .models import CheckupSettings, Session
from .timings import CHECKS


class SessionForm(forms.ModelForm):
    class Meta:
        model = Session
        fields = (
            "check_number",
            "held_on",
            "starts_at",
            "venue",
            "born_from",
            "born_until",
            "capacity",
        )
        widgets = {
            "held_on": forms.DateInput(attrs={"type": "date"}),
            "starts_at": forms.TimeInput(attrs={"type": "time"}),
            "born_from": forms.DateInput(attrs={"type": "date"}),
            "born_until": forms.DateInput(attrs={"type": "date"}),
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        born_from, born_until = data.get("born_from"), data.get("born_until")
        if born_from and born_until and born_from > born_until:
            self.add_error(
                "born_until",
                "生年月日の範囲は「から」が「まで」より前になるように入力してください。",
            )
        held_on = data.get("held_on")
        if held_on and born_until and born_until >= held_on:
            self.add_error("born_until", "健診の日より後に生まれたお子さんは対象にできません。")
        if data.get("capacity") == 0:
            self.add_error("capacity", "定員は1人以上にしてください。")
        return data


class SettingsForm(forms.ModelForm):
    checks = forms.TypedMultipleChoiceField(
        label="お知らせする健診",
        choices=[(c.number, c.label) for c in CHECKS],
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = CheckupSettings
        fields = ("reminders_on", "checks", "lead_days", "invitation_lead_days", "note")

    def clean_lead_days(self) -> int:
        value = int(self.cleaned_data["lead_days"])
        if value > 60:
            raise forms.ValidationError("60日以内で入力してください。")
        return value

    def clean_invitation_lead_days(self) -> int:
        value = int(self.cleaned_data["invitation_lead_days"])
        if not 1 <= value <= 60:
            raise forms.ValidationError("1〜60日で入力してください。")
        return value


class ImportForm(forms.Form):
    file = forms.FileField(label="CSVまたはExcelファイル")
