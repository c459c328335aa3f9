"""Who an urgent notice goes to, and how far its sending has got: counts and querysets."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.db.models import Count, QuerySet

from delivery.models import Delivery
from kizuna import clock
from subscribers.family_overview import latest_birth_date_aged
from subscribers.models import Child, Subscriber, Subscription

from .models import UrgentNotice

FOLLOWED = [Child.Status.EXPECTING, Child.Status.BORN]


def bereaved_readers() -> QuerySet[Subscription]:
    """Subscriber ids of readers following a child whose loss was reported."""
    return Subscription.objects.filter(child__status=Child.Status.LOST).values("subscriber_id")


def recipients(notice: UrgentNotice, *, on: date | None = None) -> QuerySet[Subscriber]:
    """Readers the notice goes to on ``on``: reachable, in the chosen group, loss rule applied."""
    on = on or clock.today()
    followed = Subscription.objects.filter(
        ended_at__isnull=True, child__municipality_id=notice.municipality_id
    )
    if notice.audience == UrgentNotice.Audience.EXPECTING:
        followed = followed.filter(child__status=Child.Status.EXPECTING)
    elif notice.audience == UrgentNotice.Audience.CHILDREN:
        followed = followed.filter(
            child__status=Child.Status.BORN,
            child__birth_date__lte=latest_birth_date_aged(notice.age_months_from or 0, on),
            child__birth_date__gt=latest_birth_date_aged((notice.age_months_to or 0) + 1, on),
        )
    elif notice.include_bereaved:
        followed = followed.filter(child__status__in=[*FOLLOWED, Child.Status.LOST])
    else:
        followed = followed.filter(child__status__in=FOLLOWED)
    readers = (
        Subscriber.objects.reachable()
        .filter(municipality_id=notice.municipality_id)
        .filter(pk__in=followed.values("subscriber_id"))
    )
    if not notice.include_bereaved:
        readers = readers.exclude(pk__in=bereaved_readers())
    return readers


def recipient_counts(notice: UrgentNotice, *, on: date | None = None) -> dict[str, int]:
    """Readers per channel the notice would go to now."""
    rows = recipients(notice, on=on).values("channel").annotate(count=Count("id"))
    return {row["channel"]: row["count"] for row in rows}


STATUSES = [
    Delivery.Status.PLANNED,
    Delivery.Status.SENDING,
    Delivery.Status.SENT,
    Delivery.Status.FAILED,
    Delivery.Status.SKIPPED,
]


def progress(notice: UrgentNotice) -> dict[str, dict[str, int]]:
    """Deliveries of the notice per channel and status: {"email": {"sent": 10, …}, …}."""
    if notice.queued_on is None:
        return {}
    rows = (
        Delivery.objects.filter(
            due_on=notice.queued_on,
            municipality_id=notice.municipality_id,
            message_key=notice.message_key,
        )
        .values("channel", "status")
        .annotate(count=Count("id"))
    )
    by_channel: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(STATUSES, 0))
    for row in rows:
        by_channel[row["channel"]][row["status"]] = row["count"]
    return dict(by_channel)
