"""Moving readers from email to LINE without losing their family, stage or history.

Staff announce the move; every email reader gets one message with a personal, signed link. The
page behind it shows the LINE account to add and a short code; sending that code in the LINE
chat binds the LINE account to the same reader (the same webhook that answers follows), and
from then on their messages come by LINE.
"""

from __future__ import annotations

import datetime
import logging
import secrets

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.urls import reverse

from delivery.models import Delivery
from kizuna import clock
from municipalities.models import Municipality
from subscribers import links
from subscribers.models import Subscriber
from subscribers.tokens import Purpose, make_token

from .models import ChannelMove, LineLinkCode

logger = logging.getLogger(__name__)

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
CODE_DAYS = 30


class MoveRefused(Exception):
    """The message is shown as it is (to staff, or as the LINE reply)."""


def email_readers(municipality: Municipality):
    """Readers still receiving by email, without a LINE account bound."""
    return (
        Subscriber.objects.reachable()
        .for_municipality(municipality)
        .filter(channel="email", line_user_id__isnull=True)
    )


@transaction.atomic
def announce(municipality: Municipality, *, by) -> ChannelMove:
    """One message with a personal link to each email reader, through the delivery engine."""
    if not municipality.line_enabled or not municipality.line_friend_url:
        raise MoveRefused(
            "LINE配信が有効で、LINE友だち追加URLが設定されている自治体だけが案内できます。"
        )
    move = ChannelMove.objects.create(municipality=municipality, created_by=by)
    now = clock.now()
    readers = list(email_readers(municipality).values_list("pk", flat=True))
    Delivery.objects.bulk_create(
        [
            Delivery(
                municipality=municipality,
                subscriber_id=reader,
                channel="email",
                message_key=move.message_key,
                due_on=clock.today(),
                next_attempt_at=now,
            )
            for reader in readers
        ],
        ignore_conflicts=True,
    )
    move.invited = len(readers)
    move.save(update_fields=["invited"])
    logger.info("channel move %s announced to %d readers", move.pk, len(readers))
    return move


def move_url(move: ChannelMove, subscriber_id: int) -> str:
    token = make_token(Purpose.CHANNEL_MOVE, s=subscriber_id, m=move.pk)
    return links.absolute(reverse("moves:move_to_line", args=[token]))


def code_for(move: ChannelMove, subscriber: Subscriber) -> LineLinkCode:
    """The reader's code for this move, made on first use and kept until it is used."""
    existing = LineLinkCode.objects.filter(move=move, subscriber=subscriber).first()
    if existing is not None:
        if existing.used_at is None and existing.expires_at < clock.now():
            existing.expires_at = clock.now() + datetime.timedelta(days=CODE_DAYS)
            existing.save(update_fields=["expires_at"])
        return existing
    for _attempt in range(5):
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
        try:
            with transaction.atomic():
                return LineLinkCode.objects.create(
                    move=move,
                    subscriber=subscriber,
                    code=f"{code[:4]}-{code[4:]}",
                    expires_at=clock.now() + datetime.timedelta(days=CODE_DAYS),
                )
        except IntegrityError:
            continue
    raise MoveRefused("連携コードを作れませんでした。もう一度お試しください。")


def normalise_code(text: str) -> str | None:
    """``abcd efgh``, ``ABCD-EFGH`` or ``ＡＢＣＤ－ＥＦＧＨ`` → ``ABCD-EFGH``; None if not a code."""
    import unicodedata

    letters = "".join(ch for ch in unicodedata.normalize("NFKC", text).upper() if ch.isalnum())
    if len(letters) != 8 or any(ch not in CODE_ALPHABET for ch in letters):
        return None
    return f"{letters[:4]}-{letters[4:]}"


@transaction.atomic
def bind_line_account(municipality: Municipality, line_user_id: str, code_text: str) -> str:
    """Bind the LINE account that sent ``code_text`` to the reader the code was made for.

    Keeps the reader, their family, stage and history; only the channel changes, and messages
    already queued go out by LINE. Returns the reply to send in the chat.
    """
    code = normalise_code(code_text)
    link = (
        LineLinkCode.objects.select_for_update()
        .select_related("subscriber", "move")
        .filter(code=code, move__municipality=municipality)
        .first()
        if code
        else None
    )
    if link is None or link.expires_at < clock.now():
        raise MoveRefused(
            "連携コードが見つからないか、有効期限が切れています。"
            "ご案内メールのリンクを開き、表示されたコードを送ってください。"
        )
    reader = Subscriber.objects.select_for_update().get(pk=link.subscriber_id)
    if reader.line_user_id == line_user_id:
        return "すでに連携済みです。メッセージはLINEでお届けしています。"
    taken = Subscriber.objects.filter(
        municipality=municipality, line_user_id=line_user_id, erased_at__isnull=True
    ).exclude(pk=reader.pk)
    if taken.filter(unsubscribed_at__isnull=True).exists():
        raise MoveRefused(
            "このLINEアカウントはすでに別の登録で使われています。"
            "「設定」と送って登録内容をご確認ください。"
        )
    taken.update(line_user_id=None)  # a stale, left registration gives the account up
    if not reader.is_active:
        raise MoveRefused("この登録は配信を停止しています。もう一度ご登録ください。")
    reader.line_user_id = line_user_id
    reader.channel = "line"
    reader.channel_stopped_at = None
    reader.channel_stop_reason = ""
    reader.save(
        update_fields=[
            "line_user_id",
            "channel",
            "channel_stopped_at",
            "channel_stop_reason",
            "updated_at",
        ]
    )
    # Messages already queued go out on the new channel, as when a reader changes it themselves.
    Delivery.objects.filter(
        subscriber=reader, status=Delivery.Status.PLANNED, sent_at__isnull=True
    ).exclude(message_key=link.move.message_key).update(channel="line")
    link.used_at = clock.now()
    link.save(update_fields=["used_at"])
    logger.info("reader %s moved to LINE (move %s)", reader.pk, link.move_id)
    return (
        f"連携しました。{municipality.service_name}のメッセージは、"
        "次からこのLINEでお届けします。お子さまの時期や登録内容はそのままです。"
    )


def dashboard(municipality: Municipality) -> dict:
    """How many readers are on each channel, and how many each announcement moved."""
    readers = Subscriber.objects.reachable().for_municipality(municipality)
    channels = dict(readers.values_list("channel").annotate(count=Count("id")))
    moves = ChannelMove.objects.filter(municipality=municipality).annotate(
        opened=Count("codes"),
        moved=Count("codes", filter=Q(codes__used_at__isnull=False)),
    )
    return {
        "email": channels.get("email", 0),
        "line": channels.get("line", 0),
        "moves": list(moves),
        "moved": sum(move.moved for move in moves),
    }
