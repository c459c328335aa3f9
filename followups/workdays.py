"""Working days of a municipal office: no weekends, national holidays (jpholiday) or, where the
municipality closes then, 年末年始 (12/29–1/3). Plain Python on dates."""

from __future__ import annotations

import datetime

import jpholiday


def is_closed(day: datetime.date, *, year_end: bool = True) -> bool:
    if day.weekday() >= 5 or jpholiday.is_holiday(day):
        return True
    return year_end and ((day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3))


def add_working_days(start: datetime.date, days: int, *, year_end: bool = True) -> datetime.date:
    """The ``days``-th working day after ``start`` (the day a case opened does not count)."""
    day = start
    counted = 0
    while counted < days:
        day += datetime.timedelta(days=1)
        if not is_closed(day, year_end=year_end):
            counted += 1
    return day


def working_days_late(due: datetime.date, today: datetime.date, *, year_end: bool = True) -> int:
    """Working days from ``due`` to ``today`` (0 when not yet overdue)."""
    late, day = 0, due
    while day < today:
        day += datetime.timedelta(days=1)
        if not is_closed(day, year_end=year_end):
            late += 1
    return late
