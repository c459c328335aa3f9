"""The delivery engine's own message kinds: stage messages, birthdays and special messages.

Their texts are the content app's (national, or the municipality's for birthdays); stage
messages also carry the municipality's local notices for that stage. Registered from
``DeliveryConfig.ready()`` like every other kind (:mod:`delivery.kinds`).
"""

from __future__ import annotations

import functools
import html
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from content import selectors
from content.programme import is_anchor
from kizuna.choices import Channel
from subscribers import links

from .compose import DAY_FINISHERS, Composed, Composer
from .kinds import register_kind
from .models import Delivery
from .outbox import BIRTHDAY, SPECIAL, STAGE, MessageKey

NO_TEXT = "送る文面がありません（未公開または削除）"
NOT_IN_LANGUAGE = "読者の言語の毎日の文面がないため送りません（週・月の文面だけ届きます）"
# The municipality sends only reviewed texts and this one (every variant of it) has no approval
# of its current version: nothing is sent rather than an unreviewed text. The operations
# dashboard counts today's deliveries skipped for this reason.
NOT_REVIEWED = "監修済みの本文がありません（未監修の本文は送りません）"
LOSS = "loss"


class StageMessages:
    late_is_fine = False

    def prepare(self, deliveries: Sequence[Delivery]) -> None:
        return None

    def compose(self, delivery: Delivery, key: MessageKey, composer: Composer) -> Composed | str:
        stage = key.stage
        if stage is None or delivery.child is None:
            return "ステージのわからないメッセージです"
        audience, language = delivery.subscriber.audience, delivery.subscriber.language
        chain = composer.chain_for(delivery)
        reviewed = delivery.municipality.send_only_reviewed
        text = composer.once(
            (STAGE, stage, audience, chain, reviewed),
            lambda: selectors.stage_message_for(
                stage, audience=audience, language=language, approved_only=reviewed, chain=chain
            ),
        )
        if text is None:
            return _missing(composer, (STAGE, stage, audience, chain), reviewed)
        if text.language != language and not is_anchor(stage):
            # A language without daily texts gets its weekly and monthly texts on their days and
            # nothing between them: never a Japanese text in between.
            return NOT_IN_LANGUAGE
        track, anchor = composer.track_and_anchor(delivery, key)
        assert track is not None  # noqa: S101 (a stage message always has a child)
        notices = selectors.select_notices(
            composer.notices_of(delivery.municipality),
            track=track,
            anchor=anchor,
            on=delivery.due_on,
        )
        versions = composer.once(
            ("versions", STAGE, text.pk, tuple(n.pk for n in notices)),
            lambda: selectors.current_versions(stage_message=text, notices=notices),
        )
        composed = composer.compose_text(
            delivery,
            key,
            text,
            versions,
            notices=notices,
            shared=True,
            ids={"stage_message_id": text.pk},
        )
        return with_feedback(composed, delivery, text.pk, text.language)


class BirthdayMessages:
    late_is_fine = False

    def prepare(self, deliveries: Sequence[Delivery]) -> None:
        return None

    def compose(self, delivery: Delivery, key: MessageKey, composer: Composer) -> Composed | str:
        municipality, language = delivery.municipality, delivery.subscriber.language
        chain = composer.chain_for(delivery)
        reviewed = municipality.send_only_reviewed
        text = composer.once(
            (BIRTHDAY, municipality.pk, key.age, chain, reviewed),
            lambda: selectors.birthday_message_for(
                municipality, key.age, language=language, approved_only=reviewed, chain=chain
            ),
        )
        if text is None:
            return _missing(composer, (BIRTHDAY, municipality.pk, key.age, chain), reviewed)
        versions = composer.once(
            ("versions", BIRTHDAY, text.pk, ()),
            lambda: selectors.current_versions(birthday_message=text),
        )
        return composer.compose_text(
            delivery, key, text, versions, shared=True, ids={"birthday_message_id": text.pk}
        )


class SpecialMessages:
    """Welcome, birth, loss, graduation, "has the baby arrived?": one text per name."""

    late_is_fine = False

    def prepare(self, deliveries: Sequence[Delivery]) -> None:
        return None

    def compose(self, delivery: Delivery, key: MessageKey, composer: Composer) -> Composed | str:
        audience, language = delivery.subscriber.audience, delivery.subscriber.language
        chain = composer.chain_for(delivery)
        reviewed = delivery.municipality.send_only_reviewed
        child = delivery.child
        if key.name == LOSS and child is not None:
            # One key for every loss (rows planned before the split still go out once); the text
            # is the one written for the situation the parent reported.
            loss = child.loss
            memo: tuple[object, ...] = (SPECIAL, key.name, loss, audience, chain)
            text = composer.once(
                (*memo, reviewed),
                lambda: selectors.loss_message_for(
                    loss, audience=audience, language=language, approved_only=reviewed, chain=chain
                ),
            )
        else:
            memo = (SPECIAL, key.name, audience, chain)
            text = composer.once(
                (*memo, reviewed),
                lambda: selectors.special_message_for(
                    key.name,
                    audience=audience,
                    language=language,
                    approved_only=reviewed,
                    chain=chain,
                ),
            )
        if text is None:
            return _missing(composer, memo, reviewed)
        versions = composer.once(
            ("versions", SPECIAL, text.pk, ()),
            lambda: selectors.current_versions(special_message=text),
        )
        return composer.compose_text(
            delivery, key, text, versions, shared=True, ids={"special_message_id": text.pk}
        )


