"""A child's or a pregnancy's vaccination schedule, from the rules (vaccinations/rules.py).

Pure Python on dates, no Django. The routine schedule counts from the birth date, also for a
baby born early (no corrected age); a pregnancy's from 妊娠0週0日 (due date − 280 days). A dose
given late moves the earliest day of the one that follows it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum

from .rules import Age, Dose, Rules, Vaccine, all_rules

FULL_TERM_DAYS = 280
ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Given:
    """A dose recorded as given (by a parent), with its product where it matters."""

    dose: str
    on: date
    product: str = ""


class Status(StrEnum):
    DONE = "done"
    OPEN = "open"  # may be given today
    UPCOMING = "upcoming"  # from a later day
    WAITING = "waiting"  # after the previous dose, not recorded yet
    OVERDUE = "overdue"  # the last day has passed
    CLOSED = "closed"  # can no longer be given in the routine programme (its window is gone)


STATUS_JA = {
    Status.DONE: "接種済み",
    Status.OPEN: "受けられます",
    Status.UPCOMING: "これから",
    Status.WAITING: "前の回のあと",
    Status.OVERDUE: "期限を過ぎています",
    Status.CLOSED: "対象外になりました",
}


@dataclass(frozen=True)
class DoseDates:
    """One dose's days for one child: the earliest day, the recommended window, the last day."""

    vaccine: Vaccine
    dose: Dose
    earliest: date | None  # None: waits for the previous dose to be recorded
    recommended_from: date | None
    recommended_until: date | None
    last_day: date | None  # None: no end (an optional vaccine)
    given: Given | None = None
    product: str = ""
    undecided_choice: bool = False  # ロタ before the first dose: 1価 or 5価 is still open

    @property
    def name(self) -> str:
        label = f" {self.dose.label}" if self.dose.label else ""
        if self.undecided_choice:
            return f"{self.vaccine.name.split('（')[0]}（1価または5価） {self.dose.label}"
        return f"{self.vaccine.name}{label}"

    @property
    def possible(self) -> bool:
        return self.earliest is not None and (
            self.last_day is None or self.earliest <= self.last_day
        )

    def status(self, today: date) -> Status:
        if self.given is not None:
            return Status.DONE
        if self.earliest is None:
            return Status.WAITING
        if not self.possible:
            return Status.CLOSED
        if self.last_day is not None and today > self.last_day:
            return Status.OVERDUE
        if today < self.earliest:
            return Status.UPCOMING
        return Status.OPEN


def school_entry(born: date) -> date:
    """April 1 of the year the child starts primary school (born by April 1 → a year earlier:
    a child reaches an age on the day before the birthday, 年齢計算ニ関スル法律)."""
    year = born.year + 6 if (born.month, born.day) <= (4, 1) else born.year + 7
    return date(year, 4, 1)


def _until(age: Age | None, start: date) -> date | None:
    """The last day before ``age`` is reached (に至るまで)."""
    return age.after(start) - ONE_DAY if age is not None else None


def _last_day(dose: Dose, start: date) -> date | None:
    if dose.school_year_before_entry:
        return school_entry(start) - ONE_DAY
    if dose.through_age is not None:
        return dose.through_age.after(start)
    return _until(dose.before_age, start)


def _clip(day: date | None, low: date | None, high: date | None) -> date | None:
    if day is None:
        return None
    if low is not None and day < low:
        day = low
    if high is not None and day > high:
        day = high
    return day


def dose_dates(vaccine: Vaccine, dose: Dose, start: date, given: dict[str, Given]) -> DoseDates:
    """``start`` is the birth date, or 妊娠0週0日 for a vaccine in pregnancy."""
    last = _last_day(dose, start)
    if vaccine.applies_until is not None:
        last = min(last, vaccine.applies_until) if last else vaccine.applies_until
    if dose.school_year_before_entry:
        earliest: date | None = date(school_entry(start).year - 1, 4, 1)
        recommended_from, recommended_until = earliest, last
    else:
        assert dose.earliest is not None  # noqa: S101 (rules.read refuses a dose without one)
        earliest = dose.earliest.after(start)
        recommended_from = dose.recommended_from.after(start) if dose.recommended_from else None
        recommended_until = _until(dose.recommended_until, start)
        if dose.after is not None:
            previous = given.get(dose.after)
            if previous is None:
                earliest = None
            else:
                assert dose.interval is not None  # noqa: S101 (rules.read checks it)
                earliest = max(earliest, dose.interval.after(previous.on))
                if dose.recommended_interval_from is not None:
                    from_previous = dose.recommended_interval_from.after(previous.on)
                    recommended_from = max(recommended_from or earliest, from_previous)
                if dose.recommended_interval_until is not None:
                    until_previous = dose.recommended_interval_until.after(previous.on)
                    recommended_until = until_previous
    if earliest is not None and vaccine.applies_from is not None:
        earliest = max(earliest, vaccine.applies_from)
    if earliest is not None:
        recommended_from = _clip(recommended_from or earliest, earliest, last)
        recommended_until = _clip(recommended_until or last, recommended_from, last)
    else:
        recommended_from = recommended_until = None
    product = vaccine.product
    if vaccine.products:
        first = given.get(vaccine.doses[0].code)
        if first is not None and first.product:
            product = first.product  # a course started on one product finishes on it
        elif first is not None:
            product = vaccine.product_on(first.on)
        else:
            product = vaccine.product_on(earliest or start)
    return DoseDates(
        vaccine=vaccine,
        dose=dose,
        earliest=earliest,
        recommended_from=recommended_from,
        recommended_until=recommended_until,
        last_day=last,
        given=given.get(dose.code),
        product=product,
    )


