"""Readings (ルビ) for the kanji of やさしい日本語 texts beyond the first two school grades.

A word whose kanji are all among the 240 of grades 1–2 (data/kanji_grades_1_2.txt, 学年別漢字配当表)
stays as written; any other word gets its reading from the morphological analyser (fugashi with
unidic-lite): ``<ruby>予防<rt>よぼう</rt></ruby>`` in the HTML mail, ``予防（よぼう）`` in LINE and
the plain-text mail. Only text is annotated: never a tag, a link, a placeholder's stand-in or a
number. Pure: no Django.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

KANJI = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff々〆]")
_KANA = re.compile(r"[\u3041-\u309f\u30a1-\u30ffー]")
_TAG_OR_TEXT = re.compile(r"(<[^>]*>)")

# Words the analyser reads otherwise than a parent would (ニッポン, いち＋にち): read as written
# here. Only words with a kanji beyond grade 2 get ruby; the others are listed so that they are
# never split into parts that do.
READINGS = {
    "日本": "にほん",
    "一日": "いちにち",
    "今日": "きょう",
    "明日": "あした",
    "昨日": "きのう",
    "一人": "ひとり",
    "二人": "ふたり",
    "大人": "おとな",
    "お腹": "おなか",
    "子ども": "こども",
}
_READINGS_PATTERN = re.compile("|".join(sorted(map(re.escape, READINGS), key=len, reverse=True)))


@functools.cache
def easy_kanji() -> frozenset[str]:
    """The 240 kanji of grades 1–2, read without ruby."""
    path = Path(__file__).parent / "data" / "kanji_grades_1_2.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset("".join(line.strip() for line in lines if not line.startswith("#")))


def needs_ruby(word: str) -> bool:
    easy = easy_kanji()
    return any(KANJI.match(char) and char not in easy for char in word)


def _hiragana(katakana: str) -> str:
    return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in katakana)


@functools.cache
def _tagger() -> Any:
    import fugashi  # imported here: it loads a dictionary

    return fugashi.Tagger()


Annotate = Callable[[str, str], str]


def _split_okurigana(surface: str, reading: str) -> tuple[str, str, str, str]:
    """(kana before, kanji part, its reading, kana after): 受け/うけ → ("", "受", "う", "け")."""
    before = after = ""
    while (
        surface and reading and _KANA.match(surface[-1]) and _hiragana(surface[-1]) == reading[-1]
    ):
        after = surface[-1] + after
        surface, reading = surface[:-1], reading[:-1]
    while surface and reading and _KANA.match(surface[0]) and _hiragana(surface[0]) == reading[0]:
        before += surface[0]
        surface, reading = surface[1:], reading[1:]
    return before, surface, reading, after


def _word(surface: str, reading: str, annotate: Annotate) -> str:
    if not reading or not needs_ruby(surface):
        return surface
    before, core, core_reading, after = _split_okurigana(surface, reading)
    if not core or not core_reading:
        return surface
    return before + annotate(core, core_reading) + after


def _plain_run(text: str, annotate: Annotate) -> str:
    """Ruby for one run of text without tags (the analyser, word by word)."""
    if not KANJI.search(text):
        return text
    out = []
    for token in _tagger()(text):
        surface = token.surface
        kana = getattr(token.feature, "kana", None) or ""
        reading = _hiragana(kana) if kana and kana != "*" else ""
        out.append(token.white_space + _word(surface, reading, annotate))
    # The analyser keeps the spaces before a word, not those after the last one.
    trailing = text[len(text.rstrip()) :]
    return "".join(out) + trailing


def _text(text: str, annotate: Annotate) -> str:
    out, last = [], 0
    for match in _READINGS_PATTERN.finditer(text):
        out.append(_plain_run(text[last : match.start()], annotate))
        out.append(_word(match.group(0), READINGS[match.group(0)], annotate))
        last = match.end()
    out.append(_plain_run(text[last:], annotate))
    return "".join(out)


def _html_ruby(core: str, reading: str) -> str:
    return f"<ruby>{core}<rt>{html.escape(reading)}</rt></ruby>"


def _bracket_ruby(core: str, reading: str) -> str:
    return f"{core}（{reading}）"


def ruby_html(fragment: str) -> str:
    """``<ruby>`` for the text of a sanitised HTML fragment, outside links."""
    parts = _TAG_OR_TEXT.split(fragment)
    in_link = 0
    for index, part in enumerate(parts):
        if part.startswith("<"):
            if re.match(r"<a[\s>]", part):
                in_link += 1
            elif part.startswith("</a"):
                in_link = max(in_link - 1, 0)
            continue
        if not in_link and part:
            # The text arrives HTML-escaped; readings are kana, so escaping stays as it was.
            parts[index] = _text(part, _html_ruby)
    return "".join(parts)


_URL = re.compile(r"https?://\S+")


def ruby_text(text: str) -> str:
    """``漢字（かんじ）`` for plain text (LINE, the text mail); URLs left alone."""
    out, last = [], 0
    for match in _URL.finditer(text):
        out.append(_text(text[last : match.start()], _bracket_ruby))
        out.append(match.group(0))
        last = match.end()
    out.append(_text(text[last:], _bracket_ruby))
    return "".join(out)
