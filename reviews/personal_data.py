"""What the reviews app keeps about a reader: their votes on stage messages (in their data
download; at erasure the votes still count, and what they wrote goes with their data)."""

from __future__ import annotations

from collections.abc import Mapping

from subscribers import erasure, personal_data
from subscribers.models import Subscriber

from .models import Vote


def export(subscriber: Subscriber) -> Mapping[str, personal_data.Value]:
    votes = Vote.objects.filter(subscriber=subscriber).select_related("stage_message")
    return {
        "message_votes": [
            {
                "message": vote.stage_message.subject,
                "helpful": "役に立った" if vote.helpful else "いまひとつ",
                "comment": vote.comment,
                "voted_at": personal_data.moment_text(vote.at),
            }
            for vote in votes.order_by("pk")
        ],
    }


LABELS = {
    "message_votes": "メッセージへの評価",
    "message": "メッセージの件名",
    "helpful": "評価",
    "comment": "ひとこと",
    "voted_at": "評価した日時",
}


def erase(subscriber_ids: list[int]) -> None:
    Vote.objects.filter(subscriber_id__in=subscriber_ids).exclude(comment="").update(comment="")


def register() -> None:
    personal_data.register_part(personal_data.Part(app="reviews", export=export, labels=LABELS))
    erasure.register_step("reviews", erase)
