"""A reader's vote from the LINE buttons under a stage message (delivery.messages.with_feedback)."""

from __future__ import annotations

from delivery.models import Delivery
from municipalities.models import Municipality
from subscribers.line_chat import reader_on_line

from . import services

THANKS = "ありがとうございます。これからのメッセージづくりに役立てます。"
CHANGED = "評価を変更しました。ありがとうございます。"
UNKNOWN = "どのメッセージへの評価か分かりませんでした。"


def answer(municipality: Municipality, user_id: str, data: str) -> str:
    """The reply to a pressed 「役に立った」／「いまひとつ」 (data ``kizuna-feedback:yes:<text id>``)."""
    _, _, rest = data.partition(":")
    choice, _, text_id = rest.partition(":")
    reader = reader_on_line(municipality, user_id)
    if choice not in ("yes", "no") or not text_id.isdigit() or reader is None:
        return UNKNOWN
    # The message this reader got with that text: the vote is per message, and only a reader
    # who was sent it may vote on it.
    delivery = (
        Delivery.objects.filter(
            subscriber=reader,
            channel="line",
            stage_message_id=int(text_id),
            status=Delivery.Status.SENT,
        )
        .order_by("-sent_at")
        .first()
    )
    if delivery is None:
        return UNKNOWN
    earlier = reader.votes.filter(message_key=delivery.message_key).exists()
    try:
        services.vote(
            reader,
            message_key=delivery.message_key,
            stage_message_id=int(text_id),
            helpful=choice == "yes",
        )
    except services.VoteRefused as refused:
        return str(refused)
    return CHANGED if earlier else THANKS
