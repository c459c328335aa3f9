"""The stage calendar: pure date arithmetic, tested without Django."""

import subprocess
import sys
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from content.stages import (
    ChildAge,
    Period,
    Stage,
    Track,
    Unit,
    add_months,
    add_years,
    anchors_entering,
    child_age,
    child_month_label_ja,
    current_stage_number,
    gestational_age,
    last_day_entered_again,
    stage_start,
    whole_months,
)

DUE = date(2027, 5, 1)


def test_every_day_of_a_whole_pregnancy_has_the_right_week_and_day():
    first_day = DUE - timedelta(days=280)  # 妊娠0週0日
    for offset in range(0, 42 * 7):
        on = first_day + timedelta(days=offset)
        age = gestational_age(DUE, on)
        assert (age.week, age.day) == divmod(offset, 7)
        assert age.label_ja == f"妊娠{offset // 7}週{offset % 7}日"
        assert age.days_until_due == 280 - offset
        assert age.month == offset // 28 + 1


def test_due_date_is_40_weeks_0_days():
    age = gestational_age(DUE, DUE)
    assert age.label_ja == "妊娠40週0日"
    assert age.days_until_due == 0
    assert age.month == 11  # DOMAIN.md: month = week // 4 + 1, so weeks 36–39 are month 10
    assert gestational_age(DUE, DUE - timedelta(days=1)).month == 10


@pytest.mark.parametrize(
    ("week", "day", "period", "term"),
    [
        (4, 0, Period.EARLY, False),
        (13, 6, Period.EARLY, False),
        (14, 0, Period.MIDDLE, False),
        (27, 6, Period.MIDDLE, False),
        (28, 0, Period.LATE, False),
        (36, 6, Period.LATE, False),
        (37, 0, Period.LATE, True),
        (41, 6, Period.LATE, True),
        (42, 0, Period.POST_TERM, False),
    ],
)
def test_pregnancy_periods_and_term(week, day, period, term):
    on = DUE - timedelta(days=280 - week * 7 - day)
    age = gestational_age(DUE, on)
    assert (age.week, age.day, age.period, age.is_term) == (week, day, period, term)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2027, 1, 31), 1, date(2027, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),  # leap year
        (date(2027, 1, 31), 2, date(2027, 3, 31)),
        (date(2027, 3, 31), 1, date(2027, 4, 30)),
        (date(2027, 8, 31), 6, date(2028, 2, 29)),
        (date(2027, 12, 15), 1, date(2028, 1, 15)),
        (date(2027, 11, 30), 3, date(2028, 2, 29)),
        (date(2027, 5, 10), -5, date(2026, 12, 10)),
    ],
)
def test_add_months_keeps_the_day_or_falls_back_to_the_months_last_day(start, months, expected):
    assert add_months(start, months) == expected


def test_child_born_on_jan_31_reaches_months_on_the_month_end():
    birth = date(2027, 1, 31)
    assert whole_months(birth, date(2027, 2, 27)) == 0
    assert whole_months(birth, date(2027, 2, 28)) == 1
    assert whole_months(birth, date(2027, 3, 30)) == 1
    assert whole_months(birth, date(2027, 3, 31)) == 2
    assert whole_months(birth, date(2027, 4, 30)) == 3


def test_child_born_on_feb_29_has_birthdays_on_feb_28_in_common_years():
    birth = date(2028, 2, 29)
    assert add_years(birth, 1) == date(2029, 2, 28)
    assert add_years(birth, 4) == date(2032, 2, 29)
    assert child_age(birth, date(2029, 2, 27)).years == 0
    assert child_age(birth, date(2029, 2, 28)).years == 1
    assert anchors_entering(Stage(Track.CHILD, Unit.YEAR, 1), date(2029, 2, 28)) == [
        date(2028, 2, 28),
        date(2028, 2, 29),
    ]
    assert anchors_entering(Stage(Track.CHILD, Unit.YEAR, 1), date(2029, 3, 1)) == [
        date(2028, 3, 1)
    ]


