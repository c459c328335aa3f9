"""From claimed delivery rows to messages ready for a channel: pick the text, render, address.

Also the last line of defence: a delivery whose reader left, whose child was lost, or whose day
is too far past is skipped here, whatever was planned before.
"""

from __future__ import annotations

import datetime
import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol

from django.conf import settings
from django.utils.crypto import salted_hmac

from content import honorifics, selectors
from content.models import LocalNotice, SpecialMessage
from content.rendering import RenderedMessage, placeholder_values, render_message
from content.stages import Stage, Track
from kizuna import clock
from kizuna.choices import Channel
from subscribers import links
from subscribers.models import Child, Subscriber, Subscription
from surveys.links import survey_url
from surveys.messages import render_invitation
from surveys.models import Survey

from .models import Delivery
from .senders.base import OutgoingMessage


@dataclass(frozen=True)
class Skip:
    delivery_id: int
    reason: str


@dataclass(frozen=True)
class Composed:
    message: OutgoingMessage
    text_versions: dict
    stage_message_id: int | None = None
    special_message_id: int | None = None
    birthday_message_id: int | None = None


@dataclass(frozen=True)
class MessageKey:
    """``c42:stage:pregnancy:week:20``, ``c42:birthday:1``, ``c42:special:loss``, ``special:welcome``,
    ``survey:7``."""

    child_id: int | None
    kind: str  # stage, birthday, special, survey
    stage: Stage | None = None
    age: int = 0
    special: str = ""
    survey_id: int | None = None

    @classmethod
    def parse(cls, key: str) -> MessageKey:
        parts = key.split(":")
        child_id = None
        if parts[0].startswith("c"):
            child_id = int(parts.pop(0)[1:])
        kind = parts[0]
        if kind == "stage":
            return cls(child_id, kind, stage=Stage.from_key(":".join(parts[1:])))
        if kind == "birthday":
            return cls(child_id, kind, age=int(parts[1]))
        if kind == "survey":
            return cls(child_id, kind, survey_id=int(parts[1]))
        return cls(child_id, kind, special=parts[1])


@dataclass(frozen=True)
class ExtraText:
    """A text for a message kind owned by another app, and what to record as its version."""

    text: Any  # subject, body, language (and kind) as render_message reads them
    text_versions: dict = field(default_factory=dict)


class KindHandler(Protocol):
    """Finds the text of one message kind (``urgent:…``, ``import:…``) for a batch's deliveries."""

    def prepare(self, deliveries: Sequence[Delivery]) -> None:
        """Look up, in a few queries, what :meth:`text` needs for these deliveries."""

    def text(self, delivery: Delivery, key: MessageKey) -> ExtraText | str:
        """The text to send, or the reason to skip the delivery."""


# Message kinds owned by other apps, registered from their AppConfig.ready(): the key's first
# part (``urgent`` in ``urgent:12``) -> a factory of handlers, one per Composer (per batch run).
EXTRA_KINDS: dict[str, Callable[[], KindHandler]] = {}


def register_kind(kind: str, handler_factory: Callable[[], KindHandler]) -> None:
    # A leading "c<digits>" part means a child in MessageKey.parse: kinds must not look like one.
    if kind[:1] == "c" and kind[1:2].isdigit():
        raise ValueError(f"message kind {kind!r} would be read as a child id")
    EXTRA_KINDS[kind] = handler_factory


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


def _ids(objects: Sequence) -> tuple:
    return tuple(o.pk for o in objects)


def message_id(delivery: Delivery) -> str:
    """The delivery's Message-ID: the same on every attempt (a resend shows as one message),
    and unguessable (a keyed hash of the id, not the id: an ESP's tracking events may name it,
    and nobody should be able to forge a complaint about a message they cannot see)."""
    domain = delivery.municipality.sender_email.rpartition("@")[2] or "kizuna.invalid"
    tag = salted_hmac(_MESSAGE_ID_SALT, str(delivery.pk), algorithm="sha256").hexdigest()[:32]
    return f"<kizuna-{tag}@{domain}>"


