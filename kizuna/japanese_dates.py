"""Dates as Japanese families type them: 2027/3/1, ２０２７年３月１日, 令和9年3月1日, R9.3.1.

Pure: no Django, no clock. Every page and import that reads a typed date uses
:func:`parse_date`; a text it cannot read raises :class:`DateFormatError` whose message is the
Japanese sentence to show.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Era:
    name: str
    starts_on: datetime.date
    ends_on: datetime.date | None  # the last day; None for the current era

    def year(self, era_year: int) -> int:
        return self.starts_on.year + era_year - 1


ERAS = (
    Era("令和", datetime.date(2019, 5, 1), None),
    Era("平成", datetime.date(1989, 1, 8), datetime.date(2019, 4, 30)),
    Era("昭和", datetime.date(1926, 12, 25), datetime.date(1989, 1, 7)),
)
_ERA_BY_NAME = {era.name: era for era in ERAS}
# The one-letter forms on forms and cards (R9.3.1); NFKC already turns ㋿ and ㍻ into 令和, 平成.
_ERA_BY_LETTER = {"r": "令和", "h": "平成", "s": "昭和"}

EXAMPLE = "2027年4月1日（令和9年4月1日、2027/4/1 も可）"

_SEPARATOR = r"\s*[-/.年]\s*"
_DATE = re.compile(
    r"^(?:(?P<era>令和|平成|昭和|[rhs])\s*(?P<eyear>\d{1,2}|元)|(?P<year>\d{4}))"
    rf"{_SEPARATOR}(?P<month>\d{{1,2}})\s*[-/.月]\s*(?P<day>\d{{1,2}})\s*日?$"
)
_COMPACT = re.compile(r"^(?P<year>\d{4})(?P<month>\d{2})(?P<day>\d{2})$")


class DateFormatError(ValueError):
    """The text is not a date; ``str(error)`` says why, in Japanese."""


def normalize(text: str) -> str:
    """Full-width digits, letters and ㍻-style era signs to their ordinary forms; spaces trimmed."""
    return unicodedata.normalize("NFKC", text).strip().lower()


def parse_date(text: str) -> datetime.date:
    """The calendar date ``text`` names, Western or Japanese era; raises DateFormatError."""
    value = normalize(text)
    match = _DATE.match(value) or _COMPACT.match(value)
    if match is None:
        raise DateFormatError(f"日付を読み取れませんでした。{EXAMPLE}のように入力してください。")
    parts = match.groupdict()
    era = None
    if parts.get("era"):
        era = _ERA_BY_NAME[_ERA_BY_LETTER.get(parts["era"], parts["era"])]
        era_year = 1 if parts["eyear"] == "元" else int(parts["eyear"])
        if era_year < 1:
            raise DateFormatError(f"{era.name}0年という年はありません。")
        year = era.year(era_year)
    else:
        year = int(parts["year"])
    month, day = int(parts["month"]), int(parts["day"])
    try:
        result = datetime.date(year, month, day)
    except ValueError:
        written = f"{era.name}{parts['eyear']}年" if era else f"{year}年"
        raise DateFormatError(f"{written}{month}月{day}日という日付はありません。") from None
    if era is not None:
        _check_within_era(era, result, parts["eyear"], month, day)
    return result


def _check_within_era(era: Era, day: datetime.date, eyear: str, month: int, dom: int) -> None:
    written = f"{era.name}{eyear}年{month}月{dom}日"
    if day < era.starts_on:
        raise DateFormatError(
            f"{written}という日付はありません（{era.name}は"
            f"{era.starts_on.year}年{era.starts_on.month}月{era.starts_on.day}日からです）。"
        )
    # Forms printed before an era ends keep its name for the rest of that year (平成31年5月…):
    # the date is still unambiguous, so it is read, not refused.
    if era.ends_on is not None and day.year > era.ends_on.year:
        raise DateFormatError(
            f"{written}という日付はありません（{era.name}は{era.ends_on.year}年までです）。"
        )
