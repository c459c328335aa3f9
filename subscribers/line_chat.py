"""What Kizuna answers when a LINE user follows, blocks or writes to a municipality's account.

The reader side of LINE: chat commands ("配信停止", "設定"), the signup link for a new follower,
and stopping the channel on a block. The LINE webhook (delivery) parses and verifies the events
and calls these; apps above add answers to texts of their own with :func:`register_text_answer`
(the channel move's link code).
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from django.db import transaction
from django.urls import reverse

from kizuna import clock
from municipalities.models import Municipality

from . import events, links, services
from .models import Subscriber
from .tokens import Purpose, make_token

# What readers type, after normalising (full-width, spaces, the 「」 the footer prints).
STOP_WORDS = {"配信停止", "停止", "配信を停止", "stop"}
STOP_CONFIRM_WORDS = {"配信停止する", "停止する"}
STOP_CANCEL_WORDS = {"配信を続ける", "続ける", "やめる"}
UNDO_STOP_WORDS = {"配信再開", "再開", "配信を再開", "配信を再開する", "元に戻す"}
SETTINGS_WORDS = {"設定", "登録内容", "変更", "settings"}
COMMANDS = STOP_WORDS | STOP_CONFIRM_WORDS | STOP_CANCEL_WORDS | UNDO_STOP_WORDS | SETTINGS_WORDS
STOPPED_FROM_CHAT = "LINEで配信停止"
# Nothing personal goes to a group or a room: everyone there would see it.
IN_GROUP = (
    "このトークでは登録内容の確認や配信の停止はできません。"
    "公式アカウントとの1対1のトークで送ってください。"
)


@dataclass(frozen=True)
class DatePick:
    """A button under an answer opening LINE's date picker (``mode: date``) between
    ``earliest`` and ``latest``; the chosen date comes back as a postback carrying ``data``."""

    label: str
    data: str
    initial: datetime.date
    earliest: datetime.date
    latest: datetime.date


@dataclass(frozen=True)
class Reply:
    """A chat answer; ``quick_replies`` are buttons under it: a text sent back when tapped, or
    a date picker."""

    text: str
    quick_replies: tuple[str | DatePick, ...] = ()

    def buttons(self) -> list[str | dict[str, str]]:
        """The buttons as JSON (for the answer task): texts as they are, pickers as dicts."""
        return [
            b
            if isinstance(b, str)
            else {
                "label": b.label,
                "data": b.data,
                "initial": b.initial.isoformat(),
                "min": b.earliest.isoformat(),
                "max": b.latest.isoformat(),
            }
            for b in self.quick_replies
        ]


class Chat(Protocol):
    """A procedure carried out in the one-to-one chat, step by step (an app above registers
    it with :func:`register_chat`). Each method answers, or returns None to let others."""

    words: frozenset[str]  # commands it starts on, answered neutrally in groups

    def followed(self, municipality: Municipality, user_id: str) -> Reply | None: ...

    def wrote(
        self, municipality: Municipality, user_id: str, text: str, reader: Subscriber | None
    ) -> Reply | None: ...

    def picked(
        self, municipality: Municipality, user_id: str, data: str, date: datetime.date | None
    ) -> Reply | None: ...


CHATS: list[Chat] = []


def register_chat(chat: Chat) -> None:
    """Let ``chat`` answer follows, texts and postbacks of people without a pending command."""
    if chat not in CHATS:
        CHATS.append(chat)


# (municipality, LINE user id, text) -> the reply (a text, or a Reply with quick replies), or
# None when the text is not theirs to answer.
TextAnswer = Callable[[Municipality, str, str], str | Reply | None]
TEXT_ANSWERS: list[TextAnswer] = []


# (municipality, LINE user id, postback data) -> the reply. Registered per prefix: the part of
# the data before its first ":" names the app that made the button.
PostbackAnswer = Callable[[Municipality, str, str], str]
POSTBACK_ANSWERS: dict[str, PostbackAnswer] = {}
# A button pressed in a group or a room: whoever pressed it is not who the message was for.
BUTTON_IN_GROUP = (
    "このトークでは評価などのボタンは受け付けていません。"
    "公式アカウントとの1対1のトークで押してください。"
)


def register_postback_answer(prefix: str, answer: PostbackAnswer) -> None:
    """Let ``answer`` handle the buttons whose data starts with ``prefix:`` (from ready())."""
    POSTBACK_ANSWERS[prefix] = answer


def pressed(municipality: Municipality, user_id: str, data: str) -> Reply | None:
    """A quick-reply button in the one-to-one chat: the answer registered for its prefix."""
    answer = POSTBACK_ANSWERS.get(data.partition(":")[0])
    return Reply(answer(municipality, user_id, data)) if answer else None


def pressed_in_group(municipality: Municipality, data: str) -> Reply | None:
    """A known button pressed in a group or room: a neutral answer, nothing recorded."""
    return Reply(BUTTON_IN_GROUP) if data.partition(":")[0] in POSTBACK_ANSWERS else None


def reader_on_line(municipality: Municipality, user_id: str) -> Subscriber | None:
    """The reader this LINE account belongs to at this municipality, if any."""
    return _reader(municipality, user_id)


def register_text_answer(answer: TextAnswer) -> None:
    """Let ``answer`` reply first to what LINE users write (from an AppConfig.ready())."""
    if answer not in TEXT_ANSWERS:
        TEXT_ANSWERS.append(answer)


_BRACKETS = re.compile(r"[「」『』【】\"'“”‘’()\[\]]")


def command_of(text: str) -> str:
    """``text`` as a command: full-width folded, brackets and spaces dropped, lower case."""
    folded = unicodedata.normalize("NFKC", text)
    return _BRACKETS.sub("", "".join(folded.split())).lower()


def line_signup_url(municipality: Municipality, user_id: str) -> str:
    token = make_token(Purpose.LINE_SIGNUP, m=municipality.pk, u=user_id)
    return links.absolute(reverse("subscribers:line_signup", args=[municipality.slug, token]))


def _reader(municipality: Municipality, user_id: str) -> Subscriber | None:
    return (
        Subscriber.objects.filter(municipality=municipality, line_user_id=user_id)
        .exclude(erased_at__isnull=False)
        .first()
    )


def unfollowed(municipality: Municipality, user_id: str) -> None:
    """A block (unfollow) means LINE can't reach this reader: stop LINE, keep the rest."""
    reader = _reader(municipality, user_id)
    if reader is not None and reader.channel == "line":
        reason = "LINEでブロックされました"
        Subscriber.objects.filter(pk=reader.pk).update(
            channel_stopped_at=clock.now(), channel_stop_reason=reason
        )
        events.channel_stopped.send(
            sender=Subscriber, subscriber=reader, channel="line", reason=reason
        )


