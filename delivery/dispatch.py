"""Sending what is due: claim a batch in the database, compose, send per channel, record.

The database is the source of truth. A claim is an UPDATE of rows picked with
``FOR UPDATE SKIP LOCKED``, so parallel workers never take the same delivery; a claim has a
lease, so a worker killed mid-batch leaves nothing stuck (its rows are claimed again once the
lease runs out); the broker only carries "go and look", never what to send.
"""

from __future__ import annotations

import datetime
import logging
import os
import random
import socket
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Q

from kizuna import clock
from municipalities.models import Municipality
from subscribers.models import Subscriber

from . import stats
from .compose import Composed, Composer, Skip
from .models import Delivery
from .senders import postmark
from .senders.base import Outcome, Result, Sender
from .senders.email import EmailSender
from .senders.line import LineSender
from .senders.postmark import PostmarkBatchSender

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
BACKOFF_CAP_SECONDS = 6 * 3600


@dataclass
class DispatchReport:
    outcomes: Counter = field(default_factory=Counter)
    batches: int = 0
    seconds: float = 0.0

    @property
    def handled(self) -> int:
        return sum(self.outcomes.values())


def claim(
    limit: int,
    *,
    now: datetime.datetime | None = None,
    due_on: datetime.date | None = None,
    municipality_ids: list[int] | None = None,
) -> list[int]:
    """Take up to ``limit`` due deliveries for this worker; returns their ids.

    ``due_on`` and ``municipality_ids`` narrow the claim (the ``deliver`` command).
    """
    now = now or clock.now()
    lock = "FOR UPDATE OF d SKIP LOCKED" if connection.vendor == "postgresql" else ""
    narrow, narrow_params = "", []
    if due_on is not None:
        narrow += " AND d.due_on = %s"
        narrow_params.append(connection.ops.adapt_datefield_value(due_on))
    if municipality_ids:
        narrow += f" AND d.municipality_id IN ({', '.join(['%s'] * len(municipality_ids))})"
        narrow_params += list(municipality_ids)
    # A LINE request that got no answer must go again whole, under its retry key: the rows
    # that shared it come along even if this batch is full or their retry is not yet due.
    companion_lock = "FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
    sql = f"""
        WITH picked AS (
            SELECT d.id, d.retry_key FROM delivery_delivery d
            WHERE d.status IN ('planned', 'sending') AND d.next_attempt_at <= %s
              AND (d.status = 'planned' OR d.claimed_until < %s)
              AND d.municipality_id NOT IN (
                  SELECT m.id FROM municipalities_municipality m WHERE m.paused)
              {narrow}
            ORDER BY d.next_attempt_at, d.due_on, d.id
            LIMIT %s
            {lock}
        ), companions AS (
            SELECT g.id FROM delivery_delivery g
            WHERE g.retry_key IN (SELECT p.retry_key FROM picked p)
              AND g.status IN ('planned', 'sending')
              AND (g.status = 'planned' OR g.claimed_until < %s)
            {companion_lock}
        )
        UPDATE delivery_delivery SET status = 'sending', claimed_until = %s, claimed_by = %s,
               attempts = attempts + 1
        WHERE id IN (SELECT id FROM picked UNION SELECT id FROM companions)
        RETURNING id
    """  # noqa: S608 (only fixed clauses and placeholders are interpolated)
    with transaction.atomic(), connection.cursor() as cursor:
        at = connection.ops.adapt_datetimefield_value
        cursor.execute(
            sql,
            [at(now), at(now), *narrow_params, limit, at(now), at(now + lease()), WORKER],
        )
        return sorted(row[0] for row in cursor.fetchall())


