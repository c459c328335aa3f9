"""From claimed delivery rows to messages ready for a channel: pick the text, render, address.

Also the last line of defence: a delivery whose reader left, whose child was lost, or whose day
is too far past is skipped here, whatever was planned before.
"""

from __future__ import annotations

import datetime
import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeVar, cast

from django.conf import settings

from content import honorifics, language_policy
from content.models import LocalNotice
from content.programme import stage_order
from content.rendering import RenderedMessage, placeholder_values, render_message
from content.stages import Track
from kizuna import clock, i18n
from kizuna.choices import Channel
from municipalities.models import Municipality
from subscribers import links, tokens
from subscribers.models import Child, Subscriber

from . import line_flex, line_insight
from .kinds import KINDS, PART_KINDS, MessageKind
from .models import Delivery
from .outbox import BIRTHDAY, SPECIAL, STAGE, MessageKey
from .senders.base import OutgoingMessage

T = TypeVar("T")


@dataclass(frozen=True)
class Skip:
    delivery_id: int
    reason: str


@dataclass(frozen=True)
class Folded:
    """A delivery that goes out as a part of another one of the same day (its lead)."""

    delivery_id: int
    lead_id: int


FOLDED_PREFIX = "folded-into:"  # a folded row's provider_message_id: the lead that carried it

# One message a day: what falls due for one reader and one child on one day goes out as one
# message, its parts in this order (the first part's subject is the message's). The welcome
# (the reader's, not the child's), the loss messages and other apps' kinds (urgent notices,
# surveys) stay messages of their own, unless registered as a part of the day
# (delivery.kinds.register_kind's ``part_of_day``, ranked after these).
PART_ORDER = {"birth": 0, "birth-check": 1, "birthday": 2, STAGE: 3, "graduation": 4}


# What a kind adds to the day's one message when its part is in it (the stage message's
# 「役に立った」 buttons, delivery.messages): (the day's message, its lead) -> the message.
DAY_FINISHERS: list[Callable[[Composed, Delivery], Composed]] = []


def part_rank(key: MessageKey) -> tuple[int, tuple[int, int]] | None:
    """Where a message goes in the day's one message, or None if it is sent on its own."""
    if key.kind == STAGE and key.stage is not None:
        return PART_ORDER[STAGE], stage_order(key.stage)
    if key.kind == BIRTHDAY:
        return PART_ORDER[BIRTHDAY], (0, key.age)
    if key.kind == SPECIAL and key.child_id is not None and key.name in PART_ORDER:
        return PART_ORDER[key.name], (0, 0)
    if key.kind in PART_KINDS and key.child_id is not None:
        return PART_KINDS[key.kind], (0, key.record_id or 0)
    return None


@dataclass(frozen=True)
class _Part:
    text: Any
    versions: dict[str, Any]
    notices: tuple[LocalNotice, ...]
    ids: dict[str, int | None]


class _Collected:
    """What compose_text returns while the parts of a day's message are being collected."""


@dataclass(frozen=True)
class Composed:
    message: OutgoingMessage
    text_versions: dict[str, Any]
    stage_message_id: int | None = None
    special_message_id: int | None = None
    birthday_message_id: int | None = None
    language: str = ""  # the one language of the message: its text's, greeting's and footer's


# Marks standing for one reader's values in a rendering shared by many readers: letters only,
# so that neither HTML escaping nor the text conversion can change them.
_NICKNAME_MARK = "KZNREADERNICKNAMEMARK"
_MANAGE_MARK = "KZNREADERMANAGEURLMARK"
_UNSUBSCRIBE_MARK = "KZNREADERUNSUBSCRIBEURLMARK"


FRAMES_KEPT = 2000  # renderings a Composer keeps: a national day has far more, a batch far fewer

_MESSAGE_ID_SALT = "kizuna.delivery.message-id"


def _fill_marks(rendered: str, values: tuple[tuple[str, str], ...]) -> str:
    for mark, value in values:
        rendered = rendered.replace(mark, value)
    return rendered


@dataclass(frozen=True)
class _DayText:
    """The day's parts as one text for the renderer (never cached: each reader's day differs)."""

    subject: str
    body: str
    language: str
    pk: None = None
    kind: str = ""


def _language_of(text: Any) -> str:
    return getattr(text, "language", "") or language_policy.JAPANESE


def _day_of(delivery: Delivery) -> tuple[int, str, datetime.date, int]:
    return (delivery.subscriber_id, delivery.channel, delivery.due_on, delivery.child_id or 0)


