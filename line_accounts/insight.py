"""Per-stage open and click counts from LINE's Insight API, for accounts that push stage texts
with an aggregation unit (``LineAccountSettings.stage_statistics``, units from
:mod:`delivery.line_insight`).

Nightly, for each of the last REFETCH_DAYS days (LINE keeps counting a message for 14 days after
it was sent, so a day's numbers still grow), each unit Kizuna sent that day is asked for with
``GET /v2/bot/insight/message/event/aggregation`` (from = to = that day, yyyyMMdd in Japan time)
and written in one upsert per account: a second run the same night changes nothing but the
fetch time. LINE answers null below 20 readers; it is kept as None and shown as
「少数のため非表示」, never as 0.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Value
from django.db.models.functions import StrIndex, Substr
from linebot.v3.insight import ApiClient, ApiException, Configuration, Insight

from delivery.line_insight import stage_unit, unit_label, unit_order
from delivery.models import Delivery
from delivery.senders.line import channel_access_token
from kizuna import clock
from municipalities.models import Municipality

from .models import LineAccountSettings, StageInsight

logger = logging.getLogger(__name__)
REFETCH_DAYS = 3
HIDDEN = "少数のため非表示"


def units_sent(municipality: Municipality, day: datetime.date) -> list[str]:
    """The aggregation units of the stage texts Kizuna sent by LINE on ``day`` (Japan time)."""
    start = datetime.datetime.combine(day, datetime.time(), tzinfo=clock.TOKYO)
    stages = (
        Delivery.objects.filter(
            municipality=municipality,
            channel="line",
            status=Delivery.Status.SENT,
            sent_at__gte=start,
            sent_at__lt=start + datetime.timedelta(days=1),
            message_key__contains=":stage:",
        )
        # The key without its child (``stage:pregnancy:day:140``): a few hundred distinct at most.
        .annotate(stage=Substr("message_key", StrIndex("message_key", Value("stage:"))))
        .values_list("stage", flat=True)
        .distinct()
    )
    return sorted({unit for key in stages if (unit := stage_unit(key))}, key=unit_order)


@dataclass(frozen=True)
class Fetched:
    rows: int = 0
    failed: int = 0


def fetch(municipality: Municipality, today: datetime.date) -> Fetched:
    """The last REFETCH_DAYS days' counts of one account, written in one statement."""
    token = channel_access_token(municipality.slug)
    if not token:
        return Fetched()
    now = clock.now()
    rows: list[StageInsight] = []
    failed = 0
    with ApiClient(Configuration(host=settings.LINE_API_BASE_URL, access_token=token)) as client:
        api = Insight(client)
        for back in range(REFETCH_DAYS, 0, -1):
            day = today - datetime.timedelta(days=back)
            stamp = day.strftime("%Y%m%d")
            for unit in units_sent(municipality, day):
                try:
                    answer = api.get_statistics_per_unit(
                        unit, stamp, stamp, _request_timeout=settings.LINE_TIMEOUT_SECONDS
                    )
                except (ApiException, OSError, ValueError) as error:
                    failed += 1
                    logger.warning(
                        "LINE insight %s %s for %s failed: %s",
                        unit,
                        stamp,
                        municipality.slug,
                        getattr(error, "status", type(error).__name__),
                    )
                    continue
                overview = answer.overview
                rows.append(
                    StageInsight(
                        municipality=municipality,
                        unit=unit,
                        day=day,
                        opened=overview.unique_impression if overview else None,
                        clicked=overview.unique_click if overview else None,
                        fetched_at=now,
                    )
                )
    StageInsight.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["municipality", "unit", "day"],
        update_fields=["opened", "clicked", "fetched_at"],
    )
    return Fetched(len(rows), failed)


def fetch_all(today: datetime.date) -> Fetched:
    rows = failed = 0
    for municipality in Municipality.objects.filter(
        line_enabled=True,
        pk__in=LineAccountSettings.objects.filter(stage_statistics=True).values("municipality_id"),
    ):
        fetched = fetch(municipality, today)
        rows += fetched.rows
        failed += fetched.failed
    return Fetched(rows, failed)


@dataclass(frozen=True)
class StageRow:
    unit: str
    label: str
    cells: list[str]  # per day, oldest first: 「開封 25・クリック 3」 or 「少数のため非表示」


def table(
    municipality: Municipality, today: datetime.date, days: int = 7
) -> tuple[list[datetime.date], list[StageRow]]:
    """The staff page's table: a row per stage unit, a column per day of the last ``days``."""
    columns = [today - datetime.timedelta(days=back) for back in range(days, 0, -1)]
    found: dict[str, dict[datetime.date, StageInsight]] = {}
    for row in StageInsight.objects.filter(
        municipality=municipality, day__gte=columns[0], day__lte=columns[-1]
    ):
        found.setdefault(row.unit, {})[row.day] = row
    return columns, [
        StageRow(unit, unit_label(unit), [_cell(found[unit].get(day)) for day in columns])
        for unit in sorted(found, key=unit_order)
    ]


def _cell(row: StageInsight | None) -> str:
    if row is None:
        return "―"
    if row.opened is None and row.clicked is None:
        return HIDDEN
    opened = HIDDEN if row.opened is None else row.opened
    clicked = HIDDEN if row.clicked is None else row.clicked
    return f"開封 {opened}・クリック {clicked}"