def _shown(vaccine: Vaccine, rules: Rules, given: dict[str, Given]) -> bool:
    """Of vaccines that are one choice (ロタ 1価 / 5価), the one whose first dose is recorded,
    or before that the first of them only (its first dose is the same for all)."""
    if not vaccine.choice_of:
        return True
    group = [v for v in rules.vaccines if v.choice_of == vaccine.choice_of]
    chosen = [v for v in group if v.doses[0].code in given]
    return vaccine is (chosen[0] if chosen else group[0])


def child_schedule(
    born: date,
    given: Iterable[Given] = (),
    *,
    optional: Collection[str] = (),
    rules: Rules | None = None,
) -> list[DoseDates]:
    """Every routine dose of a child born on ``born`` (and the optional vaccines switched on)."""
    rules = rules or all_rules()
    done = {g.dose: g for g in given}
    return [
        replace(dose_dates(vaccine, dose, born, done), undecided_choice=_undecided(vaccine, done))
        for vaccine in rules.vaccines
        if not vaccine.pregnancy
        and vaccine.covers_birth(born)
        and (not vaccine.optional or vaccine.code in optional)
        and _shown(vaccine, rules, done)
        for dose in vaccine.doses
        if _applies(vaccine, dose, born, done)
    ]


def _undecided(vaccine: Vaccine, done: dict[str, Given]) -> bool:
    return bool(vaccine.choice_of) and vaccine.doses[0].code not in done


def _applies(vaccine: Vaccine, dose: Dose, start: date, done: dict[str, Given]) -> bool:
    """A vaccine introduced on a date (RSV from April 2026) is left out where its window closed
    before then."""
    if vaccine.applies_from is None:
        return True
    last = _last_day(dose, start)
    return last is None or last >= vaccine.applies_from or dose.code in done


def pregnancy_schedule(
    due: date, given: Iterable[Given] = (), *, rules: Rules | None = None
) -> list[DoseDates]:
    """The vaccines in pregnancy (RSV, 妊娠28週0日–36週6日) for a pregnancy due on ``due``."""
    rules = rules or all_rules()
    done = {g.dose: g for g in given}
    week_zero = due - timedelta(days=FULL_TERM_DAYS)
    return [
        dose_dates(vaccine, dose, week_zero, done)
        for vaccine in rules.vaccines
        if vaccine.pregnancy
        for dose in vaccine.doses
        if _applies(vaccine, dose, week_zero, done)
    ]


class Reminder(StrEnum):
    OPENS = "opens"  # the earliest day is coming
    DEADLINE = "deadline"  # the last day is coming


REMINDER_CODES = {Reminder.OPENS: 1, Reminder.DEADLINE: 2}


def reminder_id(reminder: Reminder, day: date) -> int:
    """The record id of a reminder's message key: the day it speaks of and what it says.

    One message per child, day and kind of reminder, whatever number of doses it lists."""
    return day.toordinal() * 10 + REMINDER_CODES[reminder]


def read_reminder_id(record_id: int) -> tuple[Reminder, date]:
    day, code = divmod(record_id, 10)
    reminder = next(r for r, c in REMINDER_CODES.items() if c == code)
    return reminder, date.fromordinal(day)


def due_for_reminder(
    schedule: Iterable[DoseDates], reminder: Reminder, day: date
) -> list[DoseDates]:
    """The doses, not given yet, whose window opens (OPENS: the first day of the recommended
    window, as parents are told to book) or closes (DEADLINE: the last day) on ``day``."""
    found = []
    for entry in schedule:
        if entry.given is not None or not entry.possible:
            continue
        day_of_entry = entry.recommended_from if reminder == Reminder.OPENS else entry.last_day
        if day_of_entry == day:
            found.append(entry)
    return found


# Planning: the same days as the schedule above, inverted into the few birth dates, due dates
# and recorded doses whose children a day's reminders are for (the planner's indexed joins).


@dataclass(frozen=True)
class ByAnchor:
    """Children born (or due) between ``first`` and ``last`` are reminded of ``dose`` on the
    day, unless it (or one of ``same_as``) is recorded; where ``after`` is set, only once that
    dose is recorded on or before ``after_by``."""

    reminder: Reminder
    dose: str
    same_as: tuple[str, ...]
    first: date
    last: date
    after: str | None = None
    after_by: date | None = None
    pregnancy: bool = False


