"""The .po drift check: every parent-facing msgid translated in every language that has a catalog.

``makemessages`` runs over a temporary copy of the parent-facing sources only
(kizuna.i18n.PARENT_FACING_SOURCES), so the check is quick and never touches ``locale/``. Used by
``scripts/check_messages.py`` (CI) and by ``tests/kizuna/test_message_catalogs.py``.
"""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
from pathlib import Path

import polib
from django.conf import settings
from django.core.management import call_command

from . import i18n

SOURCE_LANGUAGE = "ja"  # the msgids are Japanese: ja needs no translation of them


def parent_sources(root: Path) -> list[Path]:
    """The parent-facing source files under ``root`` (relative paths)."""
    found = []
    for pattern in i18n.PARENT_FACING_SOURCES:
        found += [path.relative_to(root) for path in root.glob(pattern) if path.is_file()]
    return sorted(set(found))


@functools.cache
def _extracted(root: str, sources: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch)
        for relative in sources:
            target = copy / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(Path(root) / relative, target)
        (copy / "locale").mkdir()
        before, paths = Path.cwd(), settings.LOCALE_PATHS
        try:
            os.chdir(copy)
            settings.LOCALE_PATHS = [copy / "locale"]
            call_command(
                "makemessages",
                locale=["xx"],
                extensions=["html", "txt", "py"],
                no_obsolete=True,
                verbosity=0,
            )
        finally:
            os.chdir(before)
            settings.LOCALE_PATHS = paths
        catalog = polib.pofile(str(copy / "locale" / "xx" / "LC_MESSAGES" / "django.po"))
        return {
            _key(entry): tuple(path for path, _ in entry.occurrences)
            for entry in catalog
            if not entry.obsolete
        }


def parent_msgids(root: Path | None = None) -> dict[str, tuple[str, ...]]:
    """Every msgid of the parent-facing sources (with its context, if any), and where it is."""
    root = root or Path(settings.BASE_DIR)
    sources = tuple(str(path) for path in parent_sources(root))
    return _extracted(str(root), sources)


def _key(entry: polib.POEntry) -> str:
    return f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid


def _translated(entry: polib.POEntry) -> bool:
    if entry.obsolete or "fuzzy" in entry.flags:
        return False
    if entry.msgid_plural:
        return bool(entry.msgstr_plural) and all(entry.msgstr_plural.values())
    return bool(entry.msgstr)


def catalog_languages(locale_root: Path) -> list[str]:
    """The languages other than Japanese that have a catalog folder under ``locale_root``."""
    return [
        code
        for code, folder in i18n.LOCALES.items()
        if code != SOURCE_LANGUAGE and (locale_root / folder / "LC_MESSAGES").is_dir()
    ]


def catalog_problems(
    locale_root: Path, language: str, msgids: dict[str, tuple[str, ...]]
) -> list[str]:
    """What is missing or stale in one language's catalog (empty when all is well)."""
    folder = locale_root / i18n.LOCALES[language] / "LC_MESSAGES"
    po_path, mo_path = folder / "django.po", folder / "django.mo"
    if not po_path.exists():
        return [f"{po_path} がありません"]
    po = polib.pofile(str(po_path))
    entries = {_key(entry): entry for entry in po if not entry.obsolete}
    problems = []
    for msgid, places in sorted(msgids.items()):
        entry = entries.get(msgid)
        where = ", ".join(places[:2])
        if entry is None:
            problems.append(f"{language}: 未収録 {msgid!r}（{where}）")
        elif not _translated(entry):
            problems.append(f"{language}: 未翻訳 {msgid!r}（{where}）")
    if not mo_path.exists():
        problems.append(f"{language}: {mo_path} がありません（msgfmt で作ってください）")
    else:
        compiled = {
            _key(entry): (entry.msgstr, tuple(sorted(entry.msgstr_plural.items())))
            for entry in polib.mofile(str(mo_path))
            if entry.msgid
        }
        expected = {
            _key(entry): (entry.msgstr, tuple(sorted(entry.msgstr_plural.items())))
            for entry in po
            if entry.msgid and _translated(entry)
        }
        if compiled != expected:
            problems.append(
                f"{language}: {mo_path} が {po_path.name} と一致しません（msgfmt し直し）"
            )
    return problems


def check_catalogs(
    locale_root: Path | None = None, source_root: Path | None = None
) -> dict[str, list[str]]:
    """Per language with a catalog, its problems (all lists empty when every catalog is whole)."""
    locale_root = locale_root or Path(settings.BASE_DIR) / "locale"
    msgids = parent_msgids(source_root)
    return {
        language: catalog_problems(locale_root, language, msgids)
        for language in catalog_languages(locale_root)
    }
