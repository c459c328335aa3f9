"""What providers tell us, normalised at the door into our own events before any logic runs.

ESP tracking arrives through django-anymail (authenticated by ANYMAIL_WEBHOOK_SECRET, basic
auth) as AnymailTrackingEvent; LINE events arrive signed with the municipality's channel secret.
"""

from __future__ import annotations

import datetime
import json
import logging
import re
from dataclasses import dataclass

from anymail.signals import AnymailTrackingEvent, tracking
from django.db import transaction
from django.dispatch import receiver
from linebot.v3.webhook import SignatureValidator, WebhookParser
from linebot.v3.webhooks import (
    FollowEvent,
    MessageEvent,
    PostbackEvent,
    TextMessageContent,
    UnfollowEvent,
)

from kizuna import clock
from subscribers.models import Subscriber

from .models import Delivery, Feedback

logger = logging.getLogger(__name__)

_FEEDBACK = {
    "delivered": Feedback.DELIVERED,
    "bounced": Feedback.BOUNCED,
    "rejected": Feedback.BOUNCED,
    "complained": Feedback.COMPLAINED,
}


def _text(value: object, limit: int) -> str:
    # Whatever the ESP's JSON held (a number, a list, a NUL byte PostgreSQL refuses) becomes
    # plain text before it reaches a query.
    return str(value or "").replace("\x00", "")[:limit]


@receiver(tracking)
def on_esp_tracking(
    sender: object, event: AnymailTrackingEvent, esp_name: str, **kwargs: object
) -> None:
    record_email_feedback(
        _text(event.message_id, 200), _text(event.event_type, 40), _text(event.description, 200)
    )


def record_email_feedback(provider_message_id: str, event_type: str, description: str = "") -> bool:
    """Mark the delivery and, for a hard bounce or a complaint, stop mail to that reader."""
    feedback = _FEEDBACK.get(event_type)
    if feedback is None or not provider_message_id:
        return False
    now = clock.now()
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update()
            .filter(provider_message_id=provider_message_id, channel="email")
            .first()
        )
        if delivery is None:
            logger.warning("tracking event for unknown message %s", provider_message_id)
            return False
        delivery.feedback = feedback
        delivery.feedback_at = now
        delivery.save(update_fields=["feedback", "feedback_at"])
        if feedback in (Feedback.BOUNCED, Feedback.COMPLAINED):
            reason = "宛先不明（バウンス）" if feedback == Feedback.BOUNCED else "迷惑メール報告"
            Subscriber.objects.filter(pk=delivery.subscriber_id, channel="email").update(
                channel_stopped_at=now, channel_stop_reason=f"{reason} {description}"[:200]
            )
    return True


# LINE -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineFollow:
    user_id: str
    reply_token: str
    event_id: str = ""  # LINE's webhookEventId: a redelivered event carries the same
    occurred_at: datetime.datetime | None = None


@dataclass(frozen=True)
class LineUnfollow:
    user_id: str
    event_id: str = ""
    occurred_at: datetime.datetime | None = None


@dataclass(frozen=True)
class LineText:
    user_id: str
    reply_token: str
    text: str
    event_id: str = ""
    occurred_at: datetime.datetime | None = None
    # Written in a group or a room, where everyone would see a personal answer.
    in_group: bool = False
    # LINE's ``markAsReadToken`` of the message: marks it (and the user's earlier ones) read.
    mark_as_read_token: str = ""


@dataclass(frozen=True)
class LinePostback:
    """A tap that sends data back instead of a text: a quick-reply button (a reader's vote on
    a stage message) or a date chosen in a date picker."""

    user_id: str
    reply_token: str
    data: str
    date: datetime.date | None = None  # the picker's ``params.date``, when it is a date
    event_id: str = ""
    occurred_at: datetime.datetime | None = None
    # Pressed in a group or a room: the vote is not recorded (who pressed is not who was sent it).
    in_group: bool = False


LineEvent = LineFollow | LineUnfollow | LineText | LinePostback


class BadSignature(Exception):
    pass


class BadPayload(Exception):
    """Signed by LINE's secret, but not events we can read: refused whole, nothing applied."""