def _ids(objects: Sequence[Any]) -> tuple[int, ...]:
    return tuple(o.pk for o in objects)


def message_id(delivery: Delivery) -> str:
    """The delivery's Message-ID: the same on every attempt (a resend shows as one message),
    and unguessable (a keyed hash of the id, not the id: an ESP's tracking events may name it,
    and nobody should be able to forge a complaint about a message they cannot see)."""
    domain = delivery.municipality.sender_email.rpartition("@")[2] or "kizuna.invalid"
    tag = tokens.salted_hmac_sha256(_MESSAGE_ID_SALT, str(delivery.pk)).hex()[:32]
    return f"<kizuna-{tag}@{domain}>"


def outgoing(
    delivery: Delivery,
    subscriber: Subscriber,
    rendered: RenderedMessage,
    unsubscribe_url: str | None = None,
) -> OutgoingMessage:
    """A rendered message addressed to the reader on the delivery's channel."""
    municipality = delivery.municipality
    to = subscriber.email if delivery.channel == "email" else subscriber.line_user_id
    return OutgoingMessage(
        delivery_id=delivery.pk,
        municipality_id=municipality.pk,
        to=to or "",
        subject=rendered.subject,
        html=rendered.html,
        text=rendered.text,
        line_text=rendered.line_text,
        sender_name=municipality.sender_name,
        sender_email=municipality.sender_email,
        headers=(
            links.list_unsubscribe_headers(subscriber, unsubscribe_url)
            if delivery.channel == Channel.EMAIL
            else {}
        ),
        # A Message-ID is a mail header: a LINE message has none to sign.
        message_id=message_id(delivery) if delivery.channel == Channel.EMAIL else "",
        retry_key=str(delivery.retry_key or ""),
        line_header=(
            line_flex.stage_header(delivery.message_key) if delivery.channel == Channel.LINE else ""
        ),
        line_unit=(
            line_insight.stage_unit(delivery.message_key)
            if delivery.channel == Channel.LINE
            else ""
        ),
    )


