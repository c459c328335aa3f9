"""A municipality's figures for one fiscal year (年度), computed in the database as aggregates.

Nothing here returns a reader or a child: only counts grouped by month, channel, source, reason
or stage. The small-count rule is applied where the figures become cells (:mod:`reports.cells`).

Families are counted by pregnancy or child (``Child``) with at least one confirmed reader; a
family's channel and source are those of its first confirmed reader. Dates are days in Japan.
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, Sum

from delivery.models import DayCount
from kizuna import clock
from kizuna.choices import Channel
from kizuna.fiscal import fiscal_year_bounds
from municipalities.models import Municipality
from subscribers.erasure import ONE_CLICK_REASON
from subscribers.forms import UnsubscribeForm
from subscribers.models import Child
from surveys.models import Survey
from surveys.selectors import published_years

from .models import BirthCount, ErasedFamilies, ErasedLeavers

# Pregnancy week at registration (how early families join), in the order shown.
WEEK_BUCKETS = [
    ("to11", "妊娠11週まで"),
    ("12to19", "妊娠12〜19週"),
    ("20to27", "妊娠20〜27週"),
    ("from28", "妊娠28週以降"),
    ("after_birth", "出生後"),
]
RETENTION_MONTHS = (3, 6, 12, 24)
STAGES = [
    ("pregnancy", "妊娠中"),
    ("age0", "0歳"),
    ("age1", "1歳"),
    ("age2plus", "2歳以上"),
    ("unknown", "不明（記録消去済み）"),
]
NO_TAG = "（きっかけの記録なし）"
SOURCE_LABELS = {"invite": "家族の招待", "import": "ほかのサービスから移行"}
UNSUBSCRIBE_REASONS = [str(label) for value, label in UnsubscribeForm.REASONS if value] + [
    ONE_CLICK_REASON
]
NO_REASON = "理由の選択なし"


def year_span(fiscal_year: int) -> tuple[datetime.datetime, datetime.datetime]:
    """The fiscal year as [start, end) moments in Japan: 4/1 00:00 to the next 4/1 00:00."""
    first, last = fiscal_year_bounds(fiscal_year)
    start = datetime.datetime.combine(first, datetime.time(), tzinfo=clock.TOKYO)
    end = datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time(), clock.TOKYO)
    return start, end


@dataclass
class Registrations:
    families: int = 0
    in_pregnancy: int = 0
    before_week_20: int = 0
    # (bucket, channel) and (bucket, source label) → families
    by_channel: Counter[tuple[str, str]] = field(default_factory=Counter)
    by_source: Counter[tuple[str, str]] = field(default_factory=Counter)


@dataclass(frozen=True)
class Cohort:
    month: datetime.date
    readers: int
    due: dict[int, int]  # months after → readers for whom that many months have passed
    kept: dict[int, int]  # months after → of those, readers still receiving then


@dataclass
class YearFigures:
    municipality: Municipality
    fiscal_year: int
    births: int | None
    born_and_registered: int
    registrations: Registrations
    cohorts: list[Cohort]
    unsubscribes: Counter[tuple[str, str]]  # (reason, stage) → readers
    losses: Counter[str]  # loss kind → pregnancies or children
    sent: Counter[str]  # channel → messages
    satisfaction: tuple[int, Decimal | None] | None  # (answers, satisfied %) of the year's survey

    @property
    def unsubscribed(self) -> int:
        return sum(self.unsubscribes.values())

    def retention(self, months: int) -> tuple[int, int]:
        """(kept, due) over the year's cohorts."""
        return (
            sum(c.kept[months] for c in self.cohorts),
            sum(c.due[months] for c in self.cohorts),
        )


# SQL shared with reports.erasure, which counts families and leavers just before erasure.
FISCAL_YEAR_SQL = "EXTRACT(YEAR FROM ({day}) - interval '3 months')::int"
BUCKET_SQL = """
    CASE
        WHEN birth_date IS NOT NULL AND registered_on >= birth_date THEN 'after_birth'
        WHEN 280 - (due_date - registered_on) < 84 THEN 'to11'
        WHEN 280 - (due_date - registered_on) < 140 THEN '12to19'
        WHEN 280 - (due_date - registered_on) < 196 THEN '20to27'
        ELSE 'from28'
    END"""
ORIGIN_SQL = """
    CASE WHEN signup_tag <> '' THEN signup_tag WHEN source <> 'signup' THEN source ELSE '' END"""
STAGE_SQL = """
    CASE
        WHEN NOT has_child THEN 'unknown'
        WHEN birth_date IS NULL OR left_on < birth_date THEN 'pregnancy'
        WHEN left_on < birth_date + interval '1 year' THEN 'age0'
        WHEN left_on < birth_date + interval '2 years' THEN 'age1'
        ELSE 'age2plus'
    END"""