def followed(municipality: Municipality, user_id: str) -> Reply:
    """The greeting: welcome back to a reader, or the way to register to a newcomer."""
    reader = _reader(municipality, user_id)
    if reader is not None and reader.is_active:
        if reader.channel == "line" and reader.channel_stopped_at is not None:
            Subscriber.objects.filter(pk=reader.pk).update(
                channel_stopped_at=None, channel_stop_reason=""
            )
        return Reply(
            f"おかえりなさい。{municipality.service_name}の配信を再開します。\n"
            f"登録内容の確認・変更はこちら:\n{links.manage_url(reader)}"
        )
    for chat in CHATS:
        reply = chat.followed(municipality, user_id)
        if reply is not None:
            return reply
    return Reply(
        f"友だち追加ありがとうございます。{municipality.service_name}です。\n"
        "出産予定日またはお子さまの生年月日を登録すると、その時期に合ったメッセージをお届けします。\n"
        f"登録はこちらから:\n{line_signup_url(municipality, user_id)}\n\n"
        "メールで受け取っている方は、ご案内メールのリンクに表示された連携コードを"
        "このトークに送ると、今の登録のままLINEに切り替わります。"
    )


def wrote_in_group(municipality: Municipality, text: str) -> Reply | None:
    """A text in a group or room: a command gets the neutral answer, anything else none."""
    command = command_of(text)
    if command in COMMANDS or any(command in chat.words for chat in CHATS):
        return Reply(IN_GROUP)
    return None


