"""The outbox: the one place that writes, cancels or moves queued deliveries.

Every message Kizuna sends is a row of ``delivery_delivery`` named by a :class:`MessageKey`,
unique per (reader, key) whatever the channel: writing a row twice adds nothing, so every function here is
safe to repeat. Whatever app a message kind belongs to, its rows are queued through
:func:`enqueue` (rows built in Python) or :func:`enqueue_readers` (one ``INSERT … SELECT`` from
a queryset of readers), and stopped through :func:`cancel_queued`; the daily planner builds its
set-based statements from :data:`COLUMNS`, :func:`row_sql` and the key SQL below.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.db import connection
from django.db.models import QuerySet

from content.stages import Stage, Track
from kizuna import clock

from .models import Delivery

TABLE = "delivery_delivery"

# A value bound to a placeholder of the outbox's SQL (dates as the database stores them: text).
SQLParam = str | int | float | datetime.date | None

# The columns every queued row is written with, in the order of :func:`row_sql`'s values.
COLUMNS = (
    "municipality_id, subscriber_id, child_id, channel, message_key, due_on, status, attempts,"
    " last_error, next_attempt_at, provider_message_id, text_versions, feedback, planned_at"
)

STAGE = "stage"
BIRTHDAY = "birthday"
SPECIAL = "special"


@dataclass(frozen=True)
class MessageKey:
    """What a delivery sends, whichever text variant is picked for the reader.

    ``c42:stage:pregnancy:week:20``, ``c42:birthday:1``, ``c42:special:loss``,
    ``special:welcome``, and for kinds that other apps own, ``<kind>:<id of their record>``
    (``survey:7``, ``urgent:12``, ``import:3``, ``move:5``).
    """

    kind: str
    child_id: int | None = None
    stage: Stage | None = None
    age: int = 0
    name: str = ""  # a special message's name: welcome, birth, loss, graduation, birth-check
    record_id: int | None = None  # the id of the record a plug-in kind's message is about

    @classmethod
    def for_stage(cls, child_id: int, stage: Stage) -> MessageKey:
        return cls(STAGE, child_id, stage=stage)

    @classmethod
    def for_birthday(cls, child_id: int, age: int) -> MessageKey:
        return cls(BIRTHDAY, child_id, age=age)

    @classmethod
    def for_special(cls, name: str, child_id: int | None = None) -> MessageKey:
        """``c42:special:loss`` for a child's event; ``special:welcome`` for the reader's own."""
        return cls(SPECIAL, child_id, name=name)

    @classmethod
    def for_record(cls, kind: str, record_id: int) -> MessageKey:
        """A plug-in kind's message about one of its records: ``survey:7``, ``urgent:12``."""
        check_kind_name(kind)
        return cls(kind, record_id=record_id)

    @classmethod
    def parse(cls, key: str) -> MessageKey:
        # A batch parses each of its keys several times (claim, compose, the day's parts).
        return _parsed(key)

    @classmethod
    def _parse(cls, key: str) -> MessageKey:
        parts = key.split(":")
        child_id = None
        if parts[0].startswith("c") and parts[0][1:].isdigit():
            child_id = int(parts.pop(0)[1:])
        kind, rest = parts[0], parts[1:]
        if kind == STAGE:
            return cls(kind, child_id, stage=Stage.from_key(":".join(rest)))
        if kind == BIRTHDAY:
            return cls(kind, child_id, age=int(rest[0]))
        if kind == SPECIAL:
            return cls(kind, child_id, name=rest[0])
        return cls(kind, child_id, record_id=int(rest[0]))

    def __str__(self) -> str:
        child = f"c{self.child_id}:" if self.child_id is not None else ""
        if self.kind == STAGE:
            assert self.stage is not None  # noqa: S101 (for_stage and parse always set it)
            return f"{child}{STAGE}:{self.stage.key}"
        if self.kind == BIRTHDAY:
            return f"{child}{BIRTHDAY}:{self.age}"
        if self.kind == SPECIAL:
            return f"{child}{SPECIAL}:{self.name}"
        return f"{child}{self.kind}:{self.record_id}"


_parsed = functools.lru_cache(maxsize=8192)(MessageKey._parse)


def listed_as(key: str) -> str:
    """How the reader's data download names a message: its key without the child's id
    (``stage:pregnancy:week:20`` for ``c42:stage:pregnancy:week:20``; ids mean nothing to people)."""
    return str(replace(MessageKey.parse(key), child_id=None))