# A family is its child's row and its first confirmed reader (channel, source).
FAMILY_SQL = """
    SELECT DISTINCT ON (c.id)
        c.id, c.municipality_id, c.due_date, c.birth_date, c.status, c.loss, c.status_changed_at,
        (c.created_at AT TIME ZONE 'Asia/Tokyo')::date AS registered_on,
        s.channel, s.signup_tag, s.source
    FROM subscribers_child c
    JOIN subscribers_subscription f ON f.child_id = c.id
    JOIN subscribers_subscriber s ON s.id = f.subscriber_id
    WHERE c.status <> 'cancelled' AND s.confirmed_at IS NOT NULL AND {where}
    ORDER BY c.id, s.confirmed_at, s.id"""
# A leaver is a reader who stopped, with the birth date of the first child they followed.
LEAVER_SQL = """
    SELECT s.id, s.municipality_id, s.unsubscribe_reason AS reason,
        (s.unsubscribed_at AT TIME ZONE 'Asia/Tokyo')::date AS left_on,
        (SELECT c.birth_date FROM subscribers_subscription f
            JOIN subscribers_child c ON c.id = f.child_id
            WHERE f.subscriber_id = s.id ORDER BY f.id LIMIT 1) AS birth_date,
        EXISTS (SELECT 1 FROM subscribers_subscription f WHERE f.subscriber_id = s.id)
            AS has_child
    FROM subscribers_subscriber s
    WHERE s.unsubscribed_at IS NOT NULL AND {where}"""


def reason_sql(params: dict[str, object]) -> str:
    """The reason chosen from the list (a comment after it dropped), or 理由の選択なし."""
    whens = []
    for index, label in enumerate(UNSUBSCRIBE_REASONS):
        params[f"r{index}"] = label
        params[f"p{index}"] = f"{label} / %"
        whens.append(f"WHEN reason = %(r{index})s OR reason LIKE %(p{index})s THEN %(r{index})s")
    params["no_reason"] = NO_REASON
    return f"CASE {' '.join(whens)} ELSE %(no_reason)s END"


_FAMILY_IN_YEAR = FAMILY_SQL.format(
    where="c.municipality_id = %(municipality)s"
    " AND c.created_at >= %(start)s AND c.created_at < %(end)s"
)
_FAMILIES = f"""
    WITH family AS ({_FAMILY_IN_YEAR})
    SELECT {BUCKET_SQL}, channel, {ORIGIN_SQL}, count(*) FROM family GROUP BY 1, 2, 3
    UNION ALL
    SELECT bucket, channel, origin, count FROM reports_erasedfamilies
    WHERE municipality_id = %(municipality)s AND registered_fiscal_year = %(fiscal_year)s
"""  # noqa: S608 (constant fragments; every value is a parameter)

_COHORTS = """
    SELECT date_trunc('month', created_at AT TIME ZONE 'Asia/Tokyo')::date AS month, count(*),
        {columns}
    FROM subscribers_subscriber
    WHERE municipality_id = %(municipality)s AND confirmed_at IS NOT NULL
      AND created_at >= %(start)s AND created_at < %(end)s
    GROUP BY 1 ORDER BY 1
"""
_COHORT_COLUMNS = ", ".join(
    f"""count(*) FILTER (WHERE created_at + interval '{m} months' <= %(now)s),
        count(*) FILTER (WHERE created_at + interval '{m} months' <= %(now)s
            AND (unsubscribed_at IS NULL OR unsubscribed_at >= created_at + interval '{m} months'))"""
    for m in RETENTION_MONTHS
)

_UNSUBSCRIBES = """
    WITH leaver AS ({leavers})
    SELECT {reason}, {stage}, count(*) FROM leaver GROUP BY 1, 2
"""


def _rows(sql: str, params: dict[str, Any]) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def registrations(municipality: Municipality, fiscal_year: int) -> Registrations:
    start, end = year_span(fiscal_year)
    result = Registrations()
    params = {"municipality": municipality.pk, "start": start, "end": end}
    for bucket, channel, origin, n in _rows(_FAMILIES, {**params, "fiscal_year": fiscal_year}):
        result.families += n
        if bucket != "after_birth":
            result.in_pregnancy += n
        if bucket in ("to11", "12to19"):
            result.before_week_20 += n
        result.by_channel[(bucket, channel)] += n
        result.by_source[(bucket, SOURCE_LABELS.get(origin, origin) or NO_TAG)] += n
    return result


