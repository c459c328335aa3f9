"""Everything kept about a reader, for their data download: as JSON, and readable by a person.

One collection (:func:`export`, English keys, ISO dates in UTC) feeds both forms; the readable
one (:func:`readable_sections`) gives every key a Japanese label and every time in Japan time,
and a test checks that no key is left without a label.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

from django.conf import settings

from adoption.models import EmailMoveRequest
from content.pack import stage_label
from delivery import outbox
from delivery.models import Delivery
from kizuna import clock
from surveys.models import Answer

from . import selectors
from .models import Subscriber, Subscription

UNSENT = [Delivery.Status.PLANNED, Delivery.Status.SENDING, Delivery.Status.FAILED]


def _at(value: datetime.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _day(value: datetime.date | None) -> str | None:
    return value.isoformat() if value else None


def export(subscriber: Subscriber) -> dict:
    """What the reader gave us, what we noted about them and what we sent or will send."""
    subscriptions = (
        Subscription.objects.filter(subscriber=subscriber).select_related("child").order_by("pk")
    )
    # Rows of days rolled up (delivery.retention) left a slim record; the rest are still rows.
    columns = ("due_on", "message_key", "channel")
    sent = [
        *subscriber.sent_messages.order_by("due_on", "pk").values_list(*columns),
        *subscriber.deliveries.filter(status=Delivery.Status.SENT)
        .order_by("sent_at")
        .values_list(*columns),
    ]
    unsent = subscriber.deliveries.exclude(status=Delivery.Status.SENT).order_by("due_on", "pk")
    answers = (
        Answer.objects.filter(response__subscriber=subscriber)
        .select_related("response__survey", "question")
        .order_by("response__survey_id", "question__order", "question_id", "choice")
    )
    return {
        "municipality": str(subscriber.municipality),
        "service_name": subscriber.municipality.service_name,
        "email": subscriber.email,
        "line_linked": bool(subscriber.line_user_id),
        "line_user_id": subscriber.line_user_id,
        "relationship": subscriber.get_relationship_display(),
        "nickname": subscriber.nickname,
        "language": subscriber.language,
        "channel": subscriber.channel,
        "source": subscriber.get_source_display(),
        "signup_tag": subscriber.signup_tag,
        "registered_at": _at(subscriber.created_at),
        "consent": {
            "at": subscriber.consent_at.isoformat(),
            "policy_version": subscriber.consent_policy_version,
        },
        "confirmed_at": _at(subscriber.confirmed_at),
        "channel_stopped_at": _at(subscriber.channel_stopped_at),
        "channel_stop_reason": subscriber.channel_stop_reason,
        "unsubscribed_at": _at(subscriber.unsubscribed_at),
        "unsubscribe_reason": subscriber.unsubscribe_reason,
        "erasure_on": _day(selectors.erasure_date(subscriber)),
        "children": [
            {
                "due_date": _day(s.child.due_date),
                "birth_date": _day(s.child.birth_date),
                "status": s.child.get_status_display(),
                "loss": s.child.get_loss_display() if s.child.loss else "",
                "followed_from": _at(s.created_at),
                "followed_until": _at(s.ended_at),
            }
            for s in subscriptions
        ],
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
        "survey_answers": [
            {
                "survey": f"{a.response.survey.wareki} {a.response.survey.title}",
                "answered_at": _at(a.response.updated_at),
                "question": a.question.text,
                "answer": a.text if a.choice is None else dict(a.question.choices()).get(a.choice),
            }
            for a in answers
        ],
        "email_change_requests": [
            {
                "email": r.email,
                "requested_at": _at(r.requested_at),
                "confirmed_at": _at(r.confirmed_at),
            }
            for r in EmailMoveRequest.objects.filter(subscriber=subscriber).order_by("pk")
        ],
    }


# The readable form ------------------------------------------------------------------------------

LABELS = {
    "municipality": "自治体",
    "service_name": "サービス名",
    "email": "メールアドレス",
    "line_linked": "LINEとの連携",
    "line_user_id": "LINEのユーザーID",
    "relationship": "お子さまとの関係",
    "nickname": "ニックネーム",
    "language": "言語",
    "channel": "受け取り方法",
    "source": "登録の経路",
    "signup_tag": "登録のきっかけ（チラシなど）",
    "registered_at": "登録した日時",
    "consent": "同意",
    "at": "同意した日時",
    "policy_version": "同意したプライバシーポリシーの版",
    "confirmed_at": "登録を完了した日時",
    "channel_stopped_at": "届かなくなった日時",
    "channel_stop_reason": "届かなくなった理由",
    "unsubscribed_at": "配信を停止した日時",
    "unsubscribe_reason": "配信停止の理由",
    "erasure_on": "情報を消去する日",
    "children": "妊娠・お子さま",
    "due_date": "出産予定日",
    "birth_date": "生年月日",
    "status": "状態",
    "loss": "お別れの種類",
    "followed_from": "受け取りを始めた日時",
    "followed_until": "受け取りを終えた日時",
    "sent_messages": "お送りしたメッセージ",
    "sent_messages_note": "お送りしたメッセージの記録について",
    "date": "日付",
    "message": "メッセージ",
    "unsent_messages": "まだ届いていない・取りやめたメッセージ",
    "reason": "理由",
    "survey_answers": "アンケートの回答",
    "survey": "アンケート",
    "answered_at": "回答日時",
    "question": "質問",
    "answer": "回答",
    "email_change_requests": "メールへの切り替えの申し込み",
    "requested_at": "申し込み日時",
}
VALUE_LABELS = {
    "language": {"ja": "日本語", "en": "英語"},
    "channel": {"email": "メール", "line": "LINE"},
}


@dataclass
class Section:
    title: str
    rows: list[tuple[str, str]] = field(default_factory=list)  # (label, value)
    items: list[list[tuple[str, str]]] | None = None  # a list's entries, each its own rows
    note: str = ""


def readable_sections(data: dict) -> list[Section]:
    """The export as sections of labelled rows and tables, in Japanese and Japan time."""
    about = Section("登録内容")
    sections = [about]
    for key, value in data.items():
        if key == "sent_messages_note":
            continue
        if isinstance(value, list):
            # One small block per entry rather than a wide table: it reads on a 390 px phone.
            section = Section(
                LABELS[key],
                items=[[(LABELS[k], _readable(k, v)) for k, v in item.items()] for item in value],
            )
            if key == "sent_messages":
                section.note = data.get("sent_messages_note", "")
            sections.append(section)
        elif isinstance(value, dict):
            about.rows += [(LABELS[k], _readable(k, v)) for k, v in value.items()]
        else:
            about.rows.append((LABELS[key], _readable(key, value)))
    return sections


def unlabelled_keys(data: dict) -> set[str]:
    """Keys of the export with no Japanese label (a test keeps this empty)."""
    missing = set()
    for key, value in data.items():
        if key not in LABELS:
            missing.add(key)
        items = value if isinstance(value, list) else [value] if isinstance(value, dict) else []
        for item in items:
            missing |= unlabelled_keys(item)
    return missing


_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _readable(key: str, value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "あり" if value else "なし"
    if key in VALUE_LABELS:
        return VALUE_LABELS[key].get(value, str(value))
    if key == "message":
        return message_label(str(value))
    if isinstance(value, str) and _MOMENT.match(value):
        moment = datetime.datetime.fromisoformat(value).astimezone(clock.TOKYO)
        return f"{moment.year}年{moment.month}月{moment.day}日 {moment:%H:%M}"
    if isinstance(value, str) and _DAY.match(value):
        day = datetime.date.fromisoformat(value)
        return f"{day.year}年{day.month}月{day.day}日"
    return str(value)


_SPECIAL = {
    "welcome": "ようこそのメッセージ",
    "birth": "ご出産のお祝い",
    "loss": "お別れの報告へのメッセージ",
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


_OTHER_KINDS = {
    "survey": "アンケートのご案内",
    "urgent": "緊急のお知らせ",
    "import": "登録の移行のご案内",
    "move": "登録の移行のご案内",
}
