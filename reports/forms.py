from __future__ import annotations

from django import forms

from .services import MAX_BIRTHS


class BirthsForm(forms.Form):
    births = forms.IntegerField(
        label="出生数（人）",
        min_value=0,
        max_value=MAX_BIRTHS,
        error_messages={
            "required": "出生数を入力してください。",
            "invalid": "出生数は0以上の整数で入力してください。",
            "min_value": "出生数は0以上の整数で入力してください。",
            "max_value": "出生数が大きすぎます。",
        },
    )


class BirthsFileForm(forms.Form):
    file = forms.FileField(
        label="出生数のCSV",
        error_messages={"required": "CSVファイルを選んでください。", "empty": "ファイルが空です。"},
    )
