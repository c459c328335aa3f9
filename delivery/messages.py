"""The delivery engine's own message kinds: stage messages, birthdays and special messages.

Their texts are the content app's (national, or the municipality's for birthdays); stage
messages also carry the municipality's local notices for that stage. Registered from
``DeliveryConfig.ready()`` like every other kind (:mod:`delivery.kinds`).
"""

from __future__ import annotations

from collections.abc import Sequence

from content import selectors
from content.programme import is_anchor

from .compose import Composed, Composer
from .kinds import register_kind
from .models import Delivery
from .outbox import BIRTHDAY, SPECIAL, STAGE, MessageKey

NO_TEXT = "送る文面がありません（未公開または削除）"
NOT_IN_LANGUAGE = "読者の言語の毎日の文面がないため送りません（週・月の文面だけ届きます）"
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
        text = composer.once(
            (STAGE, stage, audience, language),
            lambda: selectors.stage_message_for(stage, audience=audience, language=language),
        )
        if text is None:
            return NO_TEXT
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
        return composer.compose_text(
            delivery,
            key,
            text,
            versions,
            notices=notices,
            shared=True,
            ids={"stage_message_id": text.pk},
        )


class BirthdayMessages:
    late_is_fine = False

    def prepare(self, deliveries: Sequence[Delivery]) -> None:
        return None

    def compose(self, delivery: Delivery, key: MessageKey, composer: Composer) -> Composed | str:
        municipality, language = delivery.municipality, delivery.subscriber.language
        text = composer.once(
            (BIRTHDAY, municipality.pk, key.age, language),
            lambda: selectors.birthday_message_for(municipality, key.age, language=language),
        )
        if text is None:
            return NO_TEXT
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
        child = delivery.child
        if key.name == LOSS and child is not None:
            # One key for every loss (rows planned before the split still go out once); the text
            # is the one written for the situation the parent reported.
            loss = child.loss
            text = composer.once(
                (SPECIAL, key.name, loss, audience, language),
                lambda: selectors.loss_message_for(loss, audience=audience, language=language),
            )
        else:
            text = composer.once(
                (SPECIAL, key.name, audience, language),
                lambda: selectors.special_message_for(
                    key.name, audience=audience, language=language
                ),
            )
        if text is None:
            return NO_TEXT
        versions = composer.once(
            ("versions", SPECIAL, text.pk, ()),
            lambda: selectors.current_versions(special_message=text),
        )
        return composer.compose_text(
            delivery, key, text, versions, shared=True, ids={"special_message_id": text.pk}
        )


def register() -> None:
    register_kind(STAGE, StageMessages)
    register_kind(BIRTHDAY, BirthdayMessages)
    register_kind(SPECIAL, SpecialMessages)
