from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kizuna import clock


class RecordForm(forms.Form):
    """One dose recorded from the schedule page: which child, which dose, the day."""

    child = forms.IntegerField(widget=forms.HiddenInput)
    dose = forms.CharField(max_length=20, widget=forms.HiddenInput)
    given_on = forms.DateField(
        label=_("接種日"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": _("接種日を入れてください。"),
            "invalid": _("接種日の形が正しくありません。"),
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["given_on"].initial = clock.today()


class RemoveForm(forms.Form):
    child = forms.IntegerField(widget=forms.HiddenInput)
    dose = forms.CharField(max_length=20, widget=forms.HiddenInput)
