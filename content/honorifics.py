"""Calling a reader by their nickname with one honorific, never two (はなちゃん, not はなちゃんさん).

Mail, LINE and the parents' pages all call :func:`addressed`; texts that staff write as
「{{ nickname }}さん」 are filled through :data:`AFTER_PLACEHOLDER` so the same rule holds there.
"""

from __future__ import annotations

import re

# What a Japanese nickname ends with when the reader already chose how to be called
# (「はなママ」 is left alone: 「はなママさん」 is how people say it).
HONORIFICS = (
    "ちゃん",
    "チャン",
    "ちゃま",
    "くん",
    "クン",
    "君",
    "さん",
    "サン",
    "さま",
    "サマ",
    "様",
    "たん",
    "タン",
    "氏",
    "殿",
    "どの",
)
DEFAULT = "さん"
_ENDS_WITH_HONORIFIC = re.compile("(?:" + "|".join(map(re.escape, HONORIFICS)) + r")\s*$")
# An honorific written right after a nickname placeholder in a text (「{{ nickname }}さん」).
AFTER_PLACEHOLDER = "(?:" + "|".join(map(re.escape, HONORIFICS)) + ")"


def has_honorific(nickname: str) -> bool:
    return bool(_ENDS_WITH_HONORIFIC.search(nickname or ""))


def addressed(nickname: str, honorific: str = DEFAULT) -> str:
    """「はなさん」 for はな, 「はなちゃん」 for はなちゃん; "" for no nickname."""
    nickname = (nickname or "").strip()
    if not nickname:
        return ""
    return nickname if has_honorific(nickname) else nickname + honorific
