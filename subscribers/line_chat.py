"""What Kizuna answers when a LINE user follows, blocks or writes to a municipality's account.

The reader side of LINE: chat commands ("配信停止", "設定"), the signup link for a new follower,
and stopping the channel on a block. The LINE webhook (delivery) parses and verifies the events
and calls these; apps above add answers to texts of their own with :func:`register_text_answer`
(the channel move's link code).
"""

from __future__ import annotations

from collections.abc import Callable

from django.urls import reverse

from kizuna import clock
from municipalities.models import Municipality

from . import events, links, services
from .models import Subscriber
from .tokens import Purpose, make_token

STOP_WORDS = {"配信停止", "停止", "stop"}
SETTINGS_WORDS = {"設定", "登録内容", "変更", "settings"}

# (municipality, LINE user id, text) -> the reply, or None when the text is not theirs to answer.
TextAnswer = Callable[[Municipality, str, str], str | None]
TEXT_ANSWERS: list[TextAnswer] = []


# (municipality, LINE user id, postback data) -> the reply, or None when the data is not theirs.
PostbackAnswer = Callable[[Municipality, str, str], str | None]
POSTBACK_ANSWERS: list[PostbackAnswer] = []


def register_postback_answer(answer: PostbackAnswer) -> None:
    """Let ``answer`` handle buttons pressed under messages (from an AppConfig.ready())."""
    if answer not in POSTBACK_ANSWERS:
        POSTBACK_ANSWERS.append(answer)


def pressed(municipality: Municipality, user_id: str, data: str) -> str | None:
    """A quick-reply button: the first registered answer that knows the data replies."""
    for answer in POSTBACK_ANSWERS:
        reply = answer(municipality, user_id, data)
        if reply is not None:
            return reply
    return None


def reader_on_line(municipality: Municipality, user_id: str) -> Subscriber | None:
    """The reader this LINE account belongs to at this municipality, if any."""
    return _reader(municipality, user_id)


def register_text_answer(answer: TextAnswer) -> None:
    """Let ``answer`` reply first to what LINE users write (from an AppConfig.ready())."""
    if answer not in TEXT_ANSWERS:
        TEXT_ANSWERS.append(answer)


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


def followed(municipality: Municipality, user_id: str) -> str:
    """The greeting: welcome back to a reader, or the way to register to a newcomer."""
    reader = _reader(municipality, user_id)
    if reader is not None and reader.is_active:
        if reader.channel == "line" and reader.channel_stopped_at is not None:
            Subscriber.objects.filter(pk=reader.pk).update(
                channel_stopped_at=None, channel_stop_reason=""
            )
        return (
            f"おかえりなさい。{municipality.service_name}の配信を再開します。\n"
            f"登録内容の確認・変更はこちら:\n{links.manage_url(reader)}"
        )
    return (
        f"友だち追加ありがとうございます。{municipality.service_name}です。\n"
        "出産予定日またはお子さまの生年月日を登録すると、その時期に合ったメッセージをお届けします。\n"
        f"登録はこちらから:\n{line_signup_url(municipality, user_id)}\n\n"
        "メールで受け取っている方は、ご案内メールのリンクに表示された連携コードを"
        "このトークに送ると、今の登録のままLINEに切り替わります。"
    )


def wrote(municipality: Municipality, user_id: str, text: str) -> str:
    """The answer to a chat message: a command, or how to use them."""
    for answer in TEXT_ANSWERS:
        reply = answer(municipality, user_id, text)
        if reply is not None:
            return reply
    reader = _reader(municipality, user_id)
    if reader is None or not reader.is_active:
        return f"まだ登録がありません。登録はこちらから:\n{line_signup_url(municipality, user_id)}"
    command = text.strip().lower()
    if command in STOP_WORDS:
        services.unsubscribe(reader.pk, "LINEで配信停止")
        return "配信を停止しました。これまでお読みいただき、ありがとうございました。"
    if command in SETTINGS_WORDS:
        return f"登録内容の確認・変更はこちら:\n{links.manage_url(reader)}"
    return "「設定」と送ると登録内容の変更、「配信停止」と送ると配信の停止ができます。"