def _incomplete_requests(deliveries: list[Delivery]) -> set:
    """Retry keys of which this batch holds only some of the unsent rows.

    Sending part of such a request under its key would be wrong either way: if LINE had taken
    the request, the key is spent and the rest would be counted as sent; if not, the first part
    spends it and the rest is lost. So those rows wait until one batch holds them all.
    """
    held = Counter(d.retry_key for d in deliveries if d.retry_key is not None)
    if not held:
        return set()
    unsent = Counter(
        dict(
            Delivery.objects.filter(
                retry_key__in=list(held),
                status__in=[Delivery.Status.PLANNED, Delivery.Status.SENDING],
            )
            .values("retry_key")
            .annotate(rows=Count("pk"))
            .values_list("retry_key", "rows")
        )
    )
    return {key for key, rows in held.items() if unsent[key] > rows}


def _put_back(deliveries: list[Delivery]) -> None:
    """Release rows without counting it as an attempt; they are due again in a moment."""
    Delivery.objects.filter(
        pk__in=[d.pk for d in deliveries], status=Delivery.Status.SENDING
    ).update(
        status=Delivery.Status.PLANNED,
        claimed_until=None,
        claimed_by="",
        attempts=F("attempts") - 1,
        next_attempt_at=clock.now() + datetime.timedelta(seconds=1),
    )


WORKER = f"{socket.gethostname()}:{os.getpid()}"


def lease() -> datetime.timedelta:
    """How long a claim keeps others off; a worker that dies mid-batch frees its rows after it."""
    return datetime.timedelta(seconds=settings.KIZUNA_CLAIM_LEASE_SECONDS)


def backoff(attempts: int, retry_after: float | None = None) -> datetime.timedelta:
    """Exponential backoff with jitter, or what the provider asked for when it said."""
    if retry_after is not None:
        return datetime.timedelta(seconds=max(retry_after, 1))
    base = settings.KIZUNA_RETRY_BACKOFF_SECONDS
    seconds = min(base * 2 ** max(attempts - 1, 0), BACKOFF_CAP_SECONDS)
    return datetime.timedelta(seconds=seconds * random.uniform(0.8, 1.2))  # noqa: S311


def senders_for(deliveries: list[Delivery]) -> dict[str, Sender]:
    slugs = {d.municipality_id: d.municipality.slug for d in deliveries}
    email = PostmarkBatchSender() if postmark.is_configured() else EmailSender()
    return {"email": email, "line": LineSender(slugs, remember_keys=remember_retry_keys)}


def remember_retry_keys(keys: dict[str, list[int]]) -> None:
    """Store the retry keys of LINE requests about to leave, in their own short transaction."""
    rows = [(delivery_id, key) for key, ids in keys.items() for delivery_id in ids]
    table = Delivery._meta.db_table
    cast = "uuid" if connection.vendor == "postgresql" else "char(32)"
    values = ", ".join([f"(%s, CAST(%s AS {cast}))"] * len(rows))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET retry_key = v.column2 FROM (VALUES {values}) AS v "  # noqa: S608
            f"WHERE {table}.id = v.column1",
            [value for delivery_id, key in rows for value in (delivery_id, _uuid_db(key))],
        )


def _uuid_db(key: str):
    return Delivery._meta.get_field("retry_key").get_db_prep_save(uuid.UUID(key), connection)


