"""Staff figures: coverage per dose from parents' records, aggregates only, small counts hidden."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q

from municipalities.models import Municipality
from subscribers.models import Child

from . import rules, schedule
from .models import DoseRecord

SMALL = 10  # counts below this are shown as 「10未満」, as the surveys' results hide them
SMALL_LABEL = "10未満"


def shown(count: int) -> str:
    return SMALL_LABEL if count < SMALL else f"{count:,}"


@dataclass(frozen=True)
class DoseCoverage:
    vaccine: str
    dose: str
    code: str
    eligible: int  # registered children who have reached the dose's standard time
    recorded: int  # of them, with the dose recorded by a parent

    @property
    def eligible_text(self) -> str:
        return shown(self.eligible)

    @property
    def recorded_text(self) -> str:
        return shown(self.recorded)

    @property
    def percent(self) -> Decimal | None:
        if self.eligible < SMALL or self.recorded < SMALL:
            return None
        share = Decimal(self.recorded * 100) / Decimal(self.eligible)
        return share.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    @property
    def percent_text(self) -> str:
        return "—" if self.percent is None else f"{self.percent}%"


def coverage(
    municipality: Municipality, today: datetime.date, optional: list[str] | None = None
) -> list[DoseCoverage]:
    """Per dose: children of the municipality who have reached its age, and how many have it
    recorded. Two queries, whatever the number of doses."""
    eligible_filters: dict[str, Q] = {}
    entries: list[tuple[rules.Vaccine, rules.Dose]] = []
    for vaccine in rules.all_rules().vaccines:
        if vaccine.optional and vaccine.code not in (optional or []):
            continue
        group = [
            v
            for v in rules.all_rules().vaccines
            if vaccine.choice_of and v.choice_of == vaccine.choice_of
        ]
        for dose in vaccine.doses:
            if group and dose is vaccine.doses[0] and vaccine is not group[0]:
                continue  # one row for the first dose of a choice (ロタ 1価 or 5価)
            condition = _eligible(vaccine, dose, today)
            if condition is None:
                continue
            eligible_filters[f"n_{len(entries)}"] = condition
            entries.append((vaccine, dose))
    children = Child.objects.filter(municipality=municipality).exclude(
        status__in=[Child.Status.LOST, Child.Status.CANCELLED]
    )
    counts = children.aggregate(
        **{name: Count("pk", filter=condition) for name, condition in eligible_filters.items()}
    )
    recorded = dict(
        DoseRecord.objects.filter(child__in=children)
        .values("dose")
        .annotate(n=Count("pk"))
        .values_list("dose", "n")
    )
    return [
        DoseCoverage(
            vaccine=_row_name(vaccine, dose),
            dose=dose.label,
            code=dose.code,
            eligible=counts[f"n_{index}"] or 0,
            recorded=sum(recorded.get(code, 0) for code in _same_dose(vaccine, dose)),
        )
        for index, (vaccine, dose) in enumerate(entries)
    ]


def _same_dose(vaccine: rules.Vaccine, dose: rules.Dose) -> list[str]:
    if vaccine.choice_of and dose is vaccine.doses[0]:
        return [
            v.doses[0].code for v in rules.all_rules().vaccines if v.choice_of == vaccine.choice_of
        ]
    return [dose.code]


def _row_name(vaccine: rules.Vaccine, dose: rules.Dose) -> str:
    if vaccine.choice_of and dose is vaccine.doses[0]:
        return f"{vaccine.name.split('（')[0]}（1価・5価）"
    return vaccine.name


def _eligible(vaccine: rules.Vaccine, dose: rules.Dose, today: datetime.date) -> Q | None:
    if vaccine.pregnancy:
        assert dose.earliest is not None  # noqa: S101
        # Pregnancies that reached the dose's week by today, with a window after its start.
        reached = dose.earliest.latest_start_reached_by(today) + datetime.timedelta(
            days=schedule.FULL_TERM_DAYS
        )
        condition = Q(due_date__isnull=False, due_date__lte=reached)
        if vaccine.applies_from is not None and dose.through_age is not None:
            first = dose.through_age.latest_start_reached_by(
                vaccine.applies_from - datetime.timedelta(days=1)
            ) + datetime.timedelta(days=schedule.FULL_TERM_DAYS + 1)
            condition &= Q(due_date__gte=first)
        return condition
    if dose.school_year_before_entry:
        # Children whose year before school has begun (April 1 of the year they turn 5–6).
        latest = datetime.date(today.year - 5 if today.month >= 4 else today.year - 6, 4, 1)
        condition = Q(birth_date__lte=latest)
    else:
        # From the start of the standard time (B型肝炎 from 2 months, though allowed from birth).
        age = dose.recommended_from or dose.earliest
        assert age is not None  # noqa: S101
        condition = Q(birth_date__lte=age.latest_start_reached_by(today))
    condition &= Q(status__in=[Child.Status.BORN, Child.Status.GRADUATED], birth_date__isnull=False)
    if vaccine.born_from is not None:
        condition &= Q(birth_date__gte=vaccine.born_from)
    if vaccine.born_until is not None:
        condition &= Q(birth_date__lte=vaccine.born_until)
    return condition


def coverage_rows(municipality: Municipality, items: list[DoseCoverage]) -> list[list[str]]:
    """The CSV: the same cells as the page, small counts hidden."""
    header = ["自治体", "予防接種", "回", "対象の子ども", "記録あり", "記録の割合"]
    return [header] + [
        [
            municipality.name,
            item.vaccine,
            item.dose,
            item.eligible_text,
            item.recorded_text,
            item.percent_text,
        ]
        for item in items
    ]
