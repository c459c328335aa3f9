"""Everything kept about a reader, for their data download: as JSON, and readable by a person.

One collection (:func:`export`, English keys, ISO dates in UTC) feeds both forms; the readable
one (:func:`readable_sections`) gives every key a Japanese label and every time in Japan time,
and a test checks that no key is left without a label.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from kizuna import clock

from . import selectors
from .models import Subscriber, Subscription

# A value of the export: what json.dumps writes (a part's entries are dicts of these too).
Value = str | bool | None | list[dict[str, object]] | dict[str, object]


@dataclass(frozen=True)
class Part:
    """One app's share of the download: what it keeps about a reader, in the export's terms.

    ``export`` returns the keys it adds (English, ISO dates in UTC); ``labels`` gives each of
    them, and each key of its entries, a Japanese label; ``readable`` says how a value reads
    where a plain date or text would not (a message key as 「妊娠20週のメッセージ」).
    """

    app: str
    export: Callable[[Subscriber], Mapping[str, Value]]
    labels: Mapping[str, str]
    readable: Mapping[str, Callable[[str], str]] = field(default_factory=dict)


PARTS: dict[str, Part] = {}


def register_part(part: Part) -> None:
    """Add an app's part to every reader's download; call it from the app's ``ready()``.

    Every app whose models keep rows about a reader registers one (a test checks it), and an
    erasure step with :func:`subscribers.erasure.register_step`.
    """
    PARTS[part.app] = part


def moment_text(value: datetime.datetime | None) -> str | None:
    return value.isoformat() if value else None


def day_text(value: datetime.date | None) -> str | None:
    return value.isoformat() if value else None


def export(subscriber: Subscriber) -> dict[str, Value]:
    """What the reader gave us, what we noted about them, and every registered app's part
    (what we sent or will send, survey answers, requests to move channel)."""
    subscriptions = (
        Subscription.objects.filter(subscriber=subscriber).select_related("child").order_by("pk")
    )
    data: dict[str, Value] = {
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
        "registered_at": moment_text(subscriber.created_at),
        "consent": {
            "at": subscriber.consent_at.isoformat(),
            "policy_version": subscriber.consent_policy_version,
        },
        "confirmed_at": moment_text(subscriber.confirmed_at),
        "channel_stopped_at": moment_text(subscriber.channel_stopped_at),
        "channel_stop_reason": subscriber.channel_stop_reason,
        "unsubscribed_at": moment_text(subscriber.unsubscribed_at),
        "unsubscribe_reason": subscriber.unsubscribe_reason,
        "erasure_on": day_text(selectors.erasure_date(subscriber)),
        "children": [
            {
                "due_date": day_text(s.child.due_date),
                "birth_date": day_text(s.child.birth_date),
                "status": s.child.get_status_display(),
                "loss": s.child.get_loss_display() if s.child.loss else "",
                "followed_from": moment_text(s.created_at),
                "followed_until": moment_text(s.ended_at),
            }
            for s in subscriptions
        ],
    }
    for part in PARTS.values():
        data.update(part.export(subscriber))
    return data


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
}
VALUE_LABELS = {
    "language": {"ja": "日本語", "en": "英語"},
    "channel": {"email": "メール", "line": "LINE"},
}
NOTE_SUFFIX = "_note"  # "sent_messages_note": said under the list "sent_messages"


def labels() -> dict[str, str]:
    """The Japanese label of every key of the export, the registered parts' included."""
    merged = dict(LABELS)
    for part in PARTS.values():
        merged |= part.labels
    return merged


@dataclass
class Section:
    title: str
    rows: list[tuple[str, str]] = field(default_factory=list)  # (label, value)
    items: list[list[tuple[str, str]]] | None = None  # a list's entries, each its own rows
    note: str = ""


def readable_sections(data: Mapping[str, Value]) -> list[Section]:
    """The export as sections of labelled rows and tables, in Japanese and Japan time."""
    names = labels()
    about = Section("登録内容")
    sections = [about]
    for key, value in data.items():
        if key.endswith(NOTE_SUFFIX) and isinstance(data.get(key.removesuffix(NOTE_SUFFIX)), list):
            continue
        if isinstance(value, list):
            # One small block per entry rather than a wide table: it reads on a 390 px phone.
            section = Section(
                names[key],
                items=[[(names[k], _readable(k, v)) for k, v in item.items()] for item in value],
            )
            note = data.get(key + NOTE_SUFFIX)
            section.note = note if isinstance(note, str) else ""
            sections.append(section)
        elif isinstance(value, dict):
            about.rows += [(names[k], _readable(k, v)) for k, v in value.items()]
        else:
            about.rows.append((names[key], _readable(key, value)))
    return sections


def unlabelled_keys(data: Mapping[str, object], names: Mapping[str, str] | None = None) -> set[str]:
    """Keys of the export with no Japanese label (a test keeps this empty)."""
    names = labels() if names is None else names
    missing = set()
    for key, value in data.items():
        if key not in names:
            missing.add(key)
        items = value if isinstance(value, list) else [value] if isinstance(value, dict) else []
        for item in items:
            missing |= unlabelled_keys(item, names)
    return missing


_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _readable(key: str, value: object) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "あり" if value else "なし"
    if key in VALUE_LABELS:
        return VALUE_LABELS[key].get(str(value), str(value))
    for part in PARTS.values():
        if key in part.readable:
            return part.readable[key](str(value))
    if isinstance(value, str) and _MOMENT.match(value):
        moment = datetime.datetime.fromisoformat(value).astimezone(clock.TOKYO)
        return f"{moment.year}年{moment.month}月{moment.day}日 {moment:%H:%M}"
    if isinstance(value, str) and _DAY.match(value):
        day = datetime.date.fromisoformat(value)
        return f"{day.year}年{day.month}月{day.day}日"
    return str(value)
