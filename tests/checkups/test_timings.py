"""Each national check's window for a birth date, checked by hand (month ends, Feb 29)."""

from datetime import date

import pytest

from checkups.timings import BY_NUMBER, CHECKS, Basis, births_opening_on, reminder_day, window


def w(number, birth):
    found = window(BY_NUMBER[number], birth)
    return found.opens, found.last_day


def test_one_month_check_runs_from_day_28_to_the_day_before_six_weeks():
    # Born 2026-01-10: 27 days after is Feb 6, so from Feb 7; 6 weeks is Feb 21, so to Feb 20.
    assert w(1, date(2026, 1, 10)) == (date(2026, 2, 7), date(2026, 2, 20))


@pytest.mark.parametrize(
    ("number", "birth", "opens", "last_day"),
    [
        (2, date(2026, 1, 15), date(2026, 4, 15), date(2026, 6, 14)),  # 3〜4か月
        (2, date(2025, 11, 30), date(2026, 2, 28), date(2026, 4, 29)),  # Feb has no 30th
        (3, date(2026, 1, 31), date(2026, 7, 31), date(2026, 9, 29)),  # 6〜7か月; Sep 30 - 1
        (4, date(2026, 1, 31), date(2026, 10, 31), date(2026, 12, 30)),  # 9〜10か月
        (5, date(2024, 8, 29), date(2026, 2, 28), date(2026, 8, 28)),  # 1歳6か月: no Feb 29 in 2026
        (5, date(2026, 8, 31), date(2028, 2, 29), date(2028, 8, 30)),  # leap year keeps Feb 29
        (6, date(2024, 2, 29), date(2027, 2, 28), date(2028, 2, 28)),  # 3歳: born Feb 29
        (7, date(2024, 2, 29), date(2029, 2, 28), date(2030, 2, 27)),  # 5歳
    ],
)
def test_month_windows(number, birth, opens, last_day):
    assert w(number, birth) == (opens, last_day)


def test_statutory_checks_are_the_two_of_article_12():
    assert [c.label for c in CHECKS if c.basis == Basis.STATUTORY] == [
        "1歳6か月児健診",
        "3歳児健診",
    ]
    assert {c.label for c in CHECKS if c.national_subsidy_from} == {"1か月児健診", "5歳児健診"}
    assert all(c.facts for c in CHECKS)


def test_reminder_day_is_lead_days_before_the_window():
    assert reminder_day(BY_NUMBER[2], date(2026, 1, 15), 7) == date(2026, 4, 8)


@pytest.mark.parametrize("number", [c.number for c in CHECKS])
def test_births_opening_on_inverts_the_window_over_four_years(number):
    check = BY_NUMBER[number]
    birth = date(2024, 1, 1)
    seen = {}
    while birth < date(2028, 1, 1):
        seen.setdefault(window(check, birth).opens, []).append(birth)
        birth = date.fromordinal(birth.toordinal() + 1)
    for opens, births in seen.items():
        assert births_opening_on(check, opens) == births


def test_month_end_collects_the_later_days_of_a_longer_month():
    # 3 months after Nov 28, 29 and 30 is Feb 28 (2026 has no Feb 29).
    assert births_opening_on(BY_NUMBER[2], date(2026, 2, 28)) == [
        date(2025, 11, 28),
        date(2025, 11, 29),
        date(2025, 11, 30),
    ]