def send_claimed(
    ids: list[int], *, senders: dict[str, Sender] | None = None, composer: Composer | None = None
) -> Counter:
    """Compose, send and record one claimed batch; returns how many ended in each outcome."""
    deliveries = list(
        Delivery.objects.filter(pk__in=ids, status=Delivery.Status.SENDING)
        .select_related("subscriber", "child")
        .order_by("due_on", "pk")
    )
    # A batch has a thousand rows and a handful of municipalities: load each of those once.
    municipalities = Municipality.objects.in_bulk({d.municipality_id for d in deliveries})
    for delivery in deliveries:
        delivery.municipality = municipalities[delivery.municipality_id]
    incomplete = _incomplete_requests(deliveries)
    if incomplete:
        _put_back([d for d in deliveries if d.retry_key in incomplete])
        deliveries = [d for d in deliveries if d.retry_key not in incomplete]
    if not deliveries:
        return Counter()
    senders = senders or senders_for(deliveries)
    composer = composer or Composer()
    composer.prepare(deliveries)
    composed: dict[int, Composed] = {}
    skipped: list[Skip] = []
    by_channel: dict[str, list] = defaultdict(list)
    for delivery in deliveries:
        result = composer.compose(delivery)
        if isinstance(result, Skip):
            skipped.append(result)
        else:
            composed[delivery.pk] = result
            by_channel[delivery.channel].append(result.message)

    by_id = {d.pk: d for d in deliveries}
    record([], skipped, composed, by_id)
    outcomes = Counter(skipped=len(skipped)) if skipped else Counter()
    tally = Counter(
        (by_id[skip.delivery_id].municipality_id, by_id[skip.delivery_id].channel, "skipped")
        for skip in skipped
    )
    for channel, messages in by_channel.items():
        sender = senders[channel]
        unrecorded: list[Result] = []
        for results in sender.send(messages):
            unrecorded += results
            # Anything but "sent" is recorded at once: a retry's wait starts now, not at the end.
            unsent = any(r.outcome != Outcome.SENT for r in results)
            if unsent or len(unrecorded) >= sender.record_every:
                record(unrecorded, [], composed, by_id)
                unrecorded = []
            outcomes.update(r.outcome.value for r in results)
            tally.update(
                (by_id[r.delivery_id].municipality_id, channel, r.outcome.value) for r in results
            )
        if unrecorded:
            record(unrecorded, [], composed, by_id)
    stats.add_tally(tally)
    return outcomes


def record(
    results: list[Result],
    skipped: list[Skip],
    composed: dict[int, Composed],
    deliveries: dict[int, Delivery],
) -> None:
    """Write each outcome back in a few statements, whatever the number of rows.

    Sent rows are one statement, each row with its own provider id and text versions; the others
    are one statement per group of rows that get the same values.
    """
    now = clock.now()
    sent: list[tuple] = []
    groups: dict[tuple, list[tuple[int]]] = defaultdict(list)
    stopped: list[Result] = []
    waits: dict[tuple, datetime.timedelta] = {}  # one wait per request: its rows retry together
    for result in results:
        delivery_id = result.delivery_id
        if result.outcome == Outcome.SENT:
            parts = composed[delivery_id]
            sent.append(
                (
                    delivery_id,
                    result.provider_message_id[:200],
                    parts.text_versions,
                    parts.stage_message_id,
                    parts.special_message_id,
                    parts.birthday_message_id,
                )
            )
            continue
        if result.outcome == Outcome.RETRY and deliveries[delivery_id].attempts < MAX_ATTEMPTS:
            attempts = deliveries[delivery_id].attempts
            wait = waits.setdefault(
                (attempts, result.retry_after), backoff(attempts, result.retry_after)
            )
            values = {
                "status": Delivery.Status.PLANNED,
                "last_error": result.error[:500],
                "next_attempt_at": now + wait,
            }
        else:
            error = (
                result.error
                if result.outcome == Outcome.FAILED
                else f"再試行の上限に達しました: {result.error}"
            )
            values = {"status": Delivery.Status.FAILED, "last_error": error[:500]}
            if result.outcome == Outcome.FAILED:
                stopped.append(result)
        groups[tuple(values.items())].append((delivery_id,))
    for skip in skipped:
        values = {"status": Delivery.Status.SKIPPED, "last_error": skip.reason[:500]}
        groups[tuple(values.items())].append((skip.delivery_id,))

    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Don't wait for the disk: a record lost in a database crash only means the message
            # goes again, which its stored LINE retry key and its Message-ID make harmless.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        if sent:
            _update_rows(
                {"status": Delivery.Status.SENT, "sent_at": now, "last_error": ""},
                SENT_PER_ROW,
                sent,
            )
        for values, rows in groups.items():
            _update_rows(dict(values), (), rows)
        for result in stopped:
            # A permanent failure stops this channel for the reader: no more tries, no more plans.
            delivery = deliveries[result.delivery_id]
            Subscriber.objects.filter(pk=delivery.subscriber_id, channel=delivery.channel).update(
                channel_stopped_at=now, channel_stop_reason=result.error[:200]
            )


