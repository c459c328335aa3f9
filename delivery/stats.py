"""Delivery figures kept as summary rows, so the operations dashboard never aggregates millions.

- :class:`~delivery.models.DayCount`: exact counts per day × municipality × channel × status,
  recounted while a day can still change (the catch-up window, and days with unsent rows).
- :class:`~delivery.models.SendTally`: send outcomes per minute, added once per batch.
- :class:`~delivery.models.ForecastCount`: the next 30 days as the planner would plan them.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections import Counter
from collections.abc import Iterable

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F

from kizuna import clock
from municipalities.models import Municipality

from . import planner
from .models import DayCount, ForecastCount, SendTally

logger = logging.getLogger(__name__)

UNSENT_STATUSES = ("planned", "sending")
TALLY_KEEP_DAYS = 7


def serialised() -> None:
    """Recounts and roll-ups take turns: each rewrites the counts of the days it touches."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('kizuna-day-counts'))")


def recount_days(days: Iterable[datetime.date]) -> int:
    """Count these days' deliveries afresh, in one statement; returns the groups written.

    Each count is the rows still there plus those already rolled up (``DayCount.rolled_up``),
    so a day stays exact after :mod:`delivery.retention` has deleted part of its rows.
    """
    days = sorted(set(days))
    if not days:
        return 0
    now = clock.now()
    at = connection.ops.adapt_datetimefield_value
    placeholders = ", ".join(["%s"] * len(days))
    day_params = [connection.ops.adapt_datefield_value(day) for day in days]
    with transaction.atomic():
        serialised()
        DayCount.objects.filter(day__in=days, rolled_up=0).delete()
        DayCount.objects.filter(day__in=days).update(count=F("rolled_up"), counted_at=now)
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO delivery_daycount (day, municipality_id, channel, status, count,
                                               rolled_up, counted_at)
                SELECT due_on, municipality_id, channel, status, count(*), 0, %s
                FROM delivery_delivery WHERE due_on IN ({placeholders})
                GROUP BY due_on, municipality_id, channel, status
                ON CONFLICT (day, municipality_id, channel, status)
                DO UPDATE SET count = delivery_daycount.rolled_up + excluded.count
                """,  # noqa: S608 (placeholders only)
                [at(now), *day_params],
            )
            return int(cursor.rowcount)


def open_days(today: datetime.date | None = None) -> list[datetime.date]:
    """Days whose counts can still change: the catch-up window and days with unsent rows."""
    today = today or clock.today()
    window = [
        today - datetime.timedelta(days=back) for back in range(settings.KIZUNA_CATCH_UP_DAYS + 1)
    ]
    unsent = (
        DayCount.objects.filter(status__in=UNSENT_STATUSES, count__gt=0)
        .values_list("day", flat=True)
        .distinct()
    )
    return sorted(set(window) | set(unsent))


def recount_open_days(today: datetime.date | None = None) -> list[datetime.date]:
    """What the periodic job runs: recount every open day; returns the days counted."""
    started = time.monotonic()
    days = open_days(today)
    groups = recount_days(days)
    logger.info(
        "recounted %d days (%d groups) in %.3fs",
        len(days),
        groups,
        time.monotonic() - started,
        extra={
            "event": "recount_days",
            "days": len(days),
            "groups": groups,
            "seconds": round(time.monotonic() - started, 3),
        },
    )
    return days


# A batch's outcomes: (municipality id, channel, outcome) → how many.
Tally = Counter[tuple[int, str, str]]


def add_tally(outcomes: Tally, at: datetime.datetime | None = None) -> None:
    """Add a batch's outcomes, keyed ``(municipality id, channel, outcome)``, to this minute."""
    if not outcomes:
        return
    minute = (at or clock.now()).replace(second=0, microsecond=0)
    rows = [(mid, channel, outcome, count) for (mid, channel, outcome), count in outcomes.items()]
    values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(rows))
    params: list[str | int | None] = []
    stamp = connection.ops.adapt_datetimefield_value(minute)
    for mid, channel, outcome, count in rows:
        params += [stamp, mid, channel, outcome, count]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO delivery_sendtally (minute, municipality_id, channel, outcome, count)
            VALUES {values}
            ON CONFLICT (minute, municipality_id, channel, outcome)
            DO UPDATE SET count = delivery_sendtally.count + excluded.count
            """,  # noqa: S608 (placeholders only)
            params,
        )


def prune_tallies(now: datetime.datetime | None = None) -> int:
    cutoff = (now or clock.now()) - datetime.timedelta(days=TALLY_KEEP_DAYS)
    deleted, _ = SendTally.objects.filter(minute__lt=cutoff).delete()
    return deleted


def refresh_forecast(
    start: datetime.date | None = None, days: int = 30, *, made_on: datetime.date | None = None
) -> dict[tuple[datetime.date, int, str], int]:
    """Replace the stored forecast with the planner's count of the coming ``days``; returns it."""
    started = time.monotonic()
    made_on = made_on or clock.today()
    start = start or made_on + datetime.timedelta(days=1)
    municipalities = list(Municipality.objects.order_by("pk"))
    way = {
        m.pk: planner.NICKNAMES if m.line_nicknames else planner.MULTICAST for m in municipalities
    }
    forecast = planner.forecast_with_requests(municipalities, start, days)
    counts = forecast.counts
    rows = [
        ForecastCount(
            made_on=made_on,
            day=day,
            municipality_id=mid,
            channel=channel,
            count=count,
            requests=forecast.line_requests.get((day, mid, way[mid]), 0)
            if channel == "line"
            else 0,
        )
        for (day, mid, channel), count in counts.items()
        if count
    ]
    with transaction.atomic():
        ForecastCount.objects.all().delete()
        ForecastCount.objects.bulk_create(rows)
    logger.info(
        "forecast %d days from %s in %.3fs",
        days,
        start,
        time.monotonic() - started,
        extra={
            "event": "forecast",
            "days": days,
            "messages": sum(counts.values()),
            "seconds": round(time.monotonic() - started, 3),
        },
    )
    return counts
