"""What adoption keeps about a reader: requests to move from LINE to email (in their data
download, and deleted at erasure), link codes (deleted) and import rows (emptied, unlinked)."""

from __future__ import annotations

from collections.abc import Mapping

from subscribers import erasure, personal_data
from subscribers.models import Subscriber

from .models import EmailMoveRequest, ImportRow, LineLinkCode


def export(subscriber: Subscriber) -> Mapping[str, personal_data.Value]:
    return {
        "email_change_requests": [
            {
                "email": r.email,
                "requested_at": personal_data.moment_text(r.requested_at),
                "confirmed_at": personal_data.moment_text(r.confirmed_at),
            }
            for r in EmailMoveRequest.objects.filter(subscriber=subscriber).order_by("pk")
        ],
    }


LABELS = {
    "email_change_requests": "メールへの切り替えの申し込み",
    "email": "メールアドレス",
    "requested_at": "申し込み日時",
    "confirmed_at": "登録を完了した日時",
}


def erase(subscriber_ids: list[int]) -> None:
    EmailMoveRequest.objects.filter(subscriber_id__in=subscriber_ids).delete()
    LineLinkCode.objects.filter(subscriber_id__in=subscriber_ids).delete()
    ImportRow.objects.filter(subscriber_id__in=subscriber_ids).update(
        data={}, contact_hint="", subscriber=None
    )


def register() -> None:
    personal_data.register_part(personal_data.Part(app="adoption", export=export, labels=LABELS))
    erasure.register_step("adoption", erase)