def wrote(municipality: Municipality, user_id: str, text: str) -> Reply:
    """The answer to a chat message in the one-to-one chat: a command, or how to use them."""
    for answer in TEXT_ANSWERS:
        reply = answer(municipality, user_id, text)
        if reply is not None:
            return reply if isinstance(reply, Reply) else Reply(reply)
    command = command_of(text)
    reader = _reader(municipality, user_id)
    if reader is not None and command in UNDO_STOP_WORDS:
        return _undo_stop(reader)
    for chat in CHATS:
        answered = chat.wrote(municipality, user_id, text, reader)
        if answered is not None:
            return answered
    if reader is None or not reader.is_active:
        return Reply(
            f"まだ登録がありません。登録はこちらから:\n{line_signup_url(municipality, user_id)}"
        )
    if command in STOP_WORDS:
        return Reply(
            f"{municipality.service_name}の配信を停止しますか？\n"
            "停止すると、メッセージはすべて届かなくなります（今日中なら元に戻せます）。",
            quick_replies=("配信停止する", "配信を続ける"),
        )
    if command in STOP_CONFIRM_WORDS:
        services.unsubscribe(reader.pk, STOPPED_FROM_CHAT)
        return Reply(
            "配信を停止しました。これまでお読みいただき、ありがとうございました。\n"
            "まちがえた場合は、今日中に「配信再開」と送ると元に戻せます。",
            quick_replies=("配信再開",),
        )
    if command in STOP_CANCEL_WORDS:
        return Reply("これまでどおり配信を続けます。")
    if command in SETTINGS_WORDS:
        return Reply(f"登録内容の確認・変更はこちら:\n{links.manage_url(reader)}")
    return Reply("「設定」と送ると登録内容の変更、「配信停止」と送ると配信の停止ができます。")


def picked(
    municipality: Municipality, user_id: str, data: str, date: datetime.date | None
) -> Reply | None:
    """A postback (a date chosen in a picker) in the one-to-one chat."""
    for chat in CHATS:
        reply = chat.picked(municipality, user_id, data, date)
        if reply is not None:
            return reply
    return None


def _undo_stop(reader: Subscriber) -> Reply:
    if reader.is_active:
        return Reply("配信は停止されていません。これまでどおりお届けします。")
    stopped_at = reader.unsubscribed_at
    if (
        stopped_at is None
        or reader.unsubscribe_reason != STOPPED_FROM_CHAT
        or stopped_at.astimezone(clock.TOKYO).date() != clock.today()
    ):
        return Reply(
            "元に戻せるのは、このトークで配信を停止した当日だけです。"
            "もう一度登録するには、友だち追加のご案内のリンクからお手続きください。"
        )
    undo_unsubscribe(reader.pk, since=stopped_at)
    return Reply("配信を再開しました。これまでどおりお届けします。")


@transaction.atomic
def undo_unsubscribe(subscriber_id: int, *, since: datetime.datetime) -> None:
    """Take back a stop made ``since``: the reader, their children and today's messages return."""
    reader = Subscriber.objects.select_for_update().get(pk=subscriber_id)
    if reader.unsubscribed_at != since or reader.erased_at is not None:
        return
    reader.unsubscribed_at = None
    reader.unsubscribe_reason = ""
    reader.save(update_fields=["unsubscribed_at", "unsubscribe_reason", "updated_at"])
    reader.subscriptions.filter(ended_at__gte=since).update(ended_at=None)
    events.unsubscribe_undone.send(sender=Subscriber, subscriber=reader, since=since)
