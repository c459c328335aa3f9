"""LINE webhook events handed to the reader side (:mod:`subscribers.line_chat`).

Each event is applied once: its ``webhookEventId`` is recorded in the same transaction, and a
redelivery of it changes nothing. A follow or a block older than one already recorded for the
same user (LINE redelivering a block after the user followed again) is recorded, not applied.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from typing import Any

from django.db import connection

from kizuna import clock
from municipalities.models import Municipality
from subscribers import line_chat
from subscribers.line_chat import Reply

from .models import LineWebhookEvent
from .webhooks import LineEvent, LineFollow, LinePostback, LineText, LineUnfollow

FOLLOW, UNFOLLOW, TEXT, POSTBACK = "follow", "unfollow", "text", "postback"

# Apps above that keep every event of a webhook call as LINE sent it (the relay to another
# tool): called with the municipality and the verified body, in the call's transaction.
WebhookTap = Callable[[Municipality, dict[str, Any]], None]
WEBHOOK_TAPS: list[WebhookTap] = []


def register_webhook_tap(tap: WebhookTap) -> None:
    if tap not in WEBHOOK_TAPS:
        WEBHOOK_TAPS.append(tap)


def tap(municipality: Municipality, body: str) -> None:
    """Hand the verified body's events, as LINE sent them, to the registered taps."""
    if not WEBHOOK_TAPS:
        return
    payload = json.loads(body)
    for each in WEBHOOK_TAPS:
        each(municipality, payload)


def handle(municipality: Municipality, event: LineEvent) -> Reply | None:
    """Apply the event, unless it was applied before; returns the reply, if it deserves one."""
    if not _first_time(municipality, event):
        return None
    if isinstance(event, LineUnfollow):
        if not _overtaken(municipality, event):
            line_chat.unfollowed(municipality, event.user_id)
        return None
    if isinstance(event, LineFollow):
        if _overtaken(municipality, event):
            return None
        return line_chat.followed(municipality, event.user_id)
    if isinstance(event, LineText):
        if event.in_group:
            return line_chat.wrote_in_group(municipality, event.text)
        return line_chat.wrote(municipality, event.user_id, event.text)
    if isinstance(event, LinePostback):
        if event.in_group:
            return line_chat.pressed_in_group(municipality, event.data)
        return line_chat.pressed(municipality, event.user_id, event.data) or line_chat.picked(
            municipality, event.user_id, event.data, event.date
        )
    return None


def _kind(event: LineEvent) -> str:
    return (
        FOLLOW
        if isinstance(event, LineFollow)
        else UNFOLLOW
        if isinstance(event, LineUnfollow)
        else POSTBACK
        if isinstance(event, LinePostback)
        else TEXT
    )


def _when(event: LineEvent) -> datetime.datetime:
    return event.occurred_at or clock.now()


def _first_time(municipality: Municipality, event: LineEvent) -> bool:
    """Record the event's id; False when it was recorded before (a redelivery, a replay)."""
    if not event.event_id:
        return True
    table = LineWebhookEvent._meta.db_table
    at = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (webhook_event_id, municipality_id, user_id, kind,"  # noqa: S608
            " occurred_at, received_at) VALUES (%s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (webhook_event_id) DO NOTHING RETURNING id",
            [
                event.event_id,
                municipality.pk,
                event.user_id,
                _kind(event),
                at(_when(event)),
                at(clock.now()),
            ],
        )
        return cursor.fetchone() is not None


def _overtaken(municipality: Municipality, event: LineFollow | LineUnfollow) -> bool:
    """True when a later follow or block of this user was already recorded."""
    return (
        LineWebhookEvent.objects.filter(
            municipality=municipality,
            user_id=event.user_id,
            kind__in=[FOLLOW, UNFOLLOW],
            occurred_at__gt=_when(event),
        )
        .exclude(webhook_event_id=event.event_id)
        .exists()
    )
