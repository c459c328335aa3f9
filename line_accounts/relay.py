"""Room beside another LINE tool: every webhook event Kizuna receives goes on to the tool that
had the account's webhook URL before (``LineAccountSettings.relay_url``).

Events are kept (:class:`RelayEvent`) in the webhook call's own transaction, once per
webhookEventId, and sent one event per request, signed as LINE signs (HMAC-SHA256 of the body
with the channel secret, which the other tool shares since it is the same channel). A failure
(an error status, a timeout) is retried with a growing pause; a user's later events wait behind
their earliest unsent one, so nothing is lost or reordered per user. One sender per
municipality at a time (an advisory lock).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import urllib3
from celery import current_app
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Min, Q

from delivery.senders.line import channel_secret
from kizuna import clock
from municipalities.models import Municipality

from .models import LineAccountSettings, RelayEvent

logger = logging.getLogger(__name__)
FIRST_PAUSE = datetime.timedelta(seconds=30)
LONGEST_PAUSE = datetime.timedelta(hours=1)
_LOCK_SPACE = 0x4C52  # "LR": advisory lock ids of the relay, one per municipality


def keep(municipality: Municipality, payload: dict[str, Any]) -> None:
    """The webhook tap: keep the call's events for the relay, where one is set up."""
    events = [e for e in payload.get("events") or [] if isinstance(e, dict)]
    if not events or not relay_url(municipality):
        return
    destination = str(payload.get("destination") or "")[:64]
    now = clock.now()
    rows = []
    for event in events:
        event_id = (
            str(event.get("webhookEventId") or "")[:64]
            or hashlib.sha256(json.dumps(event, sort_keys=True).encode()).hexdigest()[:64]
        )
        source = event.get("source") if isinstance(event.get("source"), dict) else {}
        rows.append(
            RelayEvent(
                municipality=municipality,
                webhook_event_id=event_id,
                user_id=str((source or {}).get("userId") or "")[:33],
                destination=destination,
                event=event,
                received_at=now,
                next_attempt_at=now,
            )
        )
    RelayEvent.objects.bulk_create(rows, ignore_conflicts=True)  # a redelivery is kept once
    pk = municipality.pk
    transaction.on_commit(lambda: _queue(pk))


def _queue(municipality_id: int) -> None:
    try:
        current_app.send_task("line_accounts.tasks.relay_events", args=[municipality_id])
    except Exception:  # the broker is down: beat's minute tick sends them
        logger.warning("LINE relay for municipality %s not queued", municipality_id)


def relay_url(municipality: Municipality) -> str:
    return (
        LineAccountSettings.objects.filter(municipality=municipality)
        .values_list("relay_url", flat=True)
        .first()
        or ""
    )


def signature(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def pause_after(attempts: int) -> datetime.timedelta:
    """30 s, 1 min, 2 min … up to an hour between tries."""
    return min(FIRST_PAUSE * (2 ** max(attempts - 1, 0)), LONGEST_PAUSE)


@dataclass
class RelayResult:
    sent: int = 0
    failed: int = 0
    waiting: int = 0  # behind a user's earlier event, or before their retry time
    busy: bool = False  # another sender had the municipality


def send_pending(municipality: Municipality, limit: int = 500) -> RelayResult:
    """Send the municipality's pending events, oldest first, in order per user."""
    result = RelayResult()
    url = relay_url(municipality)
    if not url:
        return result
    secret = channel_secret(municipality.slug)
    http = urllib3.PoolManager(timeout=settings.KIZUNA_LINE_RELAY_TIMEOUT_SECONDS, retries=False)
    # A session lock, not a transaction: each event's outcome is saved as soon as the tool
    # answered, so a crash resends at most the one event in flight (the tool can tell it by
    # its webhookEventId, as it tells LINE's own redeliveries).
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_LOCK_SPACE, municipality.pk])
        if not cursor.fetchone()[0]:
            result.busy = True
            return result
    try:
        _send(municipality, http, url, secret, limit, result)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_LOCK_SPACE, municipality.pk])
    return result


def _send(
    municipality: Municipality,
    http: urllib3.PoolManager,
    url: str,
    secret: str,
    limit: int,
    result: RelayResult,
) -> None:
    now = clock.now()
    held: set[str] = set()
    pending = RelayEvent.objects.filter(municipality=municipality, sent_at__isnull=True)
    for row in pending.order_by("id")[:limit]:
        if row.user_id in held:
            result.waiting += 1
            continue
        if row.next_attempt_at > now:
            held.add(row.user_id)
            result.waiting += 1
            continue
        error = _post(http, url, secret, row)
        row.attempts += 1
        if error:
            row.last_error = error[:300]
            row.next_attempt_at = clock.now() + pause_after(row.attempts)
            held.add(row.user_id)
            result.failed += 1
        else:
            row.sent_at = clock.now()
            row.last_error = ""
            result.sent += 1
        row.save(update_fields=["attempts", "last_error", "next_attempt_at", "sent_at"])


def _post(http: urllib3.PoolManager, url: str, secret: str, row: RelayEvent) -> str:
    """Send one event as LINE would; returns what went wrong, or ""."""
    body = json.dumps(
        {"destination": row.destination, "events": [row.event]}, ensure_ascii=False
    ).encode()
    try:
        answer = http.request(
            "POST",
            url,
            body=body,
            headers={
                "Content-Type": "application/json",
                "X-Line-Signature": signature(body, secret),
            },
        )
    except (urllib3.exceptions.HTTPError, OSError) as error:
        return f"{type(error).__name__}: {error}"
    if 200 <= answer.status < 300:
        return ""
    return f"HTTP {answer.status}: {answer.data[:200].decode('utf-8', 'replace')}"


@dataclass(frozen=True)
class RelayStatus:
    municipality: str
    pending: int
    failing: int
    oldest: datetime.datetime | None
    last_error: str


def statuses(municipality_ids: Iterable[int] | None) -> list[RelayStatus]:
    """For the operations dashboard (``None``: every municipality): each municipality's events
    not yet taken by its other tool, and the failing ones, with the latest error."""
    events = RelayEvent.objects.filter(sent_at__isnull=True)
    if municipality_ids is not None:
        events = events.filter(municipality_id__in=list(municipality_ids))
    rows = (
        events.values("municipality_id", "municipality__name")
        .annotate(
            pending=Count("id"),
            failing=Count("id", filter=Q(attempts__gt=0)),
            oldest=Min("received_at"),
        )
        .order_by("municipality__name")
    )
    result = []
    for row in rows:
        error = (
            RelayEvent.objects.filter(
                municipality_id=row["municipality_id"], sent_at__isnull=True, attempts__gt=0
            )
            .order_by("-id")
            .values_list("last_error", flat=True)
            .first()
        )
        result.append(
            RelayStatus(
                row["municipality__name"],
                row["pending"],
                row["failing"],
                row["oldest"],
                error or "",
            )
        )
    return result


def failing(municipality_ids: list[int]) -> dict[int, int]:
    """Per municipality, events not yet taken that have failed at least once."""
    rows = (
        RelayEvent.objects.filter(
            municipality_id__in=municipality_ids, sent_at__isnull=True, attempts__gt=0
        )
        .values("municipality_id")
        .annotate(n=Count("id"))
    )
    return {row["municipality_id"]: row["n"] for row in rows}