# What each sent row gets of its own, after its id, in record()'s tuples.
SENT_PER_ROW = (
    "provider_message_id",
    "text_versions",
    "stage_message",
    "special_message",
    "birthday_message",
)


def _update_rows(common: dict, per_row: tuple[str, ...], rows: list[tuple]) -> None:
    """Finish these claimed rows: ``common`` values for all, ``per_row`` fields from each tuple.

    One statement: ``UPDATE … FROM (VALUES (id, …), …) AS v`` (PostgreSQL and SQLite both name
    the VALUES columns ``column1``, ``column2``…; casts give NULLs and JSON their column's type).
    """
    meta = Delivery._meta
    quote = connection.ops.quote_name
    assignments, params = [], []
    for name, value in {**common, "claimed_until": None, "claimed_by": ""}.items():
        field = meta.get_field(name)
        assignments.append(f"{quote(field.column)} = %s")
        params.append(field.get_db_prep_save(value, connection))
    fields = [meta.get_field(name) for name in per_row]
    for number, field in enumerate(fields, start=2):
        column_type = field.db_type(connection) if connection.vendor == "postgresql" else None
        value = f"CAST(v.column{number} AS {column_type})" if column_type else f"v.column{number}"
        assignments.append(f"{quote(field.column)} = {value}")
    table = quote(meta.db_table)
    row_sql = "(" + ", ".join(["%s"] * (1 + len(fields))) + ")"
    # "(SELECT %s)", not "%s": a value the planner can't see. Just after a day is planned the
    # statistics say no row is "sending", and with the constant in sight PostgreSQL walks the
    # status index through every row of the day for each batch (125 ms, not 10 ms, for 500).
    sql = (
        f"UPDATE {table} SET {', '.join(assignments)} "  # noqa: S608 (field names and placeholders)
        f"FROM (VALUES {', '.join([row_sql] * len(rows))}) AS v "
        f"WHERE {table}.id = v.column1 AND {table}.status = (SELECT %s)"
    )
    for row in rows:
        params.append(row[0])
        params += [
            field.get_db_prep_save(value, connection)
            for field, value in zip(fields, row[1:], strict=True)
        ]
    params.append(Delivery.Status.SENDING)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def dispatch(
    *,
    batch_size: int | None = None,
    time_budget: float = 240.0,
    senders: dict[str, Sender] | None = None,
    due_on: datetime.date | None = None,
    municipality_ids: list[int] | None = None,
) -> DispatchReport:
    """Claim and send batches until nothing is due or the time budget is spent."""
    report = DispatchReport()
    batch_size = batch_size or settings.KIZUNA_DISPATCH_BATCH_SIZE
    composer = Composer()  # its lookups serve every batch of this run
    started = time.monotonic()
    while time.monotonic() - started < time_budget:
        ids = claim(batch_size, due_on=due_on, municipality_ids=municipality_ids)
        if not ids:
            break
        batch_started = time.monotonic()
        outcomes = send_claimed(ids, senders=senders, composer=composer)
        report.outcomes.update(outcomes)
        report.batches += 1
        seconds = time.monotonic() - batch_started
        logger.info(
            "sent batch of %d in %.3fs: %s",
            len(ids),
            seconds,
            dict(outcomes),
            extra={
                "event": "send_batch",
                "size": len(ids),
                "outcomes": dict(outcomes),
                "seconds": round(seconds, 3),
                "worker": WORKER,
            },
        )
    report.seconds = time.monotonic() - started
    return report


def due_count(now: datetime.datetime | None = None) -> int:
    """What :func:`claim` could take now: due rows, and rows whose claim has run out."""
    now = now or clock.now()
    return (
        Delivery.objects.filter(
            status__in=[Delivery.Status.PLANNED, Delivery.Status.SENDING], next_attempt_at__lte=now
        )
        .filter(Q(status=Delivery.Status.PLANNED) | Q(claimed_until__lt=now))
        .exclude(municipality__in=Municipality.objects.filter(paused=True))
        .count()
    )
