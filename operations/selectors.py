"""What the operations dashboard shows, read from summary rows and small indexes.

Every function takes the municipalities in view (``None``: all of them, for operators), so a
municipality's staff only ever see their own part.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Max, Min, Q, QuerySet, Sum

from delivery.heartbeats import TICK
from delivery.models import (
    FINISHED_STATUSES,
    DayCount,
    Delivery,
    ForecastCount,
    Heartbeat,
    SendTally,
)
from delivery.stats import UNSENT_STATUSES
from kizuna import clock
from kizuna.choices import Channel
from municipalities.models import Municipality
from urgent_notices.models import UrgentNotice

STATUSES = [status for status, _label in Delivery.Status.choices]
MunicipalityIds = frozenset[int] | None


def _scoped(queryset: QuerySet, municipality_ids: MunicipalityIds) -> QuerySet:
    if municipality_ids is None:
        return queryset
    return queryset.filter(municipality_id__in=municipality_ids)


def _scoped_municipalities(municipality_ids: MunicipalityIds) -> QuerySet[Municipality]:
    if municipality_ids is None:
        return Municipality.objects.all()
    return Municipality.objects.filter(pk__in=municipality_ids)


@dataclass
class StatusRow:
    """Counts per status for one day × municipality × channel (or a total)."""

    day: datetime.date
    municipality: Municipality | None
    channel: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def unsent(self) -> int:
        return self.counts.get("planned", 0) + self.counts.get("sending", 0)

    @property
    def status_cells(self) -> list[int]:
        return [self.counts.get(status, 0) for status in STATUSES]

    def channel_label(self) -> str:
        return str(Channel(self.channel).label) if self.channel else ""


def status_rows(municipality_ids: MunicipalityIds, days: list[datetime.date]) -> list[StatusRow]:
    """The day × municipality × channel table, newest day first."""
    counts = _scoped(DayCount.objects.filter(day__in=days), municipality_ids)
    municipalities = {m.pk: m for m in _scoped_municipalities(municipality_ids)}
    rows: dict[tuple, StatusRow] = {}
    for day, mid, channel, status, count in counts.values_list(
        "day", "municipality_id", "channel", "status", "count"
    ):
        row = rows.setdefault((day, mid, channel), StatusRow(day, municipalities.get(mid), channel))
        row.counts[status] = count
    return sorted(
        rows.values(),
        key=lambda r: (
            -r.day.toordinal(),
            r.municipality.code if r.municipality else "",
            r.channel,
        ),
    )


def day_totals(rows: list[StatusRow], days: list[datetime.date]) -> list[StatusRow]:
    """One row per day, a day without deliveries included: the sum over municipalities and
    channels."""
    totals = {day: StatusRow(day, None, "") for day in days}
    for row in rows:
        total = totals[row.day]
        for status, count in row.counts.items():
            total.counts[status] = total.counts.get(status, 0) + count
    return sorted(totals.values(), key=lambda r: r.day, reverse=True)


@dataclass(frozen=True)
class DailyPoint:
    day: datetime.date
    sent: int
    failed: int
    skipped: int


def daily_series(
    municipality_ids: MunicipalityIds, first: datetime.date, last: datetime.date
) -> list[DailyPoint]:
    """Sent, failed and skipped per day, every day from ``first`` to ``last`` (zeros included)."""
    per_day: dict[datetime.date, dict[str, int]] = defaultdict(dict)
    rows = (
        _scoped(DayCount.objects.filter(day__gte=first, day__lte=last), municipality_ids)
        .values("day", "status")
        .annotate(total=Sum("count"))
    )
    for row in rows:
        per_day[row["day"]][row["status"]] = row["total"]
    points = []
    day = first
    while day <= last:
        counts = per_day.get(day, {})
        points.append(
            DailyPoint(
                day, counts.get("sent", 0), counts.get("failed", 0), counts.get("skipped", 0)
            )
        )
        day += datetime.timedelta(days=1)
    return points


@dataclass(frozen=True)
class Backlog:
    unsent: int  # planned or being sent, in municipalities that are not paused (as last counted)
    oldest_due_at: datetime.datetime | None  # the longest-waiting delivery that is due now
    held_by_pause: int  # unsent in paused municipalities

    def oldest_age(self, now: datetime.datetime) -> datetime.timedelta | None:
        return now - self.oldest_due_at if self.oldest_due_at else None


def backlog(municipality_ids: MunicipalityIds, now: datetime.datetime | None = None) -> Backlog:
    """Unsent deliveries from the day counts, and the oldest due one from the unsent index.

    Counting a million freshly planned rows takes a second; the day counts have them already.
    """
    now = now or clock.now()
    paused = Q(municipality__paused=True)
    unsent = _scoped(DayCount.objects.filter(status__in=UNSENT_STATUSES), municipality_ids)
    counts = unsent.aggregate(
        unsent=Sum("count", filter=~paused, default=0),
        held=Sum("count", filter=paused, default=0),
    )
    due = Delivery.objects.filter(status__in=UNSENT_STATUSES, next_attempt_at__lte=now)
    if municipality_ids is None:
        oldest = _first_due(due.exclude(paused))
    else:
        # One indexed look per municipality (see the index's comment in delivery.models).
        active = _scoped_municipalities(municipality_ids).filter(paused=False)
        unfinished = Delivery.objects.exclude(status__in=FINISHED_STATUSES)
        waiting = [
            _first_due(unfinished.filter(municipality_id=pk, next_attempt_at__lte=now))
            for pk in active.values_list("pk", flat=True)
        ]
        oldest = min((at for at in waiting if at is not None), default=None)
    return Backlog(counts["unsent"], oldest, counts["held"])


def _first_due(due: QuerySet[Delivery]) -> datetime.datetime | None:
    return due.order_by("next_attempt_at").values_list("next_attempt_at", flat=True).first()


def recent_failures(municipality_ids: MunicipalityIds, since: datetime.date) -> QuerySet[Delivery]:
    """Failed deliveries due on or after ``since``, newest first (read from the failed index)."""
    return (
        _scoped(
            Delivery.objects.filter(status=Delivery.Status.FAILED, due_on__gte=since),
            municipality_ids,
        )
        .select_related("municipality")
        .only(
            "pk",
            "due_on",
            "channel",
            "message_key",
            "attempts",
            "last_error",
            "municipality__name",
            "municipality__code",
        )
        .order_by("-due_on", "-pk")
    )


@dataclass(frozen=True)
class ErrorGroup:
    error: str
    count: int
    latest_day: datetime.date


def error_breakdown(
    municipality_ids: MunicipalityIds, since: datetime.date, limit: int = 20
) -> list[ErrorGroup]:
    """The failures since ``since`` grouped by their reason, most frequent first."""
    rows = (
        recent_failures(municipality_ids, since)
        .order_by()
        .values("last_error")
        .annotate(count=Count("pk"), latest=Max("due_on"))
        .order_by("-count", "last_error")[:limit]
    )
    return [
        ErrorGroup(row["last_error"] or "（理由なし）", row["count"], row["latest"]) for row in rows
    ]


@dataclass(frozen=True)
class SendingRate:
    sent: int
    failed: int
    retried: int
    per_minute: list[tuple[datetime.datetime, int]]  # sent per minute, oldest first

    @property
    def average_per_minute(self) -> float:
        return self.sent / max(len(self.per_minute), 1)


def sending_rate(
    municipality_ids: MunicipalityIds, now: datetime.datetime | None = None, minutes: int = 60
) -> SendingRate:
    """Send outcomes in the last ``minutes`` minutes, from the per-minute tallies."""
    now = (now or clock.now()).replace(second=0, microsecond=0)
    first = now - datetime.timedelta(minutes=minutes - 1)
    tallies = _scoped(
        SendTally.objects.filter(minute__gte=first, minute__lte=now), municipality_ids
    )
    by_outcome: dict[str, int] = defaultdict(int)
    sent_by_minute: dict[datetime.datetime, int] = defaultdict(int)
    for minute, outcome, count in tallies.values_list("minute", "outcome", "count"):
        by_outcome[outcome] += count
        if outcome == "sent":
            sent_by_minute[minute] += count
    minutes_shown = [first + datetime.timedelta(minutes=i) for i in range(minutes)]
    per_minute = [(minute, sent_by_minute.get(minute, 0)) for minute in minutes_shown]
    return SendingRate(by_outcome["sent"], by_outcome["failed"], by_outcome["retry"], per_minute)


@dataclass(frozen=True)
class LineQuota:
    municipality: Municipality
    quota: int | None
    sent_this_month: int
    waiting_today: int
    forecast_rest_of_month: int
    next_30_days: int

    @property
    def expected_this_month(self) -> int:
        return self.sent_this_month + self.waiting_today + self.forecast_rest_of_month

    @property
    def percent_of_quota(self) -> int | None:
        if not self.quota:
            return None
        return round(100 * self.expected_this_month / self.quota)

    @property
    def over(self) -> bool:
        return bool(self.quota) and self.expected_this_month > self.quota


def _month_end(day: datetime.date) -> datetime.date:
    next_month = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return next_month - datetime.timedelta(days=1)


def line_quotas(municipality_ids: MunicipalityIds, today: datetime.date) -> list[LineQuota]:
    """LINE messages this month (sent, waiting, forecast) against each municipality's quota."""
    municipalities = _scoped_municipalities(municipality_ids).filter(line_enabled=True)
    month_start, month_end = today.replace(day=1), _month_end(today)
    line_counts = DayCount.objects.filter(channel=Channel.LINE, municipality__in=municipalities)
    sent = dict(
        line_counts.filter(day__gte=month_start, day__lte=today, status="sent")
        .values_list("municipality_id")
        .annotate(total=Sum("count"))
    )
    waiting = dict(
        line_counts.filter(day=today, status__in=["planned", "sending"])
        .values_list("municipality_id")
        .annotate(total=Sum("count"))
    )
    forecasts = ForecastCount.objects.filter(
        channel=Channel.LINE, municipality__in=municipalities, day__gt=today
    )
    rest = dict(
        forecasts.filter(day__lte=month_end)
        .values_list("municipality_id")
        .annotate(total=Sum("count"))
    )
    coming = dict(
        forecasts.filter(day__lte=today + datetime.timedelta(days=30))
        .values_list("municipality_id")
        .annotate(total=Sum("count"))
    )
    return [
        LineQuota(
            m,
            m.line_monthly_quota,
            sent.get(m.pk, 0),
            waiting.get(m.pk, 0),
            rest.get(m.pk, 0),
            coming.get(m.pk, 0),
        )
        for m in municipalities.order_by("code")
    ]