def test_child_age_in_days_weeks_months_years():
    birth = date(2027, 4, 10)
    assert child_age(birth, birth) == ChildAge(days=0, months=0)
    age = child_age(birth, date(2028, 10, 9))
    assert (age.days, age.weeks, age.months, age.years) == (548, 78, 17, 1)
    assert age.label_ja == "1歳5か月"
    assert child_age(birth, birth - timedelta(days=1)).months == -1


@pytest.mark.parametrize(
    ("months", "label"),
    [(0, "生後0か月"), (4, "生後4か月"), (12, "1歳"), (18, "1歳6か月"), (36, "3歳")],
)
def test_month_labels_in_japanese(months, label):
    assert child_month_label_ja(months) == label


@pytest.mark.parametrize(
    ("stage", "anchor", "start"),
    [
        (Stage(Track.PREGNANCY, Unit.WEEK, 20), DUE, DUE - timedelta(days=140)),
        (Stage(Track.PREGNANCY, Unit.DAY, 28), DUE, DUE - timedelta(days=252)),
        (Stage(Track.PREGNANCY, Unit.MONTH, 3), DUE, DUE - timedelta(days=280 - 56)),
        (Stage(Track.CHILD, Unit.DAY, 0), date(2027, 1, 31), date(2027, 1, 31)),
        (Stage(Track.CHILD, Unit.DAY, 100), date(2027, 1, 31), date(2027, 5, 11)),
        (Stage(Track.CHILD, Unit.WEEK, 3), date(2027, 1, 31), date(2027, 2, 21)),
        (Stage(Track.CHILD, Unit.MONTH, 1), date(2027, 1, 31), date(2027, 2, 28)),
        (Stage(Track.CHILD, Unit.YEAR, 3), date(2028, 2, 29), date(2031, 2, 28)),
    ],
)
def test_stage_start(stage, anchor, start):
    assert stage_start(stage, anchor) == start
    assert anchor in anchors_entering(stage, start)


def test_month_end_inverse_collects_every_later_day_of_the_source_month():
    one_month = Stage(Track.CHILD, Unit.MONTH, 1)
    assert anchors_entering(one_month, date(2027, 2, 28)) == [
        date(2027, 1, 28),
        date(2027, 1, 29),
        date(2027, 1, 30),
        date(2027, 1, 31),
    ]
    assert anchors_entering(one_month, date(2028, 2, 28)) == [date(2028, 1, 28)]
    assert anchors_entering(one_month, date(2028, 2, 29)) == [
        date(2028, 1, 29),
        date(2028, 1, 30),
        date(2028, 1, 31),
    ]
    # Nobody enters month 1 on Mar 29–30 from February (Feb 28 + 1 month is Mar 28).
    assert anchors_entering(one_month, date(2027, 3, 30)) == []
    assert anchors_entering(Stage(Track.CHILD, Unit.MONTH, 2), date(2027, 3, 31)) == [
        date(2027, 1, 31)
    ]


def test_current_stage_number():
    assert current_stage_number(Track.PREGNANCY, Unit.WEEK, DUE, DUE - timedelta(days=1)) == 39
    assert current_stage_number(Track.CHILD, Unit.MONTH, date(2027, 1, 31), date(2027, 3, 31)) == 2
    assert current_stage_number(Track.CHILD, Unit.YEAR, date(2027, 1, 31), date(2030, 1, 31)) == 3


def test_invalid_stages_are_refused():
    with pytest.raises(ValueError):
        Stage(Track.PREGNANCY, Unit.YEAR, 1)
    with pytest.raises(ValueError):
        Stage(Track.CHILD, Unit.DAY, -1)
    assert Stage.from_key("child:month:4") == Stage(Track.CHILD, Unit.MONTH, 4)
    assert Stage(Track.CHILD, Unit.MONTH, 4).key == "child:month:4"