def check_kind_name(kind: str) -> None:
    """A kind name must not read as a child's part (``c42``) nor contain the separator."""
    if not kind or ":" in kind or (kind[:1] == "c" and kind[1:2].isdigit()):
        raise ValueError(f"message kind {kind!r} can't be told apart in a message key")


def stage_prefix(child_id: int, track: Track) -> str:
    """The start of every stage key of one track of a child: ``c42:stage:pregnancy:``."""
    return f"c{child_id}:{STAGE}:{track.value}:"


def kind_prefix(kind: str) -> str:
    """The start of every key of a child-less plug-in kind: ``survey:``."""
    check_kind_name(kind)
    return f"{kind}:"


# The same keys, in SQL, over a child id column and the planner's VALUES columns.
def stage_key_sql(child: str, track: str, unit: str, number: str) -> str:
    return f"'c' || {child} || ':{STAGE}:' || {track} || ':' || {unit} || ':' || {number}"


def birthday_key_sql(child: str, age: str) -> str:
    return f"'c' || {child} || ':{BIRTHDAY}:' || {age}"


def special_key_sql(child: str, name: str) -> str:
    return f"'c' || {child} || ':{SPECIAL}:' || {name}"


# The keys the daily planner writes for a date (stages and birthdays): everything else is
# queued once, by an event, and keeps its row (delivery.retention rolls these up).
DAY_PLANNED_SQL = f"(message_key LIKE 'c%%:{STAGE}:%%' OR message_key LIKE 'c%%:{BIRTHDAY}:%%')"


def row_sql(*, municipality: str, subscriber: str, child: str, channel: str, key: str) -> str:
    """The SELECT list of one queued row, in :data:`COLUMNS` order, from these SQL expressions.

    Three placeholders follow the expressions: the day it is due, when it may first be sent,
    and when it was planned (:func:`row_params`).
    """
    return (
        f"{municipality} AS municipality_id, {subscriber} AS subscriber_id, {child},"
        f" {channel} AS channel, {key} AS message_key,"
        " %s, 'planned', 0, '', %s, '', '{}', '', %s"
    )


def row_params(
    due_on: datetime.date, send_from: datetime.datetime, planned_at: datetime.datetime
) -> list[SQLParam]:
    """The values of :func:`row_sql`'s placeholders, as the database stores them."""
    ops = connection.ops
    return [
        ops.adapt_datefield_value(due_on),
        ops.adapt_datetimefield_value(send_from),
        ops.adapt_datetimefield_value(planned_at),
    ]


def insert_sql(select: str, *, with_clause: str = "", order: str = "") -> str:
    """``INSERT … SELECT … ON CONFLICT DO NOTHING``: rows already there stay as they are."""
    return f"{with_clause} INSERT INTO {TABLE} ({COLUMNS}) {select} {order} ON CONFLICT DO NOTHING"


def already_queued_sql(*, subscriber: str, key: str) -> str:
    """True where the reader already has this message, on any channel and in any state."""
    return (
        f"EXISTS (SELECT 1 FROM {TABLE} d WHERE d.subscriber_id = {subscriber}"  # noqa: S608
        f" AND d.message_key = {key})"
    )


@dataclass(frozen=True)
class Queued:
    """One message for one reader, to queue with :func:`enqueue`."""

    municipality_id: int
    subscriber_id: int
    channel: str
    key: MessageKey
    child_id: int | None = None


def enqueue(
    messages: Iterable[Queued],
    *,
    due_on: datetime.date | None = None,
    send_from: datetime.datetime | None = None,
) -> None:
    """Queue these messages, due ``due_on`` (today) and sent from ``send_from`` (now).

    A message the reader already has (on any channel) is left as it is.
    """
    due_on = due_on or clock.today()
    send_from = send_from or clock.now()
    Delivery.objects.bulk_create(
        [
            Delivery(
                municipality_id=message.municipality_id,
                subscriber_id=message.subscriber_id,
                child_id=message.child_id,
                channel=message.channel,
                message_key=str(message.key),
                due_on=due_on,
                next_attempt_at=send_from,
            )
            for message in messages
        ],
        ignore_conflicts=True,
    )


