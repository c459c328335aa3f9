"""A reader's health-check messages in their data download: which check, which session.

The messages themselves are deliveries (delivery's part lists and erases them); checkups keeps
no row about a reader, so erasure has nothing of its own to remove. This part says what each
health-check message was about, which a message key alone does not.
"""

from __future__ import annotations

from collections.abc import Mapping

from delivery.models import Delivery
from delivery.outbox import MessageKey
from subscribers import erasure, personal_data
from subscribers.models import Subscriber

from .models import (
    CORRECTION_KIND,
    EVE_KIND,
    INVITATION_KIND,
    REMINDER_KIND,
    Session,
    SessionChange,
)
from .timings import BY_NUMBER

LABELS = {
    "health_checks": "乳幼児健診のお知らせ",
    "message": "種類",
    "check": "健診",
    "held_on": "健診の日",
    "venue": "会場",
    "status": "状態",
}
_KIND_LABELS = {
    REMINDER_KIND: "健診の時期のお知らせ",
    INVITATION_KIND: "集団健診のご案内",
    EVE_KIND: "集団健診の前日のお知らせ",
    CORRECTION_KIND: "集団健診の変更・中止のお知らせ",
}


def export(subscriber: Subscriber) -> Mapping[str, personal_data.Value]:
    rows = Delivery.objects.filter(subscriber=subscriber).filter(
        message_key__regex=rf"^c[0-9]+:({'|'.join(_KIND_LABELS)}):"
    )
    entries: list[dict[str, object]] = []
    for delivery in rows.order_by("due_on", "pk"):
        key = MessageKey.parse(delivery.message_key)
        session: Session | None = None
        check = ""
        if key.kind == REMINDER_KIND:
            check = BY_NUMBER[key.record_id].label if key.record_id in BY_NUMBER else ""
        elif key.kind == INVITATION_KIND:
            session = Session.objects.filter(pk=key.record_id or 0).first()
        else:
            change = SessionChange.objects.select_related("session").filter(pk=key.record_id or 0)
            found = change.first()
            session = found.session if found else None
        if session is not None:
            check = BY_NUMBER[session.check_number].label
        entries.append(
            {
                "message": _KIND_LABELS[key.kind],
                "check": check,
                "held_on": personal_data.day_text(session.held_on if session else None),
                "venue": session.venue if session else "",
                "status": delivery.get_status_display(),
            }
        )
    return {"health_checks": entries}


def erase(subscriber_ids: list[int]) -> None:
    return None  # the deliveries are erased by delivery's step; nothing here names a reader


def register() -> None:
    personal_data.register_part(personal_data.Part(app="checkups", export=export, labels=LABELS))
    erasure.register_step("checkups", erase)