# Postback data of the LINE buttons: the same for every reader of a text (the reader is who
# pressed it), so readers at one stage still share one multicast. The reviews app answers it.
FEEDBACK_POSTBACK = "kizuna-feedback"
FEEDBACK_MSGIDS = (
    gettext_noop("このメッセージは役に立ちましたか？"),
    gettext_noop("役に立った"),
    gettext_noop("いまひとつ"),
)
# English keeps its words here until locale/en carries them.
FEEDBACK_BUILTIN = {"en": ("Was this message helpful?", "Helpful", "Not really")}


@functools.cache
def feedback_words(language: str) -> tuple[str, str, str]:
    """The question and the two answers under a stage message, in the message's language.

    Kept per language: switching translations for every delivery cost more than its rendering.
    """
    with translation.override(language):
        found = tuple(gettext(msgid) for msgid in FEEDBACK_MSGIDS)
    if found == FEEDBACK_MSGIDS and language in FEEDBACK_BUILTIN:
        return FEEDBACK_BUILTIN[language]
    question, yes, no = found
    return question, yes, no


@receiver(setting_changed)
def _forget_feedback_words(setting: str, **kwargs: object) -> None:
    if setting in ("LANGUAGES", "LOCALE_PATHS", "LANGUAGE_CODE"):
        feedback_words.cache_clear()


def with_feedback(
    composed: Composed, delivery: Delivery, stage_message_id: int, language: str = ""
) -> Composed:
    """A stage message asks 「役に立った」／「いまひとつ」: LINE buttons, or a signed link in mail."""
    if not isinstance(composed, Composed):
        # A part of the day's one message being collected (compose.Composer._compose_day): the
        # day's message goes out under its lead's kind, without the buttons.
        return composed
    question, yes, no = feedback_words(language or delivery.subscriber.language)
    message = composed.message
    if delivery.channel == Channel.LINE:
        postbacks = (
            (yes, f"{FEEDBACK_POSTBACK}:yes:{stage_message_id}"),
            (no, f"{FEEDBACK_POSTBACK}:no:{stage_message_id}"),
        )
        return replace(composed, message=replace(message, line_postbacks=postbacks))
    url = links.feedback_url(delivery.subscriber, delivery.message_key, stage_message_id)
    yes_url, no_url = f"{url}?v=yes", f"{url}?v=no"
    text = f"{message.text.rstrip()}\n\n{question}\n{yes}: {yes_url}\n{no}: {no_url}\n"
    block = (
        f'<p class="kizuna-feedback">{html.escape(question)}<br>'
        f'<a href="{html.escape(yes_url)}">{html.escape(yes)}</a>　'
        f'<a href="{html.escape(no_url)}">{html.escape(no)}</a></p>'
    )
    body, end, rest = message.html.rpartition("</body>")
    page = f"{body}{block}{end}{rest}" if end else message.html + block
    return replace(composed, message=replace(message, text=text, html=page))


def _missing(composer: Composer, memo: tuple[Any, ...], reviewed: bool) -> str:
    """Why no text was found: none published, or none approved where approval is required."""
    if not reviewed:
        return NO_TEXT
    unreviewed = composer.once((*memo, False), lambda: _any_published(memo))
    return NOT_REVIEWED if unreviewed else NO_TEXT


def _any_published(memo: tuple[Any, ...]) -> bool:
    kind = memo[0]
    if kind == STAGE:
        _, stage, audience, chain = memo
        stage_text = selectors.stage_message_for(
            stage, audience=audience, language=chain[0], chain=chain
        )
        return stage_text is not None
    if kind == BIRTHDAY:
        _, municipality_id, age, chain = memo
        return selectors.birthday_message_exists(
            municipality_id, age, language=chain[0], chain=chain
        )
    if len(memo) == 5:
        _, _, loss, audience, chain = memo
        found = selectors.loss_message_for(loss, audience=audience, language=chain[0], chain=chain)
        return found is not None
    _, name, audience, chain = memo
    found = selectors.special_message_for(name, audience=audience, language=chain[0], chain=chain)
    return found is not None


def _feedback_on_the_day(composed: Composed, lead: Delivery) -> Composed:
    """The day's one message asks about the stage text it carries, as a stage message would."""
    if composed.stage_message_id is None:
        return composed
    return with_feedback(composed, lead, composed.stage_message_id, composed.language)


def register() -> None:
    if _feedback_on_the_day not in DAY_FINISHERS:
        DAY_FINISHERS.append(_feedback_on_the_day)
    register_kind(STAGE, StageMessages)
    register_kind(BIRTHDAY, BirthdayMessages)
    register_kind(SPECIAL, SpecialMessages)