def born_and_registered(municipality: Municipality, fiscal_year: int) -> int:
    """Children born in the year whose family registered (before or after the birth)."""
    first, last = fiscal_year_bounds(fiscal_year)
    live = (
        Child.objects.filter(
            municipality=municipality,
            birth_date__range=(first, last),
            subscriptions__subscriber__confirmed_at__isnull=False,
        )
        .exclude(status=Child.Status.CANCELLED)
        .values("pk")
        .distinct()
        .count()
    )
    erased = ErasedFamilies.objects.filter(
        municipality=municipality, born_fiscal_year=fiscal_year
    ).aggregate(n=Sum("count"))["n"]
    return live + (erased or 0)


def cohorts(
    municipality: Municipality, fiscal_year: int, now: datetime.datetime | None = None
) -> list[Cohort]:
    """Readers registered in each month of the year, and how many still received N months on."""
    start, end = year_span(fiscal_year)
    rows = _rows(
        _COHORTS.format(columns=_COHORT_COLUMNS),
        {"municipality": municipality.pk, "start": start, "end": end, "now": now or clock.now()},
    )
    result = []
    for month, readers, *pairs in rows:
        due = {m: pairs[2 * i] for i, m in enumerate(RETENTION_MONTHS)}
        kept = {m: pairs[2 * i + 1] for i, m in enumerate(RETENTION_MONTHS)}
        result.append(Cohort(month, readers, due, kept))
    return result


def unsubscribes(municipality: Municipality, fiscal_year: int) -> Counter[tuple[str, str]]:
    """Readers who stopped in the year, by the reason they chose and their family's stage.

    An erased reader's family is gone, so the live query puts them under 「不明」; those erased
    since reports.erasure kept their stage move from there to it.
    """
    start, end = year_span(fiscal_year)
    params: dict[str, object] = {"municipality": municipality.pk, "start": start, "end": end}
    leavers = LEAVER_SQL.format(
        where="s.municipality_id = %(municipality)s"
        " AND s.unsubscribed_at >= %(start)s AND s.unsubscribed_at < %(end)s"
    )
    sql = _UNSUBSCRIBES.format(leavers=leavers, reason=reason_sql(params), stage=STAGE_SQL)
    counts = Counter({(reason, stage): n for reason, stage, n in _rows(sql, params)})
    kept = ErasedLeavers.objects.filter(municipality=municipality, left_fiscal_year=fiscal_year)
    for reason, stage, n in kept.values_list("reason", "stage", "count"):
        moved = min(n, counts[(reason, "unknown")])
        counts[(reason, "unknown")] -= moved
        counts[(reason, stage)] += moved
    return +counts


def losses(municipality: Municipality, fiscal_year: int) -> Counter[str]:
    start, end = year_span(fiscal_year)
    rows = (
        Child.objects.filter(
            municipality=municipality,
            status=Child.Status.LOST,
            status_changed_at__gte=start,
            status_changed_at__lt=end,
        )
        .values_list("loss")
        .annotate(n=Count("id"))
        .order_by()
    )
    erased = (
        ErasedFamilies.objects.filter(municipality=municipality, lost_fiscal_year=fiscal_year)
        .exclude(loss="")
        .values_list("loss")
        .annotate(n=Sum("count"))
        .order_by()
    )
    counts: Counter[str] = Counter(dict(rows))
    counts.update(dict(erased))
    return counts


def sent(municipality: Municipality, fiscal_year: int) -> Counter[str]:
    first, last = fiscal_year_bounds(fiscal_year)
    rows = (
        DayCount.objects.filter(municipality=municipality, day__range=(first, last), status="sent")
        .values_list("channel")
        .annotate(n=Sum("count"))
        .order_by()
    )
    counts: Counter[str] = Counter({channel: 0 for channel in Channel.values})
    counts.update(dict(rows))
    return counts


def satisfaction(municipality: Municipality, fiscal_year: int) -> tuple[int, Decimal | None] | None:
    """The year's survey: (readers who answered, satisfied %); None without a survey."""
    years = published_years(
        Survey.objects.filter(municipality=municipality, fiscal_year=fiscal_year).order_by("-pk")
    )
    if not years:
        return None
    year = years[0]
    return year.responses, year.satisfied_percent


def births(municipality: Municipality, fiscal_year: int) -> int | None:
    return (
        BirthCount.objects.filter(municipality=municipality, fiscal_year=fiscal_year)
        .values_list("births", flat=True)
        .first()
    )


def year_figures(
    municipality: Municipality, fiscal_year: int, now: datetime.datetime | None = None
) -> YearFigures:
    return YearFigures(
        municipality=municipality,
        fiscal_year=fiscal_year,
        births=births(municipality, fiscal_year),
        born_and_registered=born_and_registered(municipality, fiscal_year),
        registrations=registrations(municipality, fiscal_year),
        cohorts=cohorts(municipality, fiscal_year, now),
        unsubscribes=unsubscribes(municipality, fiscal_year),
        losses=losses(municipality, fiscal_year),
        sent=sent(municipality, fiscal_year),
        satisfaction=satisfaction(municipality, fiscal_year),
    )
