"""The daily programme's bands and cadences (content.programme), pure."""

import datetime
import itertools

import pytest
from django.utils import translation

from content.programme import (
    ALL_PROGRAMME_STAGES,
    BANDS,
    FINEST,
    PRESETS,
    Programme,
    anchor_wins,
    first_grade_end,
    is_anchor,
    promise,
    stages_by_day,
)
from content.stages import Stage, Track, Unit, child_month_label_ja, stage_start
from kizuna.choices import Cadence

D = datetime.date


@pytest.mark.parametrize(
    ("birth", "end"),
    [
        (D(2019, 4, 2), D(2027, 3, 31)),  # the oldest of the year: 7歳11か月
        (D(2019, 4, 1), D(2026, 3, 31)),  # born on 1 April: the year above
        (D(2020, 1, 31), D(2027, 3, 31)),
        (D(2020, 2, 29), D(2027, 3, 31)),
    ],
)
def test_the_programme_can_end_with_the_first_school_year(birth, end):
    assert first_grade_end(birth) == end
    assert Programme(to_first_grade=True).end(birth) == end
    assert Programme(to_first_grade=True, preschool=Cadence.OFF).end(birth) == D(
        birth.year + 3, birth.month, min(birth.day, 28 if birth.month == 2 else 31)
    )


FINEST_TO_COARSEST = {
    "pregnancy": (Cadence.DAILY, Cadence.WEEKLY),
    "newborn": (Cadence.DAILY, Cadence.WEEKLY),
    "infant": (Cadence.EVERY_3_DAYS, Cadence.WEEKLY, Cadence.MONTHLY),
    "age_one": (Cadence.WEEKLY, Cadence.EVERY_14_DAYS, Cadence.MONTHLY),
    "age_two": (Cadence.WEEKLY, Cadence.EVERY_14_DAYS, Cadence.MONTHLY),
    "preschool": (Cadence.WEEKLY, Cadence.MONTHLY, Cadence.OFF),
}


@pytest.mark.parametrize("band", [band.name for band in BANDS])
def test_every_coarser_cadence_is_a_subset_of_a_finer_one_and_keeps_the_anchors(band):
    assert set(FINEST_TO_COARSEST[band]) == set(next(b for b in BANDS if b.name == band).choices)
    anchors = {s for s in ALL_PROGRAMME_STAGES if is_anchor(s)}
    original = {s for s in anchors if not (s.unit == Unit.MONTH and s.number > 36)}
    chain = [
        set(Programme(**{band: cadence}, to_first_grade=True).stages())
        for cadence in FINEST_TO_COARSEST[band]
    ]
    for finer, coarser in itertools.pairwise(chain):
        assert coarser <= finer
    assert all(original <= stages for stages in chain)


def test_the_presets_nest():
    daily, weekly, light = (
        Programme(**PRESETS[k][1]).stages() for k in ("daily", "weekly", "light")
    )
    assert set(light) <= set(weekly) <= set(daily)
    assert len(daily) > 540 and len(light) == 98  # the original programme: 39 + 59 stages


def test_the_finest_programme_is_the_pack_promise():
    stages = FINEST.stages()
    pregnancy_days = [s for s in stages if s.track == Track.PREGNANCY and s.unit == Unit.DAY]
    assert len(pregnancy_days) == 266 - 38  # every day 4w0d–41w6d but the week anchors
    assert Stage(Track.CHILD, Unit.DAY, 7) not in stages  # 生後1週 is that day's text
    infant = [
        s.number
        for s in stages
        if s.track == Track.CHILD and s.unit == Unit.DAY and 100 < s.number < 365
    ]
    assert infant == list(range(103, 365, 3))
    assert [s.number for s in stages if s.unit == Unit.WEEK and s.number > 104][:3] == [
        106,
        108,
        110,
    ]
    assert max(s.number for s in stages if s.unit == Unit.MONTH) == 95
    assert child_month_label_ja(95) == "7歳11か月"


def test_weekly_in_the_first_year_takes_the_first_3_day_step_of_each_week():
    weekly = Programme(infant=Cadence.WEEKLY).stages()
    days = [s.number for s in weekly if s.unit == Unit.DAY and 100 < s.number < 365]
    assert days[:4] == [103, 106, 112, 121]  # weeks 14–17 (days 98–125)
    assert all(b - a in (3, 6, 9) for a, b in itertools.pairwise(days))
    assert len({d // 7 for d in days}) == len(days)


def test_an_anchor_wins_over_a_step_on_the_same_day():
    step, month = Stage(Track.CHILD, Unit.DAY, 121), Stage(Track.CHILD, Unit.MONTH, 4)
    assert anchor_wins(step, month) == month == anchor_wins(month, step)
    birth = D(2027, 1, 1)  # 生後4か月 on 1 May = 生後120日
    assert stage_start(month, birth) == stage_start(Stage(Track.CHILD, Unit.DAY, 120), birth)
    by_day = dict(stages_by_day(FINEST.stages(), birth, D(2027, 4, 25), D(2027, 5, 5)))
    assert by_day[D(2027, 5, 1)] == month
    assert len(by_day) == len(set(by_day))


def test_the_signup_promise_follows_the_cadence():
    with translation.override("ja"):
        daily = promise(Programme(**PRESETS["daily"][1], to_first_grade=True))
        light = promise(Programme(**PRESETS["light"][1]))
    assert daily.until == "小学1年生の3月"
    assert daily.pregnancy.startswith("妊娠中：妊娠4週から毎日")
    assert "生後100日までは毎日、1歳までは3日ごと、1歳の1年は毎週" in daily.child
    assert light.until == "3歳の誕生日" and "3歳から" not in light.child
    assert "妊娠4週から毎週" in light.pregnancy
