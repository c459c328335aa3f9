"""Vaccination services: a child's schedule from its records, and recording what was given."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.db import transaction

from kizuna import clock
from municipalities.models import Municipality
from subscribers.models import Child, Subscriber

from . import rules, schedule
from .models import DoseRecord, ReminderSettings


class RecordError(ValueError):
    """A record that can't be kept; the message is for the parent, in Japanese."""


def settings_for(municipality: Municipality) -> ReminderSettings:
    return ReminderSettings.of(municipality)


def optional_on(municipality: Municipality) -> list[str]:
    """The optional vaccines this municipality shows and reminds of."""
    found = ReminderSettings.objects.filter(municipality=municipality).first()
    known = {code for code, _name in rules.optional_codes()}
    return [code for code in (found.optional_vaccines if found else []) if code in known]


def given_by_child(child_ids: Iterable[int]) -> dict[int, list[schedule.Given]]:
    """The recorded doses of these children, in one query."""
    found: dict[int, list[schedule.Given]] = defaultdict(list)
    rows = DoseRecord.objects.filter(child_id__in=list(child_ids)).values_list(
        "child_id", "dose", "given_on", "product"
    )
    for child_id, dose, given_on, product in rows:
        found[child_id].append(schedule.Given(dose, given_on, product))
    return found


def schedule_of(
    child: Child, given: Sequence[schedule.Given], optional: Sequence[str] = ()
) -> list[schedule.DoseDates]:
    """The pregnancy's vaccines while expecting, the child's once born; nothing after a loss."""
    if child.status == Child.Status.LOST:
        return []
    if child.status == Child.Status.EXPECTING or child.birth_date is None:
        if child.due_date is None:
            return []
        return schedule.pregnancy_schedule(child.due_date, given)
    return schedule.child_schedule(child.birth_date, given, optional=optional)


def child_schedule(child: Child) -> list[schedule.DoseDates]:
    given = given_by_child([child.pk]).get(child.pk, [])
    return schedule_of(child, given, optional_on(child.municipality))


def recordable(child: Child, today: datetime.date) -> list[schedule.DoseDates]:
    """The doses a parent may record now: not recorded, and whose earliest day has come."""
    return [
        entry
        for entry in child_schedule(child)
        if entry.given is None and entry.earliest is not None and entry.earliest <= today
    ] + _other_choices(child, today)


def _other_choices(child: Child, today: datetime.date) -> list[schedule.DoseDates]:
    """The first dose of the other product of a choice (ロタ 5価) while none is recorded."""
    entries = child_schedule(child)
    extra = []
    for entry in entries:
        if entry.vaccine.choice_of and entry.dose.number == 1 and entry.given is None:
            group = [
                v for v in rules.all_rules().vaccines if v.choice_of == entry.vaccine.choice_of
            ]
            for vaccine in group:
                if vaccine is not entry.vaccine and child.birth_date is not None:
                    other = schedule.dose_dates(vaccine, vaccine.doses[0], child.birth_date, {})
                    if other.earliest is not None and other.earliest <= today:
                        extra.append(other)
    return extra


def record_dose(
    *,
    child: Child,
    dose: str,
    given_on: datetime.date,
    by: Subscriber | None,
    via: str = DoseRecord.Via.WEB,
    product: str = "",
) -> DoseRecord:
    """Keep that ``dose`` was given on ``given_on``; again for the same dose, the new date.

    Refuses (RecordError, nothing written) a dose unknown or not for this child, a day in the
    future or before the birth (or the pregnancy's window), and any record after a loss.
    """
    with transaction.atomic():
        # The child as it is now (a loss or a birth reported since the page was opened).
        child = Child.objects.select_for_update().get(pk=child.pk)
        return _record(child, dose, given_on, by, via, product)


def _record(
    child: Child,
    dose: str,
    given_on: datetime.date,
    by: Subscriber | None,
    via: str,
    product: str,
) -> DoseRecord:
    if child.status in (Child.Status.LOST, Child.Status.CANCELLED):
        raise RecordError("このお子さまの記録はできません。")
    today = clock.today()
    if given_on > today:
        raise RecordError("接種日に未来の日付は選べません。")
    known = rules.all_rules().doses
    if dose not in known:
        raise RecordError("この予防接種は記録できません。")
    vaccine = rules.all_rules().vaccine_of(dose)
    if vaccine.pregnancy:
        if child.due_date is None or child.status != Child.Status.EXPECTING:
            raise RecordError("妊娠中の予防接種は、出産前に記録してください。")
        if given_on < child.due_date - datetime.timedelta(days=schedule.FULL_TERM_DAYS):
            raise RecordError("接種日が妊娠の前になっています。日付を確かめてください。")
    else:
        if child.birth_date is None or child.status == Child.Status.EXPECTING:
            raise RecordError("お子さまの予防接種は、出生の届け出のあとに記録できます。")
        if given_on < child.birth_date:
            raise RecordError("接種日が生年月日より前になっています。日付を確かめてください。")
        if not vaccine.covers_birth(child.birth_date):
            raise RecordError("このお子さまの生年月日では、この予防接種は対象ではありません。")
    dose_rule = known[dose]
    if dose_rule.after is not None:
        previous = DoseRecord.objects.filter(child=child, dose=dose_rule.after).first()
        if previous is None:
            raise RecordError("前の回を先に記録してください。")
        if given_on < previous.given_on:
            raise RecordError("前の回より前の日付になっています。日付を確かめてください。")
    start = (
        child.due_date - datetime.timedelta(days=schedule.FULL_TERM_DAYS)
        if vaccine.pregnancy and child.due_date is not None
        else child.birth_date
    )
    assert start is not None  # noqa: S101 (checked above)
    given = {g.dose: g for g in given_by_child([child.pk]).get(child.pk, [])}
    earliest = schedule.dose_dates(vaccine, dose_rule, start, given).earliest
    if earliest is not None and given_on < earliest:
        raise RecordError(
            f"この接種を受けられるのは{earliest.year}年{earliest.month}月{earliest.day}日からです。"
            "日付を確かめてください。"
        )
    if vaccine.products and not product:
        product = vaccine.product_on(given_on)
    record, _created = DoseRecord.objects.update_or_create(
        child=child,
        dose=dose,
        defaults={"given_on": given_on, "product": product, "recorded_by": by, "via": via},
    )
    return record


def remove_record(*, child: Child, dose: str) -> int:
    """Take back a record, and the records of the doses that follow it (they count from it)."""
    codes = {dose}
    doses = rules.all_rules().doses
    grew = True
    while grew:
        followers = {code for code, rule in doses.items() if rule.after in codes}
        grew = not followers <= codes
        codes |= followers
    deleted, _by_model = DoseRecord.objects.filter(child=child, dose__in=codes).delete()
    return deleted
