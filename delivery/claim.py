"""Claiming due deliveries for one worker, in the database.

A claim is an UPDATE of rows picked with ``FOR UPDATE SKIP LOCKED``, so parallel workers never
take the same delivery; a claim has a lease, so a worker killed mid-batch leaves nothing stuck
(its rows are claimed again once the lease runs out).
"""

from __future__ import annotations

import datetime
import os
import socket
from collections import Counter
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Q

from kizuna import clock
from municipalities.models import Municipality

from .models import Delivery

WORKER = f"{socket.gethostname()}:{os.getpid()}"


def lease() -> datetime.timedelta:
    """How long a claim keeps others off; a worker that dies mid-batch frees its rows after it."""
    return datetime.timedelta(seconds=settings.KIZUNA_CLAIM_LEASE_SECONDS)


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
    narrow: str = ""
    narrow_params: list[Any] = []
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


def incomplete_requests(deliveries: list[Delivery]) -> set[Any]:
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


def put_back(deliveries: list[Delivery]) -> None:
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
