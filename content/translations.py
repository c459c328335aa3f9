"""The base track in the languages for foreign residents, and what a translation must keep.

Each language beside Japanese and English carries the base track: the weekly pregnancy anchors,
the child's anchors, every special message and the default birthdays, translated from the
Japanese file of the same name (やさしい日本語 rewritten from it). A translation keeps what
a family acts on: every placeholder, every link, every number to call, and no passage left in
Japanese (a Japanese term may follow its translation in brackets, for showing at a counter).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .pack import PACKS_DIR, SPECIAL_KINDS, PackText, read_text
from .placeholders import placeholders_in

FOREIGN_RESIDENT_LANGUAGES = ("ja-easy", "zh-hans", "ko", "vi", "pt-br", "tl", "ne")
SOURCE_LANGUAGE = "ja"
BIRTHDAY_AGES = range(1, 8)

_LINK = re.compile(r"\]\((https://[^)\s]+)\)")
# Numbers a family dials or keys: 119, #8000, #7119, 0120-279-338, 03-1234-5678, 188, 189.
_PHONE = re.compile(r"#\d{4}|\b0\d{1,4}-\d{1,4}-\d{3,4}\b|(?<![\d,.])(?:110|119|188|189)(?![\d,.])")
_KANA_OR_KANJI = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff々〆ヵヶ]")
# A Japanese term shown in brackets after its translation: (出生届), （母子健康手帳）.
_BRACKETED = re.compile(r"[(（][^()（）]*[)）]")
# Chinese shares the CJK ideographs with Japanese: only kana betray Japanese left in it.
_KANA = re.compile(r"[\u3040-\u30ff]")
_JAPANESE_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff々〆ヵヶー・]{2,}")


def base_track_paths() -> list[str]:
    """Paths of the base track relative to a language's folder, e.g. ``pregnancy/week-20.md``."""
    paths = [f"pregnancy/week-{n}.md" for n in range(4, 43)]
    paths += [f"child/day-{n}.md" for n in range(7)]
    paths += [f"child/week-{n}.md" for n in range(1, 4)]
    paths += [f"child/month-{n}.md" for n in range(1, 37)]
    paths += ["child/day-100.md", "child/day-1000.md"]
    paths += [f"special/{kind}.md" for kind in SPECIAL_KINDS]
    paths += [f"birthday/age-{age}.md" for age in BIRTHDAY_AGES]
    return paths


@dataclass(frozen=True)
class TranslationReport:
    language: str
    missing: list[str]
    problems: dict[str, list[str]]  # relative path -> what is wrong

    @property
    def ok(self) -> bool:
        return not self.missing and not self.problems


def links_in(text: str) -> list[str]:
    return sorted(set(_LINK.findall(text)))


def phone_numbers_in(text: str) -> list[str]:
    return sorted(set(_PHONE.findall(text)))


def japanese_left_in(language: str, text: str) -> list[str]:
    """Japanese passages outside brackets in a text that should not be in Japanese."""
    if language.startswith("ja"):
        return []
    unbracketed = _BRACKETED.sub("", text)
    if language == "zh-hans":
        return sorted({run for run in _JAPANESE_RUN.findall(unbracketed) if _KANA.search(run)})
    return sorted(set(_JAPANESE_RUN.findall(unbracketed)))


def translation_problems(text: PackText, source: PackText) -> list[str]:
    """What ``text`` lost or kept wrongly from the Japanese ``source`` of the same stage."""
    problems = list(text.problems)
    whole, source_whole = text.subject + "\n" + text.body, source.subject + "\n" + source.body
    if sorted(set(placeholders_in(whole))) != sorted(set(placeholders_in(source_whole))):
        problems.append(
            f"placeholders {sorted(set(placeholders_in(whole)))} differ from the Japanese "
            f"{sorted(set(placeholders_in(source_whole)))}"
        )
    lost_links = sorted(set(links_in(source.body)) - set(links_in(text.body)))
    if lost_links:
        problems.append(f"links of the Japanese missing: {lost_links}")
    lost_numbers = sorted(set(phone_numbers_in(source.body)) - set(phone_numbers_in(text.body)))
    if lost_numbers:
        problems.append(f"numbers to call missing: {lost_numbers}")
    left = japanese_left_in(text.language, whole)
    if left:
        problems.append(f"Japanese outside brackets: {left[:5]}")
    return problems


def check_language(language: str, root: Path = PACKS_DIR) -> TranslationReport:
    """Every base-track file of ``language`` against its Japanese source."""
    missing: list[str] = []
    problems: dict[str, list[str]] = {}
    for relative in base_track_paths():
        path = root / language / relative
        if not path.exists():
            missing.append(relative)
            continue
        found = translation_problems(
            read_text(path, root), read_text(root / SOURCE_LANGUAGE / relative, root)
        )
        if found:
            problems[relative] = found
    return TranslationReport(language, missing, problems)


# やさしい日本語: every base-track text at least this easy by jreadability (higher is easier;
# 4.5–5.5 is 中級前半). The daily band of the Japanese pack is content.pack_checks'.
EASY_JAPANESE = "ja-easy"
EASY_JAPANESE_READABILITY_FLOOR = 4.0


def readability_problems(root: Path = PACKS_DIR) -> dict[str, float]:
    """The やさしい日本語 texts below the floor, with their scores (empty when all pass)."""
    from .pack_checks import readability

    low: dict[str, float] = {}
    for relative in base_track_paths():
        path = root / EASY_JAPANESE / relative
        if path.exists():
            score = readability(read_text(path, root))
            if score < EASY_JAPANESE_READABILITY_FLOOR:
                low[relative] = round(score, 2)
    return low


def languages_present(root: Path = PACKS_DIR) -> list[str]:
    """The foreign-resident languages that have a folder in the pack (each must be complete)."""
    return [language for language in FOREIGN_RESIDENT_LANGUAGES if (root / language).is_dir()]
