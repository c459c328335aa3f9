"""What the delivery engine keeps about a reader: its part of their data download (what we
sent or will send them) and its erasure step (every row and sent-message record goes)."""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings

from content.pack import stage_label
from subscribers import erasure, personal_data
from subscribers.models import Subscriber

from . import outbox
from .models import Delivery
from .retention import forget_readers


def export(subscriber: Subscriber) -> Mapping[str, personal_data.Value]:
    # Rows of days rolled up (delivery.retention) left a slim record; the rest are still rows.
    columns = ("due_on", "message_key", "channel")
    sent = [
        *subscriber.sent_messages.order_by("due_on", "pk").values_list(*columns),
        *subscriber.deliveries.filter(status=Delivery.Status.SENT)
        .order_by("sent_at")
        .values_list(*columns),
    ]
    unsent = subscriber.deliveries.exclude(status=Delivery.Status.SENT).order_by("due_on", "pk")
    return {
        "sent_messages": [
            {"date": day.isoformat(), "message": outbox.listed_as(key), "channel": channel}
            for day, key, channel in sent
        ],
        # Older stage and birthday records are deleted (delivery.retention): say so, not lie.
        "sent_messages_note": (
            f"週数・月齢ごとのメッセージと誕生日のメッセージは、送った記録を"
            f"{settings.KIZUNA_SENT_HISTORY_DAYS}日分だけ残しています。それより前の分は一覧にありません。"
        ),
        "unsent_messages": [
            {
                "date": d.due_on.isoformat(),
                "message": outbox.listed_as(d.message_key),
                "channel": d.channel,
                "status": d.get_status_display(),
                "reason": d.last_error,
            }
            for d in unsent
        ],
    }


LABELS = {
    "sent_messages": "お送りしたメッセージ",
    "sent_messages_note": "お送りしたメッセージの記録について",
    "date": "日付",
    "message": "メッセージ",
    "channel": "受け取り方法",
    "unsent_messages": "まだ届いていない・取りやめたメッセージ",
    "status": "状態",
    "reason": "理由",
}

_SPECIAL = {
    "welcome": "ようこそのメッセージ",
    "birth": "ご出産のお祝い",
    "loss": "お別れの報告へのメッセージ",
}
_OTHER_KINDS = {
    "survey": "アンケートのご案内",
    "urgent": "緊急のお知らせ",
    "import": "登録の移行のご案内",
    "move": "登録の移行のご案内",
}


def message_label(key: str) -> str:
    """「妊娠20週のメッセージ」 for ``stage:pregnancy:week:20``, and so on."""
    try:
        message = outbox.MessageKey.parse(key)
    except (ValueError, IndexError):
        return key
    if message.kind == outbox.STAGE and message.stage is not None:
        return f"{stage_label('ja', message.stage)}のメッセージ"
    if message.kind == outbox.BIRTHDAY:
        return f"{message.age}歳の誕生日のメッセージ"
    if message.kind == outbox.SPECIAL:
        return _SPECIAL.get(message.name, "お知らせ")
    return _OTHER_KINDS.get(message.kind, key)


def erase(subscriber_ids: list[int]) -> None:
    forget_readers(subscriber_ids)


def register() -> None:
    personal_data.register_part(
        personal_data.Part(
            app="delivery", export=export, labels=LABELS, readable={"message": message_label}
        )
    )
    erasure.register_step("delivery", erase)