@dataclass(frozen=True)
class ByRecord:
    """Children whose ``after`` dose was recorded on ``given_on`` can have ``dose`` from the
    day, if born by ``born_by`` (the dose's own earliest age is reached)."""

    dose: str
    after: str
    given_on: date
    born_by: date
    born_from: date | None


def _ranges(starts: Iterable[date]) -> list[tuple[date, date]]:
    return [(start, start) for start in starts]


def _cohort(vaccine: Vaccine, first: date, last: date) -> tuple[date, date] | None:
    low = max(first, vaccine.born_from) if vaccine.born_from else first
    high = min(last, vaccine.born_until) if vaccine.born_until else last
    return (low, high) if low <= high else None


def _in_use(vaccine: Vaccine, day: date) -> bool:
    return (vaccine.applies_from is None or vaccine.applies_from <= day) and (
        vaccine.applies_until is None or day <= vaccine.applies_until
    )


def _first_of_choice(vaccine: Vaccine, rules: Rules) -> tuple[bool, tuple[str, ...]]:
    """Whether this vaccine speaks for its choice's first dose, and the codes of that dose."""
    if not vaccine.choice_of:
        return True, (vaccine.doses[0].code,)
    group = [v for v in rules.vaccines if v.choice_of == vaccine.choice_of]
    return group[0] is vaccine, tuple(v.doses[0].code for v in group)


def plan_candidates(
    reminder: Reminder, day: date, *, optional: Collection[str] = (), rules: Rules | None = None
) -> tuple[list[ByAnchor], list[ByRecord]]:
    """Who may have a dose open (or closing) on ``day``: by anchor date, and by recorded dose.

    At most a few more than the schedule above finds, where a child's own records move a day
    (the schedule decides again at sending); never fewer."""
    rules = rules or all_rules()
    anchors: list[ByAnchor] = []
    records: list[ByRecord] = []
    for vaccine in rules.vaccines:
        if (vaccine.optional and vaccine.code not in optional) or not _in_use(vaccine, day):
            continue
        speaks_first, first_codes = _first_of_choice(vaccine, rules)
        shift = timedelta(days=FULL_TERM_DAYS) if vaccine.pregnancy else timedelta()
        for dose in vaccine.doses:
            first_dose = dose is vaccine.doses[0]
            if first_dose and not speaks_first:
                continue
            after_by = None
            if reminder == Reminder.OPENS:
                found = _opening(vaccine, dose, day)
                if dose.after is not None:
                    interval = dose.recommended_interval_from or dose.interval
                    age = dose.recommended_from or dose.earliest
                    assert interval is not None and age is not None  # noqa: S101
                    after_by = interval.latest_start_reached_by(day)
                    born_by = age.latest_start_reached_by(day)
                    records += [
                        ByRecord(dose.code, dose.after, given_on, born_by, vaccine.born_from)
                        for given_on in interval.starts_reaching(day)
                    ]
            else:
                found = _closing(dose, day)
                after_by = day if dose.after is not None else None
            for first, last in found:
                cohort = (first, last) if vaccine.pregnancy else _cohort(vaccine, first, last)
                if cohort is None:
                    continue
                anchors.append(
                    ByAnchor(
                        reminder=reminder,
                        dose=dose.code,
                        same_as=first_codes if first_dose else (dose.code,),
                        first=cohort[0] + shift,
                        last=cohort[1] + shift,
                        after=dose.after,
                        after_by=after_by,
                        pregnancy=vaccine.pregnancy,
                    )
                )
    return anchors, records


def _first_start_still_open(dose: Dose, day: date) -> date:
    """The earliest start date whose last day for ``dose`` is ``day`` or later."""
    if dose.through_age is not None:
        return dose.through_age.latest_start_reached_by(day - ONE_DAY) + ONE_DAY
    if dose.before_age is not None:
        return dose.before_age.latest_start_reached_by(day) + ONE_DAY
    return date.min + timedelta(days=FULL_TERM_DAYS)


def _opening(vaccine: Vaccine, dose: Dose, day: date) -> list[tuple[date, date]]:
    if dose.school_year_before_entry:
        if (day.month, day.day) != (4, 1):
            return []
        return [(date(day.year - 6, 4, 2), date(day.year - 5, 4, 1))]
    age = dose.recommended_from or dose.earliest
    assert age is not None  # noqa: S101
    if vaccine.applies_from is not None and day == vaccine.applies_from:
        # Introduced today: everyone already past the age and still within the window.
        low = _first_start_still_open(dose, day)
        return [(low, age.latest_start_reached_by(day))]
    return _ranges(age.starts_reaching(day))


def _closing(dose: Dose, day: date) -> list[tuple[date, date]]:
    if dose.school_year_before_entry:
        if (day.month, day.day) != (3, 31):
            return []
        return [(date(day.year - 7, 4, 2), date(day.year - 6, 4, 1))]
    if dose.through_age is not None:
        return _ranges(dose.through_age.starts_reaching(day))
    if dose.before_age is not None:
        return _ranges(dose.before_age.starts_reaching(day + ONE_DAY))
    return []


def rules_version() -> str:
    """The version of the rules a message or a page was made from (recorded with each text)."""
    return all_rules().version