def _outgoing(
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
        message_id=message_id(delivery),
        retry_key=str(delivery.retry_key or ""),
    )


class Composer:
    """Composes a batch. Texts, notices, contacts and text versions are looked up once per batch,
    not once per delivery: a day's deliveries share a few hundred texts."""

    def __init__(self, today: datetime.date | None = None) -> None:
        self.today = today or clock.today()
        self._contacts: dict[int, list] = {}
        self._notices: dict[int, list[LocalNotice]] = {}
        self._memo: dict[tuple, object] = {}
        self._frames: dict[tuple, RenderedMessage] = {}
        self._handlers: dict[str, KindHandler] = {}

    def _handler(self, kind: str) -> KindHandler:
        if kind not in self._handlers:
            self._handlers[kind] = EXTRA_KINDS[kind]()
        return self._handlers[kind]

    def prepare(self, deliveries: Sequence[Delivery]) -> None:
        """Batch lookups for message kinds of other apps, before composing each delivery."""
        by_kind: dict[str, list[Delivery]] = {}
        for delivery in deliveries:
            kind = delivery.message_key.split(":", 1)[0]
            if kind in EXTRA_KINDS:
                by_kind.setdefault(kind, []).append(delivery)
        for kind, batch in by_kind.items():
            self._handler(kind).prepare(batch)

    def _once(self, key: tuple, load):
        if key not in self._memo:
            self._memo[key] = load()
        return self._memo[key]

    @cached_property
    def oldest_day_to_send(self) -> datetime.date:
        return self.today - datetime.timedelta(days=settings.KIZUNA_CATCH_UP_DAYS)

    def compose(self, delivery: Delivery) -> Composed | Skip:
        subscriber: Subscriber = delivery.subscriber
        key = MessageKey.parse(delivery.message_key)
        child: Child | None = delivery.child
        reason = self._reason_to_skip(delivery, subscriber, child, key)
        if reason:
            return Skip(delivery.pk, reason)
        if key.kind == "survey":
            return self._compose_survey(delivery, subscriber, key)

        municipality = delivery.municipality
        audience, language = subscriber.audience, subscriber.language
        track, anchor = None, None
        if child is not None:
            track = (key.stage.track if key.stage else child.track).value
            anchor = (
                child.birth_date if track == Track.CHILD and child.birth_date else child.due_date
            )
        text = notices = None
        ids: dict[str, int | None] = {}
        versions = None
        if key.kind in EXTRA_KINDS:
            found = self._handler(key.kind).text(delivery, key)
            if isinstance(found, str):
                return Skip(delivery.pk, found)
            text, versions = found.text, found.text_versions
        elif key.kind == "stage":
            text = self._once(
                ("stage", key.stage, audience, language),
                lambda: selectors.stage_message_for(
                    key.stage, audience=audience, language=language
                ),
            )
            ids["stage_message_id"] = text.pk if text else None
            if text is not None:
                notices = selectors.select_notices(
                    self._notices_of(municipality), track=track, anchor=anchor, on=delivery.due_on
                )
        elif key.kind == "birthday":
            text = self._once(
                ("birthday", municipality.pk, key.age, language),
                lambda: selectors.birthday_message_for(municipality, key.age, language=language),
            )
            ids["birthday_message_id"] = text.pk if text else None
        elif key.special == SpecialMessage.Kind.LOSS and child is not None:
            text = self._once(
                ("loss", child.loss, audience, language),
                lambda: selectors.loss_message_for(
                    child.loss, audience=audience, language=language
                ),
            )
            ids["special_message_id"] = text.pk if text else None
        else:
            text = self._once(
                ("special", key.special, audience, language),
                lambda: selectors.special_message_for(
                    key.special, audience=audience, language=language
                ),
            )
            ids["special_message_id"] = text.pk if text else None
        if text is None:
            return Skip(delivery.pk, "送る文面がありません（未公開または削除）")

        placeholders = placeholder_values(
            municipality=municipality,
            nickname=subscriber.nickname,
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
            key.kind,
            municipality,
            placeholders,
            notices or (),
            manage_url,
            unsubscribe_url,
        )
        versions = (
            versions
            if versions is not None
            else self._once(
                ("versions", key.kind, text.pk, tuple(n.pk for n in notices or ())),
                lambda: selectors.current_versions(
                    stage_message=text if key.kind == "stage" else None,
                    special_message=text if key.kind == "special" else None,
                    birthday_message=text if key.kind == "birthday" else None,
                    notices=notices or (),
                ),
            )
        )
        return Composed(_outgoing(delivery, subscriber, rendered, unsubscribe_url), versions, **ids)

    def _render_for_reader(
        self,
        text,
        kind: str,
        municipality,
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
        contacts = self._contacts_of(municipality)
        if kind in EXTRA_KINDS or nickname != " ".join(nickname.splitlines()).strip():
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
            kind,
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
        plain = ((_MANAGE_MARK, manage_url), (_UNSUBSCRIBE_MARK, unsubscribe_url))
        plain += ((stand_in, nickname),)  # last: a nickname is never searched for marks
        escaped = tuple((mark, html.escape(value)) for mark, value in plain)
        return RenderedMessage(
            subject=_fill_marks(frame.subject, plain),
            html=_fill_marks(frame.html, escaped),
            text=_fill_marks(frame.text, plain),
            line_text=_fill_marks(frame.line_text, plain),
        )

    def _reason_to_skip(self, delivery, subscriber, child, key: MessageKey) -> str:
        if subscriber.unsubscribed_at is not None or subscriber.erased_at is not None:
            return "配信停止済み"
        if subscriber.channel_stopped_at is not None:
            return f"配信方法が停止中: {subscriber.channel_stop_reason}"
        if not (subscriber.email if delivery.channel == "email" else subscriber.line_user_id):
            return "宛先がありません"
        if child is not None and child.status == Child.Status.LOST and key.special != "loss":
            return "お別れの報告があったため送りません"
        pregnancy_message = key.kind == "stage" and key.stage.track == Track.PREGNANCY
        if child is not None and pregnancy_message and child.status != Child.Status.EXPECTING:
            return "出生の報告後のため妊娠中のメッセージは送りません"
        if key.kind == "survey":
            # An invitation is not tied to a stage: late is fine while the survey is open.
            return self._reason_not_to_survey(subscriber, key.survey_id)
        if delivery.due_on < self.oldest_day_to_send:
            return "配信日から日がたちすぎたため送りません"
        return ""

    def _survey(self, survey_id: int) -> Survey | None:
        return self._once(
            ("survey", survey_id), lambda: Survey.objects.filter(pk=survey_id).first()
        )

    def _reason_not_to_survey(self, subscriber: Subscriber, survey_id: int) -> str:
        survey = self._survey(survey_id)
        if survey is None:
            return "アンケートが削除されたため送りません"
        if survey.state_on(self.today) != "open":
            return "アンケートの受付期間外のため送りません"
        if Subscription.objects.filter(
            subscriber=subscriber, child__status=Child.Status.LOST
        ).exists():
            return "お別れの報告があったためアンケートは送りません"
        return ""

    def _compose_survey(self, delivery: Delivery, subscriber: Subscriber, key: MessageKey):
        survey = self._survey(key.survey_id)
        municipality = delivery.municipality
        rendered = render_invitation(
            survey,
            municipality=municipality,
            nickname=subscriber.nickname,
            survey_url=survey_url(subscriber, survey),
            contacts=self._contacts_of(municipality),
            manage_url=links.manage_url(subscriber),
            unsubscribe_url=links.unsubscribe_url(subscriber),
        )
        return Composed(_outgoing(delivery, subscriber, rendered), {"survey": survey.pk})

    def _notices_of(self, municipality) -> list[LocalNotice]:
        if municipality.pk not in self._notices:
            self._notices[municipality.pk] = list(
                LocalNotice.objects.published().filter(municipality=municipality)
            )
        return self._notices[municipality.pk]

    def _contacts_of(self, municipality) -> list:
        if municipality.pk not in self._contacts:
            self._contacts[municipality.pk] = list(municipality.contacts.all())
        return self._contacts[municipality.pk]
