"""What Kizuna does when a LINE user follows, blocks or writes to a municipality's account."""

from __future__ import annotations

from django.urls import reverse

from kizuna import clock
from municipalities.models import Municipality
from subscribers import links, services
from subscribers.models import Subscriber
from subscribers.tokens import Purpose, make_token

from .models import Delivery
from .webhooks import LineEvent, LineFollow, LineText, LineUnfollow

STOP_WORDS = {"配信停止", "停止", "stop"}
SETTINGS_WORDS = {"設定", "登録内容", "変更", "settings"}


def line_signup_url(municipality: Municipality, user_id: str) -> str:
    token = make_token(Purpose.LINE_SIGNUP, m=municipality.pk, u=user_id)
    return links.absolute(reverse("subscribers:line_signup", args=[municipality.slug, token]))


def handle(municipality: Municipality, event: LineEvent) -> str | None:
    """Apply the event; returns the reply text, if the event deserves one."""
    reader = (
        Subscriber.objects.filter(municipality=municipality, line_user_id=event.user_id)
        .exclude(erased_at__isnull=False)
        .first()
    )
    if isinstance(event, LineUnfollow):
        if reader is not None:
            _stop_line(reader)
        return None
    if isinstance(event, LineFollow):
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
            f"登録はこちらから:\n{line_signup_url(municipality, event.user_id)}\n\n"
            "メールで受け取っている方は、ご案内メールのリンクに表示された連携コードを"
            "このトークに送ると、今の登録のままLINEに切り替わります。"
        )
    if isinstance(event, LineText):
        from adoption import moves  # the channel move binds an email reader by a code

        if moves.normalise_code(event.text):
            try:
                return moves.bind_line_account(municipality, event.user_id, event.text)
            except moves.MoveRefused as refused:
                return str(refused)
        if reader is None or not reader.is_active:
            return f"まだ登録がありません。登録はこちらから:\n{line_signup_url(municipality, event.user_id)}"
        command = event.text.strip().lower()
        if command in STOP_WORDS:
            services.unsubscribe(reader.pk, "LINEで配信停止")
            return "配信を停止しました。これまでお読みいただき、ありがとうございました。"
        if command in SETTINGS_WORDS:
            return f"登録内容の確認・変更はこちら:\n{links.manage_url(reader)}"
        return "「設定」と送ると登録内容の変更、「配信停止」と送ると配信の停止ができます。"
    return None


def _stop_line(reader: Subscriber) -> None:
    """A block (unfollow) means LINE can't reach this reader: stop LINE, keep the rest."""
    if reader.channel == "line":
        Subscriber.objects.filter(pk=reader.pk).update(
            channel_stopped_at=clock.now(), channel_stop_reason="LINEでブロックされました"
        )
        Delivery.objects.filter(
            subscriber=reader, channel="line", status=Delivery.Status.PLANNED
        ).update(status=Delivery.Status.SKIPPED, last_error="LINEでブロックされました")