class Composer:
    """Composes a batch. Texts, notices, contacts and text versions are looked up once per batch,
    not once per delivery: a day's deliveries share a few hundred texts."""

    def __init__(self, today: datetime.date | None = None) -> None:
        self.today = today or clock.today()
        self._contacts: dict[int, list[Any]] = {}
        self._notices: dict[int, list[LocalNotice]] = {}
        self._memo: dict[tuple[Any, ...], Any] = {}
        self._frames: dict[tuple[Any, ...], RenderedMessage] = {}
        self._kinds: dict[str, MessageKind] = {}
        self._keys: dict[int, MessageKey] = {}
        self._days: dict[tuple[int, str, datetime.date, int], list[Delivery]] = {}
        self._collecting: list[_Part] | None = None
        # While a day's parts are collected: the language of its first text, which every later
        # part built by code (a reminder) speaks too.
        self._day_language: str | None = None

    def _kind(self, kind: str) -> MessageKind | None:
        if kind not in self._kinds:
            if kind not in KINDS:
                return None
            self._kinds[kind] = KINDS[kind]()
        return self._kinds[kind]

    def prepare(self, deliveries: Sequence[Delivery]) -> None:
        """Let each kind look up what its deliveries of this batch need, in a few queries."""
        by_kind: dict[str, list[Delivery]] = {}
        for delivery in deliveries:
            key = self._keys[delivery.pk] = MessageKey.parse(delivery.message_key)
            by_kind.setdefault(key.kind, []).append(delivery)
        for name, batch in by_kind.items():
            kind = self._kind(name)
            if kind is not None:
                kind.prepare(batch)
        # Each batch looks up its own readers' days: a run's dispatcher keeps no more than that.
        self._days = {}
        self._load_days([d for d in deliveries if part_rank(self._keys[d.pk]) is not None])

    def _load_days(self, deliveries: Sequence[Delivery]) -> None:
        """The other parts of each reader's day, for the deliveries of this batch.

        The day's rows come as tuples (most readers have one row a day: the batch's own); only
        parts not in the batch are loaded as instances, in one more query when there are any.
        """
        municipality_of: dict[tuple[int, str, datetime.date, int], Municipality] = {}
        for delivery in deliveries:
            municipality_of.setdefault(_day_of(delivery), delivery.municipality)
        wanted = set(municipality_of) - set(self._days)
        if not wanted:
            return
        found: dict[tuple[int, str, datetime.date, int], list[Delivery | int]] = {
            d: [] for d in wanted
        }
        rows = (
            Delivery.objects.filter(
                subscriber_id__in={d[0] for d in wanted},
                due_on__in={d[2] for d in wanted},
                child_id__in={d[3] for d in wanted},
            )
            .filter(
                status__in=[Delivery.Status.PLANNED, Delivery.Status.SENDING, Delivery.Status.SENT]
            )
            .values_list(
                "pk",
                "subscriber_id",
                "channel",
                "due_on",
                "child_id",
                "message_key",
                "status",
                "provider_message_id",
            )
        )
        by_pk = {d.pk: d for d in deliveries}
        others: list[int] = []
        for pk, subscriber_id, channel, due_on, child_id, key, status, provider_id in rows:
            day = (subscriber_id, channel, due_on, child_id or 0)
            if day not in found or part_rank(MessageKey.parse(key)) is None:
                continue
            if status == Delivery.Status.SENT and not provider_id.startswith(FOLDED_PREFIX):
                continue  # already went out as a message of its own
            if pk not in by_pk:
                others.append(pk)
            found[day].append(by_pk.get(pk, pk))
        loaded = (
            Delivery.objects.select_related("subscriber", "child").in_bulk(others) if others else {}
        )
        for day, members in found.items():
            self._days[day] = []
            for member in members:
                if isinstance(member, int):
                    if member not in loaded:
                        continue  # gone since the first query
                    other = loaded[member]
                    other.municipality = municipality_of[day]
                    self._days[day].append(other)
                else:
                    self._days[day].append(member)

    def chain_for(self, delivery: Delivery) -> tuple[str, ...]:
        """The languages to look for this reader's texts in, best first (their municipality's
        fallback chain); inside a day's message, from the language its first part is in."""
        language = delivery.subscriber.language or language_policy.JAPANESE
        chain = self.once(
            ("chain", delivery.municipality_id, language),
            lambda: language_policy.language_chain(delivery.municipality_id, language),
        )
        if self._day_language and self._day_language in chain:
            return chain[chain.index(self._day_language) :]
        return chain

    def message_language(self, delivery: Delivery) -> str:
        """The language a text built by code (a reminder, an invitation) is written in for this
        reader: the day's message's language, else the first of the reader's chain whose words
        Kizuna has (a catalog in locale/), else Japanese."""
        if self._day_language:
            return self._day_language
        for language in self.chain_for(delivery):
            if language == language_policy.JAPANESE or i18n.has_catalog(language):
                return language
        return language_policy.JAPANESE

    def once(self, key: tuple[Any, ...], load: Callable[[], T]) -> T:
        """``load()``, called once per ``key`` for this Composer's whole run."""
        if key not in self._memo:
            self._memo[key] = load()
        return cast(T, self._memo[key])

    @cached_property
    def oldest_day_to_send(self) -> datetime.date:
        return self.today - datetime.timedelta(days=settings.KIZUNA_CATCH_UP_DAYS)

    def compose(self, delivery: Delivery) -> Composed | Skip | Folded:
        key = self._keys.pop(delivery.pk, None) or MessageKey.parse(delivery.message_key)
        kind = self._kind(key.kind)
        if kind is None:
            return Skip(delivery.pk, f"メッセージの種類「{key.kind}」を送る仕組みがありません")
        reason = self._reason_to_skip(delivery, delivery.subscriber, delivery.child, key, kind)
        if reason:
            return Skip(delivery.pk, reason)
        parts = self._parts_of_day(delivery, key)
        if len(parts) > 1:
            if parts[0].pk != delivery.pk:
                return Folded(delivery.pk, parts[0].pk)
            return self._compose_day(delivery, key, parts)
        composed = kind.compose(delivery, key, self)
        if isinstance(composed, str):
            return Skip(delivery.pk, composed)
        return composed

    def _parts_of_day(self, delivery: Delivery, key: MessageKey) -> list[Delivery]:
        """The deliveries that make up this reader's one message of the day, lead first."""
        if part_rank(key) is None or delivery.child_id is None:
            return [delivery]
        day = _day_of(delivery)
        if day not in self._days:
            self._load_days([delivery])
        members = []
        for member in self._days[day]:
            member_key = MessageKey.parse(member.message_key)
            kind = self._kind(member_key.kind)
            if kind is None:
                continue
            if member.pk == delivery.pk or not self._reason_to_skip(
                member, member.subscriber, member.child, member_key, kind
            ):
                members.append(member)
        if not any(m.pk == delivery.pk for m in members):
            members.append(delivery)
        return sorted(
            members, key=lambda m: (part_rank(MessageKey.parse(m.message_key)), m.message_key)
        )

    def _compose_day(
        self, lead: Delivery, lead_key: MessageKey, parts: Sequence[Delivery]
    ) -> Composed | Skip:
        """One message of the parts' texts, in :data:`PART_ORDER`, under the first one's subject."""
        # One language per message: when a part is found only further down the reader's chain
        # (the stage text is Nepali, the birthday text only やさしい日本語), the day is collected
        # again from that language on, until every part speaks the same one.
        chain = self.chain_for(lead)
        collected = self._collect_day(parts, None)
        for _ in chain:
            languages = {_language_of(c.text) for c in collected}
            if len(languages) <= 1:
                break
            latest = max(languages, key=lambda x: chain.index(x) if x in chain else len(chain))
            collected = self._collect_day(parts, latest)
        if not collected:
            return Skip(lead.pk, "送る文面がありません（未公開または削除）")
        first = collected[0].text
        text = _DayText(
            subject=first.subject,
            body="\n\n".join(
                [first.body] + [f"**{c.text.subject}**\n\n{c.text.body}" for c in collected[1:]]
            ),
            language=_language_of(first),
        )
        versions = {f"part{index}": c.versions for index, c in enumerate(collected)}
        ids: dict[str, int | None] = {}
        for collected_part in collected:
            for name, value in collected_part.ids.items():
                ids.setdefault(name, value)
        notices = tuple(dict.fromkeys(n for c in collected for n in c.notices))
        composed = self.compose_text(lead, lead_key, text, versions, notices=notices, ids=ids)
        for finish in DAY_FINISHERS:
            composed = finish(composed, lead)
        return composed

    def _collect_day(self, parts: Sequence[Delivery], language: str | None) -> list[_Part]:
        """The texts of the day's parts; from ``language`` on in the chain where given, else
        from the language the first part is found in."""
        collected: list[_Part] = []
        self._day_language = language
        try:
            for part in parts:
                part_key = MessageKey.parse(part.message_key)
                kind = self._kind(part_key.kind)
                assert kind is not None  # noqa: S101 (_parts_of_day keeps known kinds only)
                self._collecting = []
                try:
                    kind.compose(part, part_key, self)
                    collected += self._collecting
                finally:
                    self._collecting = None
                if collected and self._day_language is None:
                    self._day_language = _language_of(collected[0].text)
        finally:
            self._day_language = None
        return collected

    @staticmethod
    def track_and_anchor(delivery: Delivery, key: MessageKey) -> tuple[str | None, Any]:
        """The track (pregnancy or child) the message speaks of, and the date it counts from."""
        child: Child | None = delivery.child
        if child is None:
            return None, None
        track = (key.stage.track if key.stage else child.track).value
        anchor = child.birth_date if track == Track.CHILD and child.birth_date else child.due_date
        return track, anchor

    def compose_text(
        self,
        delivery: Delivery,
        key: MessageKey,
        text: Any,
        versions: dict[str, Any],
        *,
        notices: Sequence[LocalNotice] = (),
        shared: bool = False,
        ids: dict[str, int | None] | None = None,
    ) -> Composed:
        """Render ``text`` for the delivery's reader and address it to their channel.

        ``shared``: the text is one of Kizuna's own (with a ``pk``), rendered once for every
        reader who gets it and filled in per reader.
        """
        if self._collecting is not None:
            self._collecting.append(_Part(text, versions, tuple(notices), dict(ids or {})))
            return cast(Composed, _Collected())
        subscriber: Subscriber = delivery.subscriber
        municipality = delivery.municipality
        track, anchor = self.track_and_anchor(delivery, key)
        nickname = subscriber.nickname
        if delivery.channel == Channel.LINE and not municipality.line_nicknames:
            # The municipality chose one multicast per stage on LINE: a nickname would make each
            # named reader's text their own, a push each (requests and time, not LINE's count).
            nickname = ""
        placeholders = placeholder_values(
            municipality=municipality,
            nickname=nickname,
            track=track,
            anchor=anchor,
            on=delivery.due_on,
        )
        if delivery.channel == Channel.LINE:
            # A LINE text carries no personal link (readers manage by chat commands), so none is
            # signed: a token that nobody is shown is one less to leak, and half the signing work.
            manage_url = unsubscribe_url = ""
        else:
            manage_url, unsubscribe_url = (
                links.manage_url(subscriber),
                links.unsubscribe_url(subscriber),
            )
        rendered = self._render_for_reader(
            text,
            key.kind if shared else None,
            municipality,
            placeholders,
            notices,
            manage_url,
            unsubscribe_url,
        )
        return Composed(
            outgoing(delivery, subscriber, rendered, unsubscribe_url),
            versions,
            language=_language_of(text),
            **(ids or {}),
        )

    def _render_for_reader(
        self,
        text: Any,
        shared_kind: str | None,
        municipality: Municipality,
        placeholders: dict[str, str],
        notices: Sequence[LocalNotice],
        manage_url: str,
        unsubscribe_url: str,
    ) -> RenderedMessage:
        """The message for one reader, rendered once per group of readers who share it.

        Readers at the same stage of the same municipality get the same message but for their
        nickname and their two signed links: those are marked in one rendering and filled in
        per reader, escaped where the HTML needs it, exactly as a full rendering would.
        """
        nickname = placeholders.get("nickname", "")
        contacts = self.contacts_of(municipality)
        if shared_kind is None or nickname != " ".join(nickname.splitlines()).strip():
            # Texts of other apps are not ours to cache; a nickname that the renderer would
            # tidy differently in the greeting and the body is rendered in full.
            return render_message(
                text,
                municipality=municipality,
                placeholders=placeholders,
                notices=notices,
                contacts=contacts,
                manage_url=manage_url,
                unsubscribe_url=unsubscribe_url,
            )
        shared = tuple(sorted((k, v) for k, v in placeholders.items() if k != "nickname"))
        # A nickname that carries its own honorific (はなちゃん) takes no さん after it: its frame
        # is rendered with a stand-in that carries one too, and the stand-in is swapped whole.
        honoured = honorifics.has_honorific(nickname)
        stand_in = _NICKNAME_MARK + (honorifics.HONORIFICS[0] if honoured else "")
        frame_key = (
            shared_kind,
            text.pk,
            municipality.pk,
            shared,
            bool(nickname),
            honoured,
            _ids(notices),
        )
        frame = self._frames.get(frame_key)
        if frame is None:
            frame = render_message(
                text,
                municipality=municipality,
                placeholders={**placeholders, "nickname": stand_in if nickname else ""},
                notices=notices,
                contacts=contacts,
                manage_url=_MANAGE_MARK,
                unsubscribe_url=_UNSUBSCRIBE_MARK,
            )
            if len(self._frames) >= FRAMES_KEPT:
                self._frames.pop(next(iter(self._frames)))  # the oldest: batches move on
            self._frames[frame_key] = frame
        plain: tuple[tuple[str, str], ...] = (
            (_MANAGE_MARK, manage_url),
            (_UNSUBSCRIBE_MARK, unsubscribe_url),
        )
        plain += ((stand_in, nickname),)  # last: a nickname is never searched for marks
        escaped = tuple((mark, html.escape(value)) for mark, value in plain)
        return RenderedMessage(
            subject=_fill_marks(frame.subject, plain),
            html=_fill_marks(frame.html, escaped),
            text=_fill_marks(frame.text, plain),
            line_text=_fill_marks(frame.line_text, plain),
        )

    def _reason_to_skip(
        self,
        delivery: Delivery,
        subscriber: Subscriber,
        child: Child | None,
        key: MessageKey,
        kind: MessageKind,
    ) -> str:
        if subscriber.unsubscribed_at is not None or subscriber.erased_at is not None:
            return "配信停止済み"
        if subscriber.channel_stopped_at is not None:
            return f"配信方法が停止中: {subscriber.channel_stop_reason}"
        if not (subscriber.email if delivery.channel == "email" else subscriber.line_user_id):
            return "宛先がありません"
        loss_message = key.kind == SPECIAL and key.name == "loss"
        if child is not None and child.status == Child.Status.LOST and not loss_message:
            return "お別れの報告があったため送りません"
        pregnancy_message = (
            key.kind == STAGE and key.stage is not None and key.stage.track == Track.PREGNANCY
        )
        if child is not None and pregnancy_message and child.status != Child.Status.EXPECTING:
            return "出生の報告後のため妊娠中のメッセージは送りません"
        if not kind.late_is_fine and delivery.due_on < self.oldest_day_to_send:
            return "配信日から日がたちすぎたため送りません"
        return ""

    def notices_of(self, municipality: Municipality) -> list[LocalNotice]:
        if municipality.pk not in self._notices:
            self._notices[municipality.pk] = list(
                LocalNotice.objects.published().filter(municipality=municipality)
            )
        return self._notices[municipality.pk]

    def contacts_of(self, municipality: Municipality) -> list[Any]:
        if municipality.pk not in self._contacts:
            self._contacts[municipality.pk] = list(municipality.contacts.all())
        return self._contacts[municipality.pk]