# Property tests: forward and inverse agree over wide ranges.

dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31))


@st.composite
def stages(draw):
    track = draw(st.sampled_from(list(Track)))
    if track == Track.PREGNANCY:
        unit = draw(st.sampled_from([Unit.DAY, Unit.WEEK, Unit.MONTH]))
        limit = {Unit.DAY: 300, Unit.WEEK: 43, Unit.MONTH: 11}[unit]
        return Stage(track, unit, draw(st.integers(1 if unit == Unit.MONTH else 0, limit)))
    unit = draw(st.sampled_from(list(Unit)))
    limit = {Unit.DAY: 2200, Unit.WEEK: 320, Unit.MONTH: 84, Unit.YEAR: 7}[unit]
    return Stage(track, unit, draw(st.integers(0, limit)))


@settings(max_examples=3000, deadline=None)
@given(stage=stages(), anchor=dates)
def test_every_anchor_is_found_by_the_inverse_on_its_start_date(stage, anchor):
    start = stage_start(stage, anchor)
    assert anchor in anchors_entering(stage, start)


@settings(max_examples=3000, deadline=None)
@given(stage=stages(), on=dates)
def test_every_anchor_from_the_inverse_starts_the_stage_on_that_date(stage, on):
    anchors = anchors_entering(stage, on)
    assert anchors == sorted(set(anchors))
    assert len(anchors) <= 4
    for anchor in anchors:
        assert stage_start(stage, anchor) == on


@settings(max_examples=300, deadline=None)
@given(months=st.integers(0, 84), on=dates)
def test_inverse_is_complete_for_month_stages(months, on):
    stage = Stage(Track.CHILD, Unit.MONTH, months)
    window_start = add_months(on, -months) - timedelta(days=4)
    brute_force = [
        window_start + timedelta(days=i)
        for i in range(9)
        if stage_start(stage, window_start + timedelta(days=i)) == on
    ]
    assert anchors_entering(stage, on) == brute_force


@settings(max_examples=1000, deadline=None)
@given(birth=dates, on=dates)
def test_whole_months_is_the_largest_n_not_after_the_date(birth, on):
    months = whole_months(birth, on)
    if on < birth:
        assert months == -1
        return
    assert add_months(birth, months) <= on < add_months(birth, months + 1)
    assert current_stage_number(Track.CHILD, Unit.MONTH, birth, on) == months


def test_the_calendar_imports_nothing_from_django():
    code = (
        "import sys, content.stages; "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] == 'django'); "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_due_date_moved_later_brings_back_the_stages_already_entered():
    weeks = [Stage(Track.PREGNANCY, Unit.WEEK, week) for week in range(4, 43)]
    today = DUE - timedelta(weeks=18)  # 22w0d
    # Two weeks later: weeks 20–22 come round again, the last of them in two weeks' time.
    later = DUE + timedelta(weeks=2)
    assert last_day_entered_again(weeks, DUE, later, today) == today + timedelta(weeks=2)
    # Three days later: only week 22 (entered today) comes round, in three days.
    assert last_day_entered_again(weeks, DUE, DUE + timedelta(days=3), today) == today + timedelta(
        days=3
    )
    # Earlier, or before any stage was entered: nothing comes round.
    assert last_day_entered_again(weeks, DUE, DUE - timedelta(weeks=2), today) is None
    assert last_day_entered_again(weeks, DUE, later, DUE - timedelta(weeks=37)) is None


def test_a_birth_after_the_due_date_brings_back_the_child_days_sent_by_the_due_date():
    days = [Stage(Track.CHILD, Unit.DAY, day) for day in range(101)]
    today = DUE + timedelta(days=20)  # child day 20 by the due date
    born = DUE + timedelta(days=6)
    assert last_day_entered_again(days, DUE, born, today) == today + timedelta(days=6)
