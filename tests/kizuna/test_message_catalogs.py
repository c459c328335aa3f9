"""The .po drift check: parent-facing words translated and compiled in every language present."""

import shutil
from pathlib import Path

import polib
from django.conf import settings

from kizuna import i18n
from kizuna.message_catalogs import catalog_problems, check_catalogs, parent_msgids


def test_the_parent_pages_and_mails_words_are_extracted_and_staff_words_are_not():
    msgids = parent_msgids()
    assert "%(name)s、こんにちは。" in msgids  # the mail's greeting (content/rendering.py)
    assert "配信停止" in msgids
    assert "予防接種の予定と記録" in msgids  # templates/vaccinations/schedule.html
    assert "切り替える" in msgids  # the language switch (templates/languages/_switch.html)
    places = {place for found in msgids.values() for place in found}
    assert all(i18n.is_parent_facing(place) for place in places)
    assert not any("/staff/" in place for place in places)


def test_every_catalog_in_the_repository_is_complete_and_compiled():
    """Each language folder under locale/ (the writers' .po files once merged) is whole."""
    results = check_catalogs()
    assert "ja" not in results and set(results) <= set(i18n.LOCALES)
    assert {language: problems[:5] for language, problems in results.items() if problems} == {}


def _catalog(root: Path, language: str, msgids, *, leave_out: str = "", fuzzy: str = "") -> Path:
    folder = root / i18n.LOCALES[language] / "LC_MESSAGES"
    folder.mkdir(parents=True, exist_ok=True)
    po = polib.POFile()
    po.metadata = {"Content-Type": "text/plain; charset=UTF-8"}
    for msgid in msgids:
        if msgid == leave_out:
            continue
        context, _, text = msgid.rpartition("\x04")
        entry = polib.POEntry(msgid=text, msgstr=f"[{language}] {text}", msgctxt=context or None)
        if msgid == fuzzy:
            entry.flags.append("fuzzy")
        po.append(entry)
    po.save(str(folder / "django.po"))
    po.save_as_mofile(str(folder / "django.mo"))
    return folder


def test_a_missing_an_untranslated_and_a_stale_entry_are_reported(tmp_path):
    msgids = parent_msgids()
    whole = _catalog(tmp_path / "whole", "vi", msgids)
    assert catalog_problems(tmp_path / "whole", "vi", msgids) == []

    _catalog(tmp_path / "gap", "ne", msgids, leave_out="配信停止", fuzzy="配信の設定・変更")
    problems = catalog_problems(tmp_path / "gap", "ne", msgids)
    assert any("未収録 '配信停止'" in p for p in problems)
    assert any("未翻訳 '配信の設定・変更'" in p for p in problems)

    # A .po edited after its .mo was compiled.
    po = polib.pofile(str(whole / "django.po"))
    po[0].msgstr = "changed"
    po.save(str(whole / "django.po"))
    assert any("一致しません" in p for p in catalog_problems(tmp_path / "whole", "vi", msgids))


def test_only_languages_with_a_folder_are_checked(tmp_path):
    shutil.copytree(Path(settings.BASE_DIR) / "locale" / "ja", tmp_path / "ja")
    assert check_catalogs(tmp_path) == {}
    _catalog(tmp_path, "tl", parent_msgids())
    assert check_catalogs(tmp_path) == {"tl": []}
