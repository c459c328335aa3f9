"""What a municipality's staff may know about its families: counts, never rows.

Every function returns aggregates computed in the database; no address, date or LINE id leaves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.cache import cache
from django.db.models import Count, Q
from django.db.models.functions import TruncMonth

from content.stages import add_months
from kizuna import clock
from municipalities.charts import Bar
from municipalities.models import Municipality

from .models import Child, Subscriber


@dataclass(frozen=True)
class FamilyOverview:
    readers: int
    families: int
    pregnancy: list[Bar]
    child: list[Bar]
    relationships: list[Bar]
    channels: list[Bar]
    signups: list[Bar]
    signup_tags: list[Bar]

    @property
    def stage_max(self) -> int:
        return max([bar.count for bar in self.pregnancy + self.child] + [1])

    @property
    def signup_max(self) -> int:
        return max([bar.count for bar in self.signups] + [1])


# (label, weeks from, weeks to): 妊娠初期・中期・後期 as in shared/DOMAIN.md.
PREGNANCY_BANDS = [
    ("妊娠初期（〜13週）", None, 14),
    ("妊娠中期（14〜27週）", 14, 28),
    ("妊娠後期（28〜41週）", 28, 42),
    ("42週以降（出生の報告待ち）", 42, None),
]
# (label, months from, months to)
CHILD_BANDS = [
    ("生後0〜2か月", 0, 3),
    ("生後3〜5か月", 3, 6),
    ("生後6〜11か月", 6, 12),
    ("1歳", 12, 24),
    ("2歳", 24, 36),
    ("3歳以上", 36, None),
]


def latest_birth_date_aged(months: int, on: date) -> date:
    """The latest birth date of a child at least ``months`` old on ``on`` (month-end rule)."""
    birth = add_months(on, -months)
    while add_months(birth + timedelta(days=1), months) <= on:
        birth += timedelta(days=1)
    return birth


def _due_date_at_week(week: int, on: date) -> date:
    """The due date of a pregnancy entering ``week`` on ``on``: gestational days = 280 - (D - T)."""
    return on + timedelta(days=280 - week * 7)


def families_by_stage(municipality: Municipality, *, on: date) -> tuple[list[Bar], list[Bar]]:
    """Pregnancies followed per period and children per age band on ``on``."""
    children = Child.objects.followed().filter(municipality=municipality)
    aggregates = {}
    for index, (_label, first, last) in enumerate(PREGNANCY_BANDS):
        condition = Q(status=Child.Status.EXPECTING)
        # Later weeks mean earlier due dates: week >= first <=> due <= due_at(first).
        if first is not None:
            condition &= Q(due_date__lte=_due_date_at_week(first, on))
        if last is not None:
            condition &= Q(due_date__gt=_due_date_at_week(last, on))
        aggregates[f"p{index}"] = Count("id", filter=condition)
    for index, (_label, first, last) in enumerate(CHILD_BANDS):
        condition = Q(status=Child.Status.BORN, birth_date__lte=latest_birth_date_aged(first, on))
        if last is not None:
            condition &= Q(birth_date__gt=latest_birth_date_aged(last, on))
        aggregates[f"c{index}"] = Count("id", filter=condition)
    counts = children.aggregate(**aggregates)
    return (
        [Bar(label, counts[f"p{i}"]) for i, (label, *_range) in enumerate(PREGNANCY_BANDS)],
        [Bar(label, counts[f"c{i}"]) for i, (label, *_range) in enumerate(CHILD_BANDS)],
    )


def signups_per_month(municipality: Municipality, *, on: date, months: int = 12) -> list[Bar]:
    """Readers who signed up in each of the last ``months`` months (Asia/Tokyo), oldest first."""
    first_month = add_months(date(on.year, on.month, 1), -(months - 1))
    rows = (
        Subscriber.objects.for_municipality(municipality)
        .filter(created_at__date__gte=first_month)
        .annotate(month=TruncMonth("created_at", tzinfo=clock.TOKYO))
        .values("month")
        .annotate(count=Count("id"))
    )
    by_month = {row["month"].date().replace(day=1): row["count"] for row in rows}
    bars = []
    for offset in range(months):
        month = add_months(first_month, offset)
        bars.append(Bar(f"{month.year}年{month.month}月", by_month.get(month, 0)))
    return bars


def signups_by_tag(municipality: Municipality, *, on: date, months: int = 12) -> list[Bar]:
    """Signups of the last ``months`` months per flyer tag (``?src=``), most first."""
    first_month = add_months(date(on.year, on.month, 1), -(months - 1))
    rows = (
        Subscriber.objects.for_municipality(municipality)
        .filter(created_at__date__gte=first_month)
        .exclude(signup_tag="")
        .values("signup_tag")
        .annotate(count=Count("id"))
        .order_by("-count", "signup_tag")
    )
    return [Bar(row["signup_tag"], row["count"]) for row in rows]


def family_overview(municipality: Municipality, *, on: date | None = None) -> FamilyOverview:
    """Everything the overview page shows, as counts."""
    on = on or clock.today()
    pregnancy, child = families_by_stage(municipality, on=on)
    readers = Subscriber.objects.confirmed().for_municipality(municipality)
    relationship_labels = dict(Subscriber.Relationship.choices)
    relationships = [
        Bar(str(relationship_labels.get(row["relationship"], row["relationship"])), row["count"])
        for row in readers.values("relationship")
        .annotate(count=Count("id"))
        .order_by("relationship")
    ]
    channel_labels = dict(Subscriber._meta.get_field("channel").choices)
    channels = [
        Bar(str(channel_labels.get(row["channel"], row["channel"])), row["count"])
        for row in readers.values("channel").annotate(count=Count("id")).order_by("channel")
    ]
    return FamilyOverview(
        readers=readers.count(),
        families=Child.objects.followed().filter(municipality=municipality).count(),
        pregnancy=pregnancy,
        child=child,
        relationships=relationships,
        channels=channels,
        signups=signups_per_month(municipality, on=on),
        signup_tags=signups_by_tag(municipality, on=on),
    )


# The overview page shows counts at most this old: counting a city's families by stage takes
# a large share of a second (a table scan per question), far too much for every page view.
COUNTS_MAX_AGE = timedelta(minutes=5)


@dataclass(frozen=True)
class CountedOverview:
    overview: FamilyOverview
    counted_at: datetime  # when the counts were taken; the page says so


def recent_family_overview(municipality: Municipality, *, on: date) -> CountedOverview:
    """The municipality's overview on ``on``, counted at most :data:`COUNTS_MAX_AGE` ago.

    Kept in the shared cache per municipality and day, so every worker serves the same counts
    and the page's "as of" is the same whichever worker answers.
    """
    key = f"kizuna:family-overview:v1:{municipality.pk}:{on.isoformat()}"
    now = clock.now()
    kept = cache.get(key)
    if isinstance(kept, CountedOverview) and timedelta(0) <= now - kept.counted_at < COUNTS_MAX_AGE:
        return kept
    counted = CountedOverview(family_overview(municipality, on=on), now)
    cache.set(key, counted, timeout=int(COUNTS_MAX_AGE.total_seconds()))
    return counted
