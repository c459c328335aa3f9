"""Moving readers between email and LINE without losing their family, stage or history.

Staff announce a move; every reader on the old channel gets one message with a personal, signed
link. Email to LINE: the page behind the link shows the LINE account to add and a short code;
sending that code in the LINE chat binds the LINE account to the same reader (the same webhook
that answers follows). LINE to email: the page asks for an email address, and the link mailed to
that address confirms it. Either way only the channel changes, and messages already queued go
out on the new one, never twice.
"""

from __future__ import annotations

import datetime
import logging
import secrets
import unicodedata

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.urls import reverse

from delivery import outbox
from kizuna import clock, email_addresses
from municipalities.models import Municipality
from subscribers import emails, links
from subscribers.models import Subscriber
from subscribers.services import normalize_email
from subscribers.tokens import Purpose, TokenError, make_token, read_token

from .models import MOVE_MESSAGE_KIND, ChannelMove, EmailMoveRequest, LineLinkCode

logger = logging.getLogger(__name__)


def announcement_key(move: ChannelMove) -> outbox.MessageKey:
    """The key of the one message that tells each reader about the move."""
    return outbox.MessageKey.for_record(MOVE_MESSAGE_KIND, move.pk)


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


def line_readers(municipality: Municipality):
    """Readers receiving by LINE (LINE can still reach them)."""
    return Subscriber.objects.reachable().for_municipality(municipality).filter(channel="line")


def readers_to_invite(municipality: Municipality, direction: str):
    if direction == ChannelMove.Direction.TO_EMAIL:
        return line_readers(municipality)
    return email_readers(municipality)


@transaction.atomic
def announce(
    municipality: Municipality, *, by, direction: str = ChannelMove.Direction.TO_LINE
) -> ChannelMove:
    """One message with a personal link to each reader on the old channel, through delivery."""
    if direction not in ChannelMove.Direction.values:
        raise MoveRefused("移行の向きが正しくありません。")
    if direction == ChannelMove.Direction.TO_LINE and (
        not municipality.line_enabled or not municipality.line_friend_url
    ):
        raise MoveRefused(
            "LINE配信が有効で、LINE友だち追加URLが設定されている自治体だけが案内できます。"
        )
    move = ChannelMove.objects.create(municipality=municipality, created_by=by, direction=direction)
    now = clock.now()
    readers = list(readers_to_invite(municipality, direction).values_list("pk", flat=True))
    outbox.enqueue(
        [
            outbox.Queued(municipality.pk, reader, move.from_channel, announcement_key(move))
            for reader in readers
        ],
        send_from=now,
    )
    move.invited = len(readers)
    move.save(update_fields=["invited"])
    logger.info("channel move %s (%s) announced to %d readers", move.pk, direction, len(readers))
    return move


def move_url(move: ChannelMove, subscriber_id: int) -> str:
    token = make_token(Purpose.CHANNEL_MOVE, s=subscriber_id, m=move.pk)
    name = (
        "moves:move_to_email"
        if move.direction == ChannelMove.Direction.TO_EMAIL
        else "moves:move_to_line"
    )
    return links.absolute(reverse(name, args=[token]))


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
    letters = "".join(ch for ch in unicodedata.normalize("NFKC", text).upper() if ch.isalnum())
    if len(letters) != 8 or any(ch not in CODE_ALPHABET for ch in letters):
        return None
    return f"{letters[:4]}-{letters[4:]}"


@transaction.atomic
def answer_link_code(municipality: Municipality, line_user_id: str, text: str) -> str | None:
    """A LINE chat text that is a link code binds the account (subscribers.line_chat)."""
    if not normalise_code(text):
        return None
    try:
        return bind_line_account(municipality, line_user_id, text)
    except MoveRefused as refused:
        return str(refused)


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
    outbox.move_to_channel(reader.pk, "line", keep=[announcement_key(link.move)])
    link.used_at = clock.now()
    link.save(update_fields=["used_at"])
    logger.info("reader %s moved to LINE (move %s)", reader.pk, link.move_id)
    return (
        f"連携しました。{municipality.service_name}のメッセージは、"
        "次からこのLINEでお届けします。お子さまの時期や登録内容はそのままです。"
    )


ADDRESS_TAKEN = (
    "このメールアドレスは、すでに別の登録で使われています。ほかのメールアドレスを入力してください。"
)


def _address_taken(reader: Subscriber, address: str) -> bool:
    return (
        Subscriber.objects.filter(municipality_id=reader.municipality_id, erased_at__isnull=True)
        .at_address(address)
        .exclude(pk=reader.pk)
        .exists()
    )


def check_email_move(move: ChannelMove, reader: Subscriber) -> None:
    """Raise MoveRefused unless ``reader`` may use ``move`` to switch to email."""
    if (
        move.direction != ChannelMove.Direction.TO_EMAIL
        or move.municipality_id != reader.municipality_id
        or reader.erased_at is not None
    ):
        raise MoveRefused("このリンクは使えません。")
    if not reader.is_active:
        raise MoveRefused("この登録は配信を停止しています。もう一度ご登録ください。")