LINE_USER_ID = re.compile(r"U[0-9a-f]{32}")
LINE_TEXT_LIMIT = 5000  # LINE's own limit for a text message
POSTBACK_DATA_LIMIT = 300  # LINE's limit for an action's ``data``


def _picked_date(params: object) -> datetime.date | None:
    """``params.date`` of a date picker's postback (YYYY-MM-DD), or None."""
    value = params.get("date") if isinstance(params, dict) else None
    if not isinstance(value, str):
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise BadPayload("not a LINE date") from None


def _check_shape(payload: object) -> None:
    # The SDK turns what it cannot read into an UnknownEvent without a user, which would pass as
    # a new kind of event: a user id that is there but not a LINE user id is refused instead.
    if not isinstance(payload, dict) or not isinstance(payload.get("events"), list):
        raise BadPayload("not a LINE webhook body")
    for event in payload["events"]:
        if not isinstance(event, dict):
            raise BadPayload("not a LINE event")
        source = event.get("source")
        if isinstance(source, dict) and "userId" in source:
            user_id = source["userId"]
            if not (isinstance(user_id, str) and LINE_USER_ID.fullmatch(user_id)):
                raise BadPayload("not a LINE user id")


def _occurred_at(timestamp: object) -> datetime.datetime | None:
    """LINE's event time (milliseconds since the epoch) as an aware datetime."""
    if not isinstance(timestamp, int) or isinstance(timestamp, bool) or timestamp <= 0:
        return None
    try:
        return datetime.datetime.fromtimestamp(timestamp / 1000, tz=datetime.UTC)
    except (OverflowError, OSError, ValueError):
        return None


def parse_line_events(body: str, signature: str, channel_secret: str) -> list[LineEvent]:
    """Verify ``X-Line-Signature`` and turn LINE's events into ours; others are ignored."""
    if not channel_secret:
        raise BadSignature("no channel secret configured")
    if not SignatureValidator(channel_secret).validate(body, signature):
        raise BadSignature("invalid signature")
    try:
        _check_shape(json.loads(body))
        events = WebhookParser(channel_secret).parse(body, signature)
        ours: list[LineEvent] = []
        for event in events:
            user_id = getattr(getattr(event, "source", None), "user_id", None)
            if not user_id:
                continue
            if not (isinstance(user_id, str) and LINE_USER_ID.fullmatch(user_id)):
                raise BadPayload("not a LINE user id")
            event_id = str(getattr(event, "webhook_event_id", "") or "")[:64]
            occurred_at = _occurred_at(getattr(event, "timestamp", None))
            in_group = getattr(event.source, "type", "user") != "user"
            if isinstance(event, FollowEvent) and not in_group:
                ours.append(
                    LineFollow(user_id, str(event.reply_token or ""), event_id, occurred_at)
                )
            elif isinstance(event, UnfollowEvent) and not in_group:
                ours.append(LineUnfollow(user_id, event_id, occurred_at))
            elif isinstance(event, MessageEvent) and isinstance(event.message, TextMessageContent):
                text = str(event.message.text or "")
                if "\x00" in text or len(text) > LINE_TEXT_LIMIT:
                    raise BadPayload("not a LINE text")
                reply_token = str(event.reply_token or "")
                read_token = str(getattr(event.message, "mark_as_read_token", "") or "")
                ours.append(
                    LineText(
                        user_id,
                        reply_token,
                        text.strip(),
                        event_id,
                        occurred_at,
                        in_group,
                        read_token[:500],
                    )
                )
            elif isinstance(event, PostbackEvent) and event.postback is not None:
                data = str(event.postback.data or "")
                if "\x00" in data or len(data) > POSTBACK_DATA_LIMIT:
                    raise BadPayload("not a LINE postback")
                ours.append(
                    LinePostback(
                        user_id,
                        str(event.reply_token or ""),
                        data,
                        _picked_date(event.postback.params),
                        event_id,
                        occurred_at,
                        in_group,
                    )
                )
    except BadPayload:
        raise
    except Exception as error:  # JSON or a shape the SDK cannot read: LINE did not send it
        raise BadPayload(type(error).__name__) from error
    return ours
