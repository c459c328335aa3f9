import re

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from subscribers.forms import ParentForm, SignupForm

_MARKUP = re.compile(r"[{}<>\[\]()*_#`\\]")
_SOURCE_TAG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,29}$")


class ImportUploadForm(forms.Form):
    source_name = forms.CharField(
        label=_("移行元のサービス名"),
        max_length=60,
        help_text=_(
            "読者へのお知らせに「〇〇から引き継ぎました」と書かれます。例: あおば子育てメール"
        ),
    )
    file = forms.FileField(
        label=_("ファイル（CSV または Excel）"),
        help_text=_(
            "1行目に見出し（メールアドレス／LINEユーザーID、続柄、ニックネーム、出産予定日／生年月日、"
            "同意日、配信方法、家族ID）。文字コードは UTF-8 か Shift_JIS。"
        ),
    )

    def clean_source_name(self) -> str:
        name = self.cleaned_data["source_name"].strip()
        if _MARKUP.search(name):
            raise forms.ValidationError(
                _("サービス名に記号（{ } < > [ ] ( ) * _ # など）は使えません。")
            )
        return name

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.KIZUNA_IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("ファイルが大きすぎます（上限%(mb)sMB）。ファイルを分けてください。")
                % {"mb": f"{limit / 1024 / 1024:,.0f}"}
            )
        if not upload.name.lower().endswith((".csv", ".txt", ".tsv", ".xlsx", ".xlsm")):
            raise forms.ValidationError(
                _("CSV（.csv）か Excel（.xlsx）のファイルを選んでください。")
            )
        return upload


def clean_source_tag(value: str) -> str:
    """A flyer's ``?src=`` value: short, lower-case letters, digits, - and _; else none."""
    value = (value or "").strip().lower()
    return value if _SOURCE_TAG.match(value) else ""


class FlyerForm(forms.Form):
    src = forms.CharField(
        label=_("QRコードの経路タグ"),
        required=False,
        max_length=30,
        help_text=_(
            "例: boshitecho（母子健康手帳といっしょに配るチラシ）。半角英小文字・数字・-・_。"
        ),
    )

    def clean_src(self) -> str:
        value = self.cleaned_data["src"].strip()
        if value and not clean_source_tag(value):
            raise forms.ValidationError(
                _("半角英小文字・数字・-・_ の30文字以内で入れてください。")
            )
        return value.lower()


class MoveToEmailForm(ParentForm):
    """The address a LINE reader wants their messages at."""

    email = SignupForm.base_fields["email"]
