"""Old delivery rows rolled into the day counts, so the delivery table stays bounded.

At national scale a day adds about a million rows. Once a day is older than
``KIZUNA_DELIVERY_KEEP_DAYS`` (and the catch-up window), its finished rows of the day-planned
kinds (stage messages and birthdays, :data:`delivery.outbox.DAY_PLANNED_SQL`) are deleted; what
they counted stays in :class:`~delivery.models.DayCount` (``rolled_up``), so the dashboard's
figures do not change. A day-planned row is not needed to stop a second send once its day is
past the catch-up window: the planner never plans such a day again (:func:`horizon`). A sent
row leaves a slim :class:`~delivery.models.SentMessage` (reader, day, channel, message) for the
reader's data download, itself deleted after ``KIZUNA_SENT_HISTORY_DAYS``.

Rows queued by one-off events (special messages such as the welcome, surveys, urgent notices,
import welcomes) are kept: their row is what stops a second send. Unfinished rows
are never deleted, and a day with any of them is left whole until it is finished.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F

from kizuna import clock

from . import heartbeats, outbox, stats
from .models import FINISHED_STATUSES, DayCount, LineWebhookEvent, SentMessage

logger = logging.getLogger(__name__)

CHUNK_ROWS = 50_000
HEARTBEAT = heartbeats.ROLL_UP
UNSENT_STATUSES = stats.UNSENT_STATUSES

# Every other kind is planned once by an event and keeps its row.
_DAY_PLANNED = outbox.DAY_PLANNED_SQL
_FINISHED = "status IN ({})".format(", ".join(f"'{status}'" for status in FINISHED_STATUSES))


@dataclass
class RollUpResult:
    through: datetime.date
    deleted: dict[datetime.date, int] = field(default_factory=dict)  # day -> rows, if any
    history_through: datetime.date | None = None  # sent-message records up to here went
    history_deleted: int = 0
    unfinished: list[datetime.date] = field(default_factory=list)  # days left for later
    dry_run: bool = False
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.deleted.values())


def horizon(today: datetime.date | None = None) -> datetime.date:
    """The newest day whose rows may be rolled up: older than the kept days and the catch-up
    window, so the planner can never plan it again."""
    today = today or clock.today()
    keep = max(settings.KIZUNA_DELIVERY_KEEP_DAYS, settings.KIZUNA_CATCH_UP_DAYS + 1)
    return today - datetime.timedelta(days=keep)


def history_horizon(today: datetime.date | None = None) -> datetime.date:
    """The newest day whose :class:`~delivery.models.SentMessage` records are deleted."""
    today = today or clock.today()
    return today - datetime.timedelta(days=max(settings.KIZUNA_SENT_HISTORY_DAYS, 1))


def candidate_days(through: datetime.date) -> list[datetime.date]:
    """Days up to ``through`` that may still hold finished rows, read from the day counts."""
    return sorted(
        DayCount.objects.filter(day__lte=through, status__in=FINISHED_STATUSES)
        .filter(count__gt=F("rolled_up"))
        .values_list("day", flat=True)
        .distinct()
    )


def prune_line_events(now: datetime.datetime | None = None) -> int:
    """Forget LINE webhook events older than ``KIZUNA_LINE_EVENT_KEEP_DAYS``; how many.

    Long past LINE's redeliveries, and they hold LINE user ids, which are not kept longer
    than needed.
    """
    keep = datetime.timedelta(days=max(settings.KIZUNA_LINE_EVENT_KEEP_DAYS, 1))
    deleted, _ = LineWebhookEvent.objects.filter(
        received_at__lt=(now or clock.now()) - keep
    ).delete()
    return deleted


def roll_up(
    today: datetime.date | None = None,
    *,
    dry_run: bool = False,
    chunk_rows: int = CHUNK_ROWS,
    progress: Callable[[str], None] | None = None,
) -> RollUpResult:
    """Delete the finished day-planned rows of every day up to :func:`horizon`; returns what
    was (or, dry, would be) deleted per day. Safe to run again and to interrupt."""
    started = time.monotonic()
    through = horizon(today)
    result = RollUpResult(through, dry_run=dry_run)
    say = progress or (lambda message: None)
    if not dry_run:
        # Before any row goes: from now on the planner refuses these days (a re-run of a past
        # date would otherwise plan and send them again).
        heartbeats.beat(HEARTBEAT, through=through.isoformat())
    for day in candidate_days(through):
        with transaction.atomic():
            stats.serialised()
            stats.recount_days([day])
            unfinished = DayCount.objects.filter(
                day=day, status__in=UNSENT_STATUSES, count__gt=0
            ).exists()
        if unfinished:
            result.unfinished.append(day)
            say(f"{day}: 未送信の配信が残っているため、この日はまとめません")
            continue
        if dry_run:
            if count := _count(day):
                result.deleted[day] = count
                say(f"{day}: {count:,} 件をまとめる予定です")
            continue
        deleted = 0
        while chunk := _delete_chunk(day, chunk_rows):
            deleted += chunk
            say(f"{day}: {deleted:,} 件をまとめました…")
        if deleted:
            result.deleted[day] = deleted
            logger.info(
                "rolled up %d deliveries of %s",
                deleted,
                day,
                extra={"event": "roll_up_day", "day": str(day), "deleted": deleted},
            )
    result.history_through = history_horizon(today)
    if dry_run:
        result.history_deleted = SentMessage.objects.filter(
            due_on__lte=result.history_through
        ).count()
    else:
        while chunk := _delete_history_chunk(result.history_through, chunk_rows):
            result.history_deleted += chunk
            say(
                f"{result.history_through} までの送信記録: {result.history_deleted:,} 件を削除しました…"
            )
    result.seconds = time.monotonic() - started
    if not dry_run:
        heartbeats.beat(HEARTBEAT, through=through.isoformat(), deleted=result.total)
    logger.info(
        "%s %d deliveries up to %s in %.3fs",
        "would roll up" if dry_run else "rolled up",
        result.total,
        through,
        result.seconds,
        extra={
            "event": "roll_up",
            "through": str(through),
            "dry_run": dry_run,
            "days": len(result.deleted),
            "deleted": result.total,
            "unfinished_days": len(result.unfinished),
            "history_deleted": result.history_deleted,
            "seconds": round(result.seconds, 3),
        },
    )
    return result


def _count(day: datetime.date) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM delivery_delivery WHERE due_on = %s AND {_FINISHED}"  # noqa: S608
            f" AND {_DAY_PLANNED}",
            [connection.ops.adapt_datefield_value(day)],
        )
        return int(cursor.fetchone()[0])


def _delete_chunk(day: datetime.date, limit: int) -> int:
    """Delete up to ``limit`` rows of ``day``, move them into ``rolled_up`` and keep a
    :class:`SentMessage` of each sent one, in one transaction: a count is exact, and no record
    lost or doubled, whether the job stops before, during or after it."""
    params = {
        "day": connection.ops.adapt_datefield_value(day),
        "limit": limit,
        "now": connection.ops.adapt_datetimefield_value(clock.now()),
    }
    # SQLite runs the chunk's query twice: the same order makes it the same rows.
    order = "ORDER BY id" if connection.vendor == "sqlite" else ""
    chunk = f"""
        SELECT id FROM delivery_delivery WHERE due_on = %(day)s AND {_FINISHED} AND {_DAY_PLANNED}
        {order} LIMIT %(limit)s
    """  # noqa: S608 (fixed SQL fragments only)
    # The day was recounted just before, so its groups are there and count these rows already:
    # only ``rolled_up`` moves, and ``count`` (rows left + rolled up) stays what it was.
    upsert = """
        INSERT INTO delivery_daycount (day, municipality_id, channel, status, count, rolled_up,
                                       counted_at)
        SELECT %(day)s, municipality_id, channel, status, count(*), count(*), %(now)s
        FROM {rows} WHERE true GROUP BY municipality_id, channel, status
        ON CONFLICT (day, municipality_id, channel, status)
        DO UPDATE SET rolled_up = delivery_daycount.rolled_up + excluded.rolled_up
    """
    keep = """
        INSERT INTO delivery_sentmessage (subscriber_id, due_on, channel, message_key)
        SELECT subscriber_id, due_on, channel, message_key FROM {rows} WHERE status = 'sent'
    """
    with transaction.atomic(), connection.cursor() as cursor:
        stats.serialised()
        if connection.vendor == "postgresql":
            cursor.execute(
                f"""
                WITH gone AS (
                    DELETE FROM delivery_delivery WHERE id IN ({chunk})
                    RETURNING municipality_id, subscriber_id, channel, status, message_key, due_on
                ), counted AS ({upsert.format(rows="gone")} RETURNING 1),
                kept AS ({keep.format(rows="gone")} RETURNING 1)
                SELECT count(*) FROM gone
                """,  # noqa: S608 (fixed SQL fragments only)
                params,
            )
            return int(cursor.fetchone()[0])
        # SQLite (the demo) has no DELETE inside WITH: the same chunk, counted then deleted.
        rows = f"(SELECT * FROM delivery_delivery WHERE id IN ({chunk})) AS c"  # noqa: S608
        cursor.execute(upsert.format(rows=rows), params)
        cursor.execute(keep.format(rows=rows), params)
        cursor.execute(f"DELETE FROM delivery_delivery WHERE id IN ({chunk})", params)  # noqa: S608
        return int(cursor.rowcount)


def _delete_history_chunk(through: datetime.date, limit: int) -> int:
    """Delete up to ``limit`` sent-message records of days up to ``through``."""
    order = "ORDER BY id" if connection.vendor == "sqlite" else ""
    sql = f"""
        DELETE FROM delivery_sentmessage WHERE id IN (
            SELECT id FROM delivery_sentmessage WHERE due_on <= %s {order} LIMIT %s)
    """  # noqa: S608 (fixed SQL fragments only)
    with connection.cursor() as cursor:
        cursor.execute(sql, [connection.ops.adapt_datefield_value(through), limit])
        return int(cursor.rowcount)


def forget_readers(subscriber_ids: list[int]) -> int:
    """Delete every delivery row and sent-message record of these readers (erasure).

    Their finished rows stay counted in their day (``DayCount.rolled_up``, as a roll-up does), so
    the dashboard's figures do not change; only the numbers remain. Returns the rows deleted.
    """
    if not subscriber_ids:
        return 0
    ids = ", ".join(str(int(pk)) for pk in subscriber_ids)
    params = {"now": connection.ops.adapt_datetimefield_value(clock.now())}
    upsert = f"""
        INSERT INTO delivery_daycount (day, municipality_id, channel, status, count, rolled_up,
                                       counted_at)
        SELECT due_on, municipality_id, channel, status, count(*), count(*), %(now)s
        FROM {{rows}} WHERE {_FINISHED} GROUP BY due_on, municipality_id, channel, status
        ON CONFLICT (day, municipality_id, channel, status)
        DO UPDATE SET rolled_up = delivery_daycount.rolled_up + excluded.rolled_up
    """  # noqa: S608 (fixed SQL fragments and integers only)
    with transaction.atomic(), connection.cursor() as cursor:
        stats.serialised()
        if connection.vendor == "postgresql":
            cursor.execute(
                f"""
                WITH gone AS (
                    DELETE FROM delivery_delivery WHERE subscriber_id IN ({ids})
                    RETURNING municipality_id, channel, status, due_on
                ), counted AS ({upsert.format(rows="gone")} RETURNING 1)
                SELECT count(*) FROM gone
                """,  # noqa: S608 (fixed SQL fragments and integers only)
                params,
            )
            deleted = int(cursor.fetchone()[0])
        else:
            rows = f"(SELECT * FROM delivery_delivery WHERE subscriber_id IN ({ids})) AS r"  # noqa: S608
            cursor.execute(upsert.format(rows=rows), params)
            cursor.execute(f"DELETE FROM delivery_delivery WHERE subscriber_id IN ({ids})")  # noqa: S608
            deleted = int(cursor.rowcount)
        SentMessage.objects.filter(subscriber_id__in=subscriber_ids).delete()
    return deleted