def enqueue_readers(
    key: MessageKey,
    readers: QuerySet[Any],
    *,
    due_on: datetime.date | None = None,
    send_from: datetime.datetime | None = None,
) -> int:
    """Queue ``key`` to every reader of ``readers`` on their channel, in one statement.

    ``readers`` is a queryset of subscribers. Readers who already have it (queued, sent or
    cancelled, on either channel) are left as they are, so pressing "send" twice, or two staff at once, adds
    nothing. Returns how many rows were added.
    """
    now = clock.now()
    select_sql, select_params = (
        readers.order_by().values("id", "municipality_id", "channel").query.sql_with_params()
    )
    row = row_sql(
        municipality="r.municipality_id",
        subscriber="r.id",
        child="NULL",
        channel="r.channel",
        key="%s",
    )
    # SQLite needs a WHERE before ON CONFLICT in INSERT … SELECT.
    select = f"SELECT {row} FROM ({select_sql}) AS r WHERE true"  # noqa: S608 (ORM-compiled)
    params = [
        str(key),
        *row_params(due_on or clock.today(), send_from or now, now),
        *select_params,
    ]
    with connection.cursor() as cursor:
        cursor.execute(insert_sql(select), params)
        return max(int(cursor.rowcount), 0)


def cancel_queued(
    *,
    reason: str,
    child_id: int | None = None,
    subscriber_id: int | None = None,
    subscriber_ids: Iterable[int] | QuerySet[Any] | None = None,
    channel: str | None = None,
    key: MessageKey | None = None,
    key_prefix: str = "",
    keep: Sequence[MessageKey] = (),
    municipality_id: int | None = None,
    due_on: datetime.date | None = None,
) -> int:
    """Skip queued, not yet claimed deliveries that match every condition given; how many.

    ``subscriber_ids`` may be a queryset of ids (one UPDATE with a subquery); ``key_prefix``
    comes from :func:`stage_prefix` or :func:`kind_prefix`; ``keep`` are spared.
    """
    queued = Delivery.objects.filter(status=Delivery.Status.PLANNED)
    if child_id is not None:
        queued = queued.filter(child_id=child_id)
    if subscriber_id is not None:
        queued = queued.filter(subscriber_id=subscriber_id)
    if subscriber_ids is not None:
        queued = queued.filter(subscriber_id__in=subscriber_ids)
    if channel is not None:
        queued = queued.filter(channel=channel)
    if municipality_id is not None:
        queued = queued.filter(municipality_id=municipality_id)
    if due_on is not None:
        queued = queued.filter(due_on=due_on)
    if key is not None:
        queued = queued.filter(message_key=str(key))
    if key_prefix:
        queued = queued.filter(message_key__startswith=key_prefix)
    if keep:
        queued = queued.exclude(message_key__in=[str(k) for k in keep])
    return queued.update(status=Delivery.Status.SKIPPED, last_error=reason[:500])


def restore_cancelled(*, subscriber_id: int, reason: str, due_from: datetime.date) -> int:
    """Queue again what :func:`cancel_queued` skipped for ``reason``, due from ``due_from`` on.

    For a stop taken back the same day: only rows skipped for that reason come back, never one
    that was sent or skipped for anything else (a loss, a birth). Returns how many.
    """
    return Delivery.objects.filter(
        subscriber_id=subscriber_id,
        status=Delivery.Status.SKIPPED,
        sent_at__isnull=True,
        last_error=reason[:500],
        due_on__gte=due_from,
    ).update(status=Delivery.Status.PLANNED, last_error="", next_attempt_at=clock.now())


def move_to_channel(subscriber_id: int, channel: str, *, keep: Sequence[MessageKey] = ()) -> int:
    """A reader changed channel: messages queued on the old one go out on ``channel``.

    A reader has each message once whatever the channel (the unique key), so what was sent on
    the old channel stays sent and is never planned again on the new one. A message already
    tried on the old channel stays there: its provider may have taken it without answering,
    and only a retry there (the same LINE retry key, the same Message-ID) is harmless.
    ``keep`` stay on their channel. Returns how many deliveries moved.
    """
    return (
        Delivery.objects.filter(
            subscriber_id=subscriber_id,
            status=Delivery.Status.PLANNED,
            sent_at__isnull=True,
            attempts=0,
            retry_key__isnull=True,
        )
        .exclude(channel=channel)
        .exclude(message_key__in=[str(k) for k in keep])
        .update(channel=channel)
    )
