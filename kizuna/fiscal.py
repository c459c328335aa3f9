"""Japanese fiscal years (年度, April to March) and their names in the Japanese calendar (和暦).

Pure functions on dates: no Django, no clock. 令和 began on 2019-05-01, but fiscal years are named
by the era in which most of them fall, so FY2019 (April 2019 – March 2020) is 令和元年度, FY2018
is 平成30年度 and FY1989 is 平成元年度.
"""

from __future__ import annotations

from datetime import date

# (first fiscal year of the era, era name), newest first. Surveys start long after 平成元年度.
_ERAS = [(2019, "令和"), (1989, "平成")]
FIRST_FISCAL_YEAR = 1989


def fiscal_year_of(day: date) -> int:
    """The fiscal year ``day`` belongs to, by its starting calendar year (2027-03-31 → 2026)."""
    return day.year if day.month >= 4 else day.year - 1


def fiscal_year_bounds(fiscal_year: int) -> tuple[date, date]:
    """The first and last day of a fiscal year: 1 April to 31 March of the next year."""
    return date(fiscal_year, 4, 1), date(fiscal_year + 1, 3, 31)


def wareki_fiscal_year(fiscal_year: int) -> str:
    """「令和8年度」 for 2026, 「令和元年度」 for 2019, 「平成30年度」 for 2018."""
    for first, era in _ERAS:
        if fiscal_year >= first:
            number = fiscal_year - first + 1
            return f"{era}{'元' if number == 1 else number}年度"
    raise ValueError(f"fiscal year {fiscal_year} is before 平成")


def fiscal_year_label(fiscal_year: int) -> str:
    """「令和8年度（2026年度）」: the 和暦 municipalities publish under, with the western year."""
    return f"{wareki_fiscal_year(fiscal_year)}（{fiscal_year}年度）"