@dataclass(frozen=True)
class Forecast:
    made_on: datetime.date | None
    by_day: list[tuple[datetime.date, int, int]]  # (day, email, line)
    line_requests: int = 0  # the LINE API requests those messages take, all days together

    @property
    def email_total(self) -> int:
        return sum(email for _day, email, _line in self.by_day)

    @property
    def line_total(self) -> int:
        return sum(line for _day, _email, line in self.by_day)


def forecast(municipality_ids: MunicipalityIds) -> Forecast:
    """The stored 30-day forecast, per day and channel."""
    rows = _scoped(ForecastCount.objects.all(), municipality_ids)
    made_on = rows.aggregate(made=Min("made_on"))["made"]
    per_day: dict[datetime.date, dict[str, int]] = defaultdict(dict)
    for row in rows.values("day", "channel").annotate(total=Sum("count")):
        per_day[row["day"]][row["channel"]] = row["total"]
    by_day = [
        (day, counts.get("email", 0), counts.get("line", 0))
        for day, counts in sorted(per_day.items())
    ]
    requests = rows.filter(channel="line").aggregate(total=Sum("requests"))["total"] or 0
    return Forecast(made_on, by_day, requests)


def last_tick() -> Heartbeat | None:
    return Heartbeat.objects.filter(name=TICK).first()


@dataclass(frozen=True)
class UrgentBatch:
    """An urgent notice's deliveries, shown as a batch of its own."""

    notice: UrgentNotice
    counts: dict[str, int]

    @property
    def status_cells(self) -> list[int]:
        return [self.counts.get(status, 0) for status in STATUSES]


def urgent_batches(municipality_ids: MunicipalityIds, since: datetime.date) -> list[UrgentBatch]:
    """Urgent notices queued since ``since``, newest first, with their deliveries by status."""
    notices = list(
        _scoped(UrgentNotice.objects.filter(queued_on__gte=since), municipality_ids)
        .select_related("municipality")
        .order_by("-queued_on", "-pk")
    )
    if not notices:
        return []
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    rows = (
        Delivery.objects.filter(
            due_on__in={notice.queued_on for notice in notices},
            municipality_id__in={notice.municipality_id for notice in notices},
            message_key__in=[notice.message_key for notice in notices],
        )
        .values("message_key", "status")
        .annotate(total=Count("pk"))
    )
    for row in rows:
        counts[row["message_key"]][row["status"]] = row["total"]
    return [UrgentBatch(notice, counts.get(notice.message_key, {})) for notice in notices]
