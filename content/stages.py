"""The stage calendar: pregnancy weeks and child ages on Asia/Tokyo calendar dates.

Pure Python on `datetime.date`, free of Django, so that the planner, previews and tests share one
definition of "which stage is this family in today" (see shared/DOMAIN.md).

Anchors: a pregnancy is anchored on its due date (40 weeks 0 days), a child on its birth date.
A stage is (track, unit, number); its message is due on the date the family *enters* it.
"""

from __future__ import annotations

import calendar
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

FULL_TERM_DAYS = 280  # 40 weeks 0 days: the due date
DAYS_PER_WEEK = 7


class Track(StrEnum):
    PREGNANCY = "pregnancy"
    CHILD = "child"


class Unit(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"


class Period(StrEnum):
    """妊娠初期・中期・後期 (and 過期 from 42 weeks)."""

    EARLY = "early"  # up to 13w6d
    MIDDLE = "middle"  # 14w0d–27w6d
    LATE = "late"  # 28w0d–41w6d
    POST_TERM = "post_term"  # 42w0d and later


PERIOD_LABELS_JA = {
    Period.EARLY: "妊娠初期",
    Period.MIDDLE: "妊娠中期",
    Period.LATE: "妊娠後期",
    Period.POST_TERM: "過期妊娠",
}


@dataclass(frozen=True, order=True)
class Stage:
    track: Track
    unit: Unit
    number: int

    def __post_init__(self) -> None:
        if self.number < 0:
            raise ValueError(f"a stage number cannot be negative: {self.number}")
        if self.track == Track.PREGNANCY and self.unit == Unit.YEAR:
            raise ValueError("a pregnancy has no stages counted in years")
        if self.track == Track.PREGNANCY and self.unit == Unit.MONTH and self.number < 1:
            raise ValueError("Japanese pregnancy months start at 1 (妊娠1か月)")

    @property
    def key(self) -> str:
        """A stable text key such as ``pregnancy:week:20``."""
        return f"{self.track}:{self.unit}:{self.number}"

    @classmethod
    def from_key(cls, key: str) -> Stage:
        return _stage_from_key(key)  # a few hundred stages, parsed from a million keys a day


@functools.lru_cache(maxsize=4096)
def _stage_from_key(key: str) -> Stage:
    track, unit, number = key.split(":")
    return Stage(Track(track), Unit(unit), int(number))


@dataclass(frozen=True)
class GestationalAge:
    """How far a pregnancy has come on a date: 妊娠{week}週{day}日."""

    days: int
    days_until_due: int

    @property
    def week(self) -> int:
        return self.days // DAYS_PER_WEEK

    @property
    def day(self) -> int:
        return self.days % DAYS_PER_WEEK

    @property
    def month(self) -> int:
        """Japanese pregnancy month (妊娠月数): weeks 0–3 are month 1, weeks 36–39 month 10."""
        return self.week // 4 + 1

    @property
    def period(self) -> Period:
        if self.week < 14:
            return Period.EARLY
        if self.week < 28:
            return Period.MIDDLE
        if self.week < 42:
            return Period.LATE
        return Period.POST_TERM

    @property
    def is_term(self) -> bool:
        """正期産: 37w0d–41w6d."""
        return 37 <= self.week <= 41

    @property
    def label_ja(self) -> str:
        return f"妊娠{self.week}週{self.day}日"


@dataclass(frozen=True)
class ChildAge:
    """How old a child is on a date (birth day is 生後0日)."""

    days: int
    months: int

    @property
    def weeks(self) -> int:
        return self.days // DAYS_PER_WEEK

    @property
    def years(self) -> int:
        return self.months // 12

    @property
    def label_ja(self) -> str:
        return child_month_label_ja(self.months)


def gestational_age(due: date, on: date) -> GestationalAge:
    """The pregnancy's age on ``on`` for due date ``due`` (negative days before week 0)."""
    days_until_due = (due - on).days
    return GestationalAge(days=FULL_TERM_DAYS - days_until_due, days_until_due=days_until_due)


def add_months(start: date, months: int) -> date:
    """``start`` plus whole months, keeping the day or falling back to the month's last day.

    Born Jan 31: 1 month on Feb 28 (Feb 29 in a leap year), 2 months on Mar 31.
    """
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    last_day = calendar.monthrange(year, month)[1]
    return date(year, month, min(start.day, last_day))


def add_years(start: date, years: int) -> date:
    """Birthdays: a child born on Feb 29 celebrates on Feb 28 in common years."""
    return add_months(start, 12 * years)


def whole_months(birth: date, on: date) -> int:
    """The largest N with ``add_months(birth, N) <= on`` (生後Nか月); -1 before the birth."""
    if on < birth:
        return -1
    months = (on.year - birth.year) * 12 + (on.month - birth.month)
    while add_months(birth, months) > on:
        months -= 1
    return months


def child_age(birth: date, on: date) -> ChildAge:
    """The child's age on ``on``; ``days`` is negative before the birth."""
    return ChildAge(days=(on - birth).days, months=whole_months(birth, on))


def child_month_label_ja(months: int) -> str:
    """生後4か月, 1歳, 1歳6か月 … as parents and the 母子健康手帳 say it."""
    years, rest = divmod(months, 12)
    if years == 0:
        return f"生後{rest}か月"
    if rest == 0:
        return f"{years}歳"
    return f"{years}歳{rest}か月"


def stage_start(stage: Stage, anchor: date) -> date:
    """The date a family with this anchor (due date or birth date) enters ``stage``."""
    if stage.track == Track.PREGNANCY:
        return anchor - _days_before_due(stage)
    if stage.unit == Unit.DAY:
        return anchor + timedelta(days=stage.number)
    if stage.unit == Unit.WEEK:
        return anchor + timedelta(days=stage.number * DAYS_PER_WEEK)
    if stage.unit == Unit.MONTH:
        return add_months(anchor, stage.number)
    return add_years(anchor, stage.number)


def last_day_entered_again(
    stages: Iterable[Stage], old_anchor: date, new_anchor: date, today: date
) -> date | None:
    """When an anchor moves later, the family enters again stages it has already been through.

    Returns the last day, from ``today`` on, on which it enters again one of ``stages`` that it
    had entered by ``today`` under ``old_anchor``; None when nothing comes round again.
    """
    again = [
        stage_start(stage, new_anchor)
        for stage in stages
        if stage_start(stage, old_anchor) <= today
    ]
    latest = max(again, default=None)
    return latest if latest is not None and latest >= today else None


def _days_before_due(stage: Stage) -> timedelta:
    gestational_days = {
        Unit.DAY: stage.number,
        Unit.WEEK: stage.number * DAYS_PER_WEEK,
        Unit.MONTH: (stage.number - 1) * 4 * DAYS_PER_WEEK,
    }[stage.unit]
    return timedelta(days=FULL_TERM_DAYS - gestational_days)


def anchors_entering(stage: Stage, on: date) -> list[date]:
    """Every anchor date whose family enters ``stage`` on ``on``, oldest first.

    The inverse of :func:`stage_start`. Day and week stages have exactly one anchor; month and
    year stages have none on some dates and up to four at a month's end (Jan 28–31 all reach
    1 month on Feb 28 of a common year).
    """
    if stage.track == Track.PREGNANCY or stage.unit in (Unit.DAY, Unit.WEEK):
        return [_single_anchor(stage, on)]
    months = stage.number * (12 if stage.unit == Unit.YEAR else 1)
    return _birth_dates_reaching(months, on)


def _single_anchor(stage: Stage, on: date) -> date:
    if stage.track == Track.PREGNANCY:
        return on + _days_before_due(stage)
    step = DAYS_PER_WEEK if stage.unit == Unit.WEEK else 1
    return on - timedelta(days=stage.number * step)


def _birth_dates_reaching(months: int, on: date) -> list[date]:
    source = add_months(date(on.year, on.month, 1), -months)
    source_last_day = calendar.monthrange(source.year, source.month)[1]
    if on.day < calendar.monthrange(on.year, on.month)[1]:
        # Only the same day of the month lands here, if the source month has that day.
        days = range(on.day, min(on.day, source_last_day) + 1)
    else:
        # The target month's last day also collects every later day of the source month.
        days = range(on.day, source_last_day + 1)
    return [date(source.year, source.month, day) for day in days]


def current_stage_number(track: Track, unit: Unit, anchor: date, on: date) -> int:
    """The number of the ``unit`` stage the family is in on ``on`` (e.g. the current week)."""
    if track == Track.PREGNANCY:
        pregnancy = gestational_age(anchor, on)
        return {Unit.DAY: pregnancy.days, Unit.WEEK: pregnancy.week, Unit.MONTH: pregnancy.month}[
            unit
        ]
    child = child_age(anchor, on)
    return {
        Unit.DAY: child.days,
        Unit.WEEK: child.weeks,
        Unit.MONTH: child.months,
        Unit.YEAR: child.years,
    }[unit]
