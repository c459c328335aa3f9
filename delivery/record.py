"""Writing each send outcome back to its claimed row, in a few statements whatever the batch."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.db import connection, transaction
from django.db.models import Field

from kizuna import clock
from subscribers.models import Subscriber

from .compose import FOLDED_PREFIX, Composed, Folded, Skip
from .models import Delivery
from .outbox import SQLParam
from .retry import MAX_ATTEMPTS, backoff
from .senders.base import Outcome, Result


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
    sent: list[SentRow] = []
    groups: dict[tuple[tuple[str, object], ...], list[tuple[int]]] = defaultdict(list)
    stopped: list[Result] = []
    # One wait per request (attempts so far, the provider's Retry-After): its rows retry together.
    waits: dict[tuple[int, float | None], datetime.timedelta] = {}
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
            values: dict[str, object] = {
                "status": Delivery.Status.PLANNED,
                "last_error": result.error[:500],
                "next_attempt_at": now + wait,
            }
        else:
            error = (
                result.error
                if result.outcome in (Outcome.FAILED, Outcome.REFUSED)
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
        for common, rows in groups.items():
            _update_rows(dict(common), (), rows)
        for result in stopped:
            # A reader's own permanent failure (never a refused request) stops this channel for
            # them: no more tries, no more plans.
            delivery = deliveries[result.delivery_id]
            Subscriber.objects.filter(pk=delivery.subscriber_id, channel=delivery.channel).update(
                channel_stopped_at=now, channel_stop_reason=result.error[:200]
            )


def record_folded(folded: list[Folded]) -> None:
    """Rows that went out as a part of their day's one message are sent with it, naming it."""
    now = clock.now()
    by_lead: dict[int, list[int]] = defaultdict(list)
    for part in folded:
        by_lead[part.lead_id].append(part.delivery_id)
    for lead_id, ids in by_lead.items():
        Delivery.objects.filter(pk__in=ids, status=Delivery.Status.SENDING).update(
            status=Delivery.Status.SENT,
            sent_at=now,
            last_error="",
            provider_message_id=f"{FOLDED_PREFIX}{lead_id}",
            claimed_until=None,
            claimed_by="",
        )


# A sent row: its id, then what it gets of its own (SENT_PER_ROW, in that order).
SentRow = tuple[int, str, dict[str, Any], int | None, int | None, int | None]
SENT_PER_ROW = (
    "provider_message_id",
    "text_versions",
    "stage_message",
    "special_message",
    "birthday_message",
)


def _column(name: str) -> tuple[str, Field[Any, Any]]:
    """The column name and field of one of the delivery table's own columns."""
    field = Delivery._meta.get_field(name)
    if not isinstance(field, Field) or field.column is None:
        raise TypeError(f"{name} is not a column of the delivery table")
    return field.column, field


def _update_rows(
    common: dict[str, object],
    per_row: tuple[str, ...],
    rows: Sequence[tuple[int, *tuple[object, ...]]],
) -> None:
    """Finish these claimed rows: ``common`` values for all, ``per_row`` fields from each tuple.

    One statement: ``UPDATE … FROM (VALUES (id, …), …) AS v`` (PostgreSQL and SQLite both name
    the VALUES columns ``column1``, ``column2``…; casts give NULLs and JSON their column's type).
    """
    quote = connection.ops.quote_name
    assignments: list[str] = []
    params: list[SQLParam] = []
    for name, value in {**common, "claimed_until": None, "claimed_by": ""}.items():
        column, field = _column(name)
        assignments.append(f"{quote(column)} = %s")
        params.append(field.get_db_prep_save(value, connection))
    columns = [_column(name) for name in per_row]
    fields = [field for _, field in columns]
    for number, (column, field) in enumerate(columns, start=2):
        column_type = field.db_type(connection) if connection.vendor == "postgresql" else None
        value = f"CAST(v.column{number} AS {column_type})" if column_type else f"v.column{number}"
        assignments.append(f"{quote(column)} = {value}")
    table = quote(Delivery._meta.db_table)
    row_sql = "(" + ", ".join(["%s"] * (1 + len(fields))) + ")"
    # "(SELECT %s)", not "%s": a value the planner can't see. Just after a day is planned the
    # statistics say no row is "sending", and with the constant in sight PostgreSQL walks the
    # status index through every row of the day for each batch (125 ms, not 10 ms, for 500).
    sql = (
        f"UPDATE {table} SET {', '.join(assignments)} "  # noqa: S608 (field names and placeholders)
        f"FROM (VALUES {', '.join([row_sql] * len(rows))}) AS v "
        f"WHERE {table}.id = v.column1 AND {table}.status = (SELECT %s)"
    )
    # Readers of one text share its text versions, one dict: it is turned into JSON once.
    prepared: dict[int, SQLParam] = {}
    for row in rows:
        params.append(row[0])
        for field, value in zip(fields, row[1:], strict=True):
            if not isinstance(value, dict):
                params.append(field.get_db_prep_save(value, connection))
                continue
            if id(value) not in prepared:
                prepared[id(value)] = field.get_db_prep_save(value, connection)
            params.append(prepared[id(value)])
    params.append(Delivery.Status.SENDING)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
