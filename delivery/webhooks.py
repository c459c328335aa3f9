"""What providers tell us, normalised at the door into our own events before any logic runs.

ESP tracking arrives through django-anymail (authenticated by ANYMAIL_WEBHOOK_SECRET, basic
auth) as AnymailTrackingEvent; LINE events arrive signed with the municipality's channel secret.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from anymail.signals import AnymailTrackingEvent, tracking
from django.db import transaction
from django.dispatch import receiver
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.webhook import WebhookParser
from linebot.v3.webhooks import FollowEvent, MessageEvent, TextMessageContent, UnfollowEvent

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


@receiver(tracking)
def on_esp_tracking(sender, event: AnymailTrackingEvent, esp_name: str, **kwargs) -> None:
    record_email_feedback(event.message_id or "", event.event_type or "", event.description or "")


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


@dataclass(frozen=True)
class LineUnfollow:
    user_id: str


@dataclass(frozen=True)
class LineText:
    user_id: str
    reply_token: str
    text: str


LineEvent = LineFollow | LineUnfollow | LineText


class BadSignature(Exception):
    pass


def parse_line_events(body: str, signature: str, channel_secret: str) -> list[LineEvent]:
    """Verify ``X-Line-Signature`` and turn LINE's events into ours; others are ignored."""
    if not channel_secret:
        raise BadSignature("no channel secret configured")
    try:
        events = WebhookParser(channel_secret).parse(body, signature)
    except (InvalidSignatureError, ValueError) as error:
        raise BadSignature(str(error)) from error
    ours: list[LineEvent] = []
    for event in events:
        user_id = getattr(event.source, "user_id", None)
        if not user_id:
            continue
        if isinstance(event, FollowEvent):
            ours.append(LineFollow(user_id, event.reply_token))
        elif isinstance(event, UnfollowEvent):
            ours.append(LineUnfollow(user_id))
        elif isinstance(event, MessageEvent) and isinstance(event.message, TextMessageContent):
            ours.append(LineText(user_id, event.reply_token, event.message.text.strip()))
    return ours
