from datetime import date

import pytest

from kizuna.fiscal import (
    fiscal_year_bounds,
    fiscal_year_label,
    fiscal_year_of,
    wareki_fiscal_year,
)


@pytest.mark.parametrize(
    ("day", "fiscal_year"),
    [
        (date(2026, 4, 1), 2026),
        (date(2027, 3, 31), 2026),
        (date(2026, 3, 31), 2025),
        (date(2026, 12, 31), 2026),
        (date(2027, 1, 1), 2026),
        (date(2019, 4, 30), 2019),  # still 平成 by the calendar, but 令和元年度
    ],
)
def test_fiscal_year_runs_april_to_march(day, fiscal_year):
    assert fiscal_year_of(day) == fiscal_year


@pytest.mark.parametrize(
    ("fiscal_year", "name"),
    [
        (2026, "令和8年度"),
        (2020, "令和2年度"),
        (2019, "令和元年度"),
        (2018, "平成30年度"),
        (2013, "平成25年度"),  # 文京区's first published survey in the seed
        (1990, "平成2年度"),
        (1989, "平成元年度"),
    ],
)
def test_fiscal_years_are_named_in_the_japanese_calendar(fiscal_year, name):
    assert wareki_fiscal_year(fiscal_year) == name


def test_years_before_heisei_are_refused():
    with pytest.raises(ValueError, match="before 平成"):
        wareki_fiscal_year(1988)


def test_bounds_and_label():
    assert fiscal_year_bounds(2026) == (date(2026, 4, 1), date(2027, 3, 31))
    assert fiscal_year_label(2026) == "令和8年度（2026年度）"
    start, end = fiscal_year_bounds(2019)
    assert fiscal_year_of(start) == fiscal_year_of(end) == 2019
