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
class Reply:
    """A chat answer; ``quick_replies`` are texts offered as buttons under it."""

    text: str
    quick_replies: tuple[str, ...] = ()


# (municipality, LINE user id, text) -> the reply (a text, or a Reply with quick replies), or
# None when the text is not theirs to answer.
TextAnswer = Callable[[Municipality, str, str], str | Reply | None]
TEXT_ANSWERS: list[TextAnswer] = []


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
    return Reply(
        f"友だち追加ありがとうございます。{municipality.service_name}です。\n"
        "出産予定日またはお子さまの生年月日を登録すると、その時期に合ったメッセージをお届けします。\n"
        f"登録はこちらから:\n{line_signup_url(municipality, user_id)}\n\n"
        "メールで受け取っている方は、ご案内メールのリンクに表示された連携コードを"
        "このトークに送ると、今の登録のままLINEに切り替わります。"
    )


def wrote_in_group(municipality: Municipality, text: str) -> Reply | None:
    """A text in a group or room: a command gets the neutral answer, anything else none."""
    return Reply(IN_GROUP) if command_of(text) in COMMANDS else None


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