@transaction.atomic
def request_email(move: ChannelMove, reader: Subscriber, address: str) -> EmailMoveRequest:
    """The LINE reader gave an address: keep it and mail it a confirmation link.

    Nothing changes for the reader until that link is opened; a new address replaces the
    previous one, whose link stops working.
    """
    reader = Subscriber.objects.select_for_update().get(pk=reader.pk)
    check_email_move(move, reader)
    address = normalize_email(address)
    try:
        email_addresses.validate(address)
    except ValidationError as error:
        raise MoveRefused("メールアドレスの形式が正しくありません。") from error
    if not email_addresses.can_send_to(address):
        raise MoveRefused(
            "このメールアドレスは「.」が続く、または「@」の直前が「.」の形のため、"
            "いまの配信システムからはお送りできません。LINEでの受け取りをそのまま続けられます。"
        )
    if reader.channel == "email" and (reader.email or "").lower() == address:
        raise MoveRefused("このメールアドレスで、すでにメールでお届けしています。")
    if _address_taken(reader, address):
        raise MoveRefused(ADDRESS_TAKEN)
    request, _ = EmailMoveRequest.objects.update_or_create(
        move=move,
        subscriber=reader,
        defaults={
            "email": address,
            "nonce": secrets.token_hex(16),
            "requested_at": clock.now(),
            "confirmed_at": None,
        },
    )
    url = links.absolute(
        reverse(
            "moves:confirm_email",
            args=[make_token(Purpose.EMAIL_MOVE, r=request.pk, n=request.nonce)],
        )
    )
    transaction.on_commit(lambda: emails.send_address_confirmation(reader, address, url))
    logger.info("reader %s asked to move to email (move %s)", reader.pk, move.pk)
    return request


def email_request_from_token(token: str) -> EmailMoveRequest:
    """The request a confirmation link stands for; TokenError if the link is bad or replaced."""
    payload = read_token(Purpose.EMAIL_MOVE, token)
    request = (
        EmailMoveRequest.objects.select_related("move", "subscriber__municipality")
        .filter(pk=payload.get("r"))
        .first()
    )
    if request is None or not secrets.compare_digest(request.nonce, str(payload.get("n", ""))):
        raise TokenError(expired=False)
    return request


@transaction.atomic
def confirm_email(request_id: int) -> Subscriber:
    """The reader opened the link mailed to the address: from now on they receive by email.

    The same reader keeps their family, stage, history and consent record; messages already
    queued on LINE go out by email instead, none twice. Safe to repeat.
    """
    request = EmailMoveRequest.objects.select_for_update().select_related("move").get(pk=request_id)
    reader = Subscriber.objects.select_for_update().get(pk=request.subscriber_id)
    check_email_move(request.move, reader)
    if request.confirmed_at is not None and reader.channel == "email":
        return reader
    if _address_taken(reader, request.email):
        raise MoveRefused(ADDRESS_TAKEN)
    reader.email = request.email
    reader.channel = "email"
    reader.channel_stopped_at = None
    reader.channel_stop_reason = ""
    try:
        with transaction.atomic():
            reader.save(
                update_fields=[
                    "email",
                    "channel",
                    "channel_stopped_at",
                    "channel_stop_reason",
                    "updated_at",
                ]
            )
    except IntegrityError as error:  # another registration took the address just now
        raise MoveRefused(ADDRESS_TAKEN) from error
    outbox.move_to_channel(reader.pk, "email", keep=[announcement_key(request.move)])
    request.confirmed_at = clock.now()
    request.save(update_fields=["confirmed_at"])
    logger.info("reader %s moved to email (move %s)", reader.pk, request.move_id)
    return reader


def dashboard(municipality: Municipality) -> dict:
    """How many readers are on each channel, and how many each announcement moved, both ways."""
    readers = Subscriber.objects.reachable().for_municipality(municipality)
    channels = dict(readers.values_list("channel").annotate(count=Count("id")))
    moves = list(
        ChannelMove.objects.filter(municipality=municipality)
        .select_related("created_by")
        .annotate(
            codes_made=Count("codes", distinct=True),
            codes_used=Count("codes", filter=Q(codes__used_at__isnull=False), distinct=True),
            addresses_given=Count("email_requests", distinct=True),
            addresses_confirmed=Count(
                "email_requests",
                filter=Q(email_requests__confirmed_at__isnull=False),
                distinct=True,
            ),
        )
    )
    for move in moves:
        to_email = move.direction == ChannelMove.Direction.TO_EMAIL
        move.opened = move.addresses_given if to_email else move.codes_made
        move.moved = move.addresses_confirmed if to_email else move.codes_used
    moved_to_line = sum(m.moved for m in moves if m.direction == ChannelMove.Direction.TO_LINE)
    moved_to_email = sum(m.moved for m in moves if m.direction == ChannelMove.Direction.TO_EMAIL)
    return {
        "email": channels.get("email", 0),
        "line": channels.get("line", 0),
        "moves": moves,
        "moved_to_line": moved_to_line,
        "moved_to_email": moved_to_email,
        "moved": moved_to_line + moved_to_email,
    }
