from django import forms
from django.utils.translation import gettext_lazy as _


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("確認コード"),
        max_length=16,
        help_text=_("認証アプリに表示されている6桁の数字、または回復コードを入力してください。"),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
        error_messages={"required": _("確認コードを入力してください。")},
    )

    def clean_token(self) -> str:
        return self.cleaned_data["token"].replace(" ", "").strip()
