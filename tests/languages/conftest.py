"""A tiny catalog per language, built in tmp_path: the writers' .po files arrive at the merge."""

import polib
import pytest
from django.conf import settings as django_settings

from kizuna.i18n import LOCALES
from tests.delivery.conftest import morning, smtp  # noqa: F401 (fixtures shared with delivery)

FIXTURE_WORDS = {
    "vi": {
        "プライバシーポリシー": "Chính sách quyền riêng tư",
        "%(name)s、こんにちは。": "Chào %(name)s,",
        "配信停止": "Hủy đăng ký",
        "配信の設定・変更": "Thay đổi cài đặt",
        "このメッセージは、%(municipality)sの「%(service_name)s」からお送りしています。": (
            "Tin nhắn này được gửi từ %(service_name)s của %(municipality)s."
        ),
        "（%(municipality)sからのお知らせを、日本語のまま載せています）": (
            "(Thông báo của %(municipality)s bằng tiếng Nhật)"
        ),
        "%(municipality)sからのお知らせ": "Thông báo từ %(municipality)s",
        "このメッセージは役に立ちましたか？": "Tin nhắn này có hữu ích không?",
        "役に立った": "Hữu ích",
        "いまひとつ": "Chưa hữu ích",
    },
    "ja-easy": {"配信停止": "メールを とめる", "プライバシーポリシー": "こじんじょうほうの きまり"},
}


def write_catalog(root, language: str, words: dict[str, str]) -> None:
    folder = root / LOCALES[language] / "LC_MESSAGES"
    folder.mkdir(parents=True, exist_ok=True)
    po = polib.POFile()
    po.metadata = {"Content-Type": "text/plain; charset=UTF-8", "Language": LOCALES[language]}
    for msgid, msgstr in words.items():
        po.append(polib.POEntry(msgid=msgid, msgstr=msgstr))
    po.save(str(folder / "django.po"))
    po.save_as_mofile(str(folder / "django.mo"))


@pytest.fixture
def catalogs(settings, tmp_path):
    """vi and ja-easy words for the pages and the mails (Django resets its caches on change)."""
    for language, words in FIXTURE_WORDS.items():
        write_catalog(tmp_path, language, words)
    settings.LOCALE_PATHS = [tmp_path, *django_settings.LOCALE_PATHS]
    return tmp_path
