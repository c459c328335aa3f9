"""Working days and thresholds: plain functions, no database."""

import datetime

import pytest

from followups.scoring import Given, Option, OptionError, evaluate, parse_options
from followups.workdays import add_working_days, is_closed, working_days_late

D = datetime.date


@pytest.mark.parametrize(
    ("opened", "due"),
    [
        (D(2026, 11, 24), D(2026, 11, 27)),  # Tue → Fri
        (D(2026, 11, 20), D(2026, 11, 26)),  # Fri: weekend, then 11/23 勤労感謝の日 (Mon)
        (D(2026, 12, 28), D(2027, 1, 6)),  # 年末年始 12/29–1/3, then 1/4, 1/5, 1/6
        (D(2026, 12, 25), D(2027, 1, 5)),  # Fri: 12/28, then 年末年始, then 1/4, 1/5
        (D(2026, 4, 30), D(2026, 5, 8)),  # Golden Week: 5/1, (5/2–5/6 incl. 振替休日), 5/7, 5/8
        (D(2027, 4, 28), D(2027, 5, 7)),  # 4/29 昭和の日, 4/30, (5/1–5/5), 5/6, 5/7
        (D(2026, 9, 18), D(2026, 9, 28)),  # 敬老の日 9/21, 国民の休日 9/22, 秋分の日 9/23
        (D(2026, 12, 30), D(2027, 1, 6)),  # opened on a closed day: counting starts 1/4
    ],
)
def test_three_working_days_skip_weekends_holidays_and_the_year_end(opened, due):
    assert add_working_days(opened, 3) == due


def test_a_municipality_open_over_the_year_end_counts_those_days():
    assert add_working_days(D(2026, 12, 28), 3, year_end=False) == D(2026, 12, 31)
    assert not is_closed(D(2026, 12, 29), year_end=False)
    assert is_closed(D(2027, 1, 1), year_end=False)  # 元日 is a national holiday anyway


def test_working_days_late_counts_only_open_days():
    assert working_days_late(D(2026, 11, 27), D(2026, 11, 27)) == 0
    assert working_days_late(D(2026, 11, 27), D(2026, 11, 30)) == 1  # the weekend is not late
    assert working_days_late(D(2026, 12, 28), D(2027, 1, 5)) == 2


def test_options_read_points_and_the_contact_mark_in_either_bar():
    assert parse_options("0|まったくない\n3｜よくある|連絡\n", scored=True) == [
        Option("まったくない", 0),
        Option("よくある", 3, contact=True),
    ]
    assert parse_options("面談を希望する|連絡\nいらない", scored=False) == [
        Option("面談を希望する", None, True),
        Option("いらない"),
    ]
    with pytest.raises(OptionError, match="1行目"):
        parse_options("まったくない", scored=True)
    with pytest.raises(OptionError, match="2行目"):
        parse_options("a\nb|c", scored=False)


SCALE = tuple(Option(f"{p}点", p) for p in range(4))


def items(points, *, item_threshold_on=None):
    return [
        Given(n, SCALE, (p + 1,), 1 if n == item_threshold_on else None)
        for n, p in enumerate(points, start=1)
    ]


def test_a_total_at_the_threshold_opens_a_case_and_one_below_does_not():
    below = evaluate(items([1] * 8 + [0, 0]), total_threshold=9)
    assert below.total == 8 and not below.opens_case
    at = evaluate(items([1] * 9 + [0]), total_threshold=9)
    assert at.total == 9 and at.opens_case and at.crossed
    assert at.reasons == ["合計9点（9点以上）"]


def test_an_item_threshold_opens_a_case_whatever_the_total():
    result = evaluate(items([0] * 9 + [1], item_threshold_on=10), total_threshold=9)
    assert result.total == 1 and result.crossed
    assert result.reasons == ["問10が1点（1点以上）"]
    calm = evaluate(items([0] * 10, item_threshold_on=10), total_threshold=9)
    assert not calm.opens_case


def test_a_wish_to_be_contacted_opens_a_case_without_crossing_a_threshold():
    wish = (Option("いまは希望しない"), Option("面談を希望する", contact=True))
    result = evaluate([Given(6, wish, (2,))], total_threshold=None)
    assert result.wants_contact and result.opens_case and not result.crossed
    assert result.reasons == ["問6で連絡を希望"]
    assert result.total is None
    assert not evaluate([Given(6, wish, (1,))], total_threshold=None).opens_case
