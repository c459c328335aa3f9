"""Message kinds as plug-ins: each kind registers how to compose its deliveries.

A kind is named by its message key's kind (:class:`delivery.outbox.MessageKey`). The app that owns it registers it from its ``AppConfig.ready()`` with
:func:`register_kind`; the Composer then asks it for each delivery of a batch. The delivery
engine's own kinds (stage, birthday and special messages) register the same way
(:mod:`delivery.messages`), so adding a kind is one module and one registration.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from .models import Delivery
from .outbox import MessageKey, check_kind_name

if TYPE_CHECKING:
    from .compose import Composed, Composer


@dataclass(frozen=True)
class ExtraText:
    """A text for a message kind, and what to record as its version."""

    text: Any  # subject, body, language (and kind) as content.rendering.render_message reads them
    text_versions: dict[str, Any] = field(default_factory=dict)


class MessageKind(Protocol):
    """Composes one kind's deliveries; one instance per Composer (per sending run)."""

    # Whether a delivery is still sent days after its due day (a survey invitation, while the
    # survey is open); every other message is skipped once the catch-up window has passed.
    late_is_fine: bool

    def prepare(self, deliveries: Sequence[Delivery]) -> None:
        """Look up, in a few queries, what :meth:`compose` needs for this batch's deliveries."""

    def compose(self, delivery: Delivery, key: MessageKey, composer: Composer) -> Composed | str:
        """The message ready for its channel, or the reason to skip the delivery."""


class TextKind:
    """A kind that only finds its text: the Composer renders and addresses it like any other."""

    late_is_fine = False
    # The language of the message being composed (Composer.message_language): a text built by
    # code writes its fixed words in it, so the message speaks one language.
    language = "ja"

    def prepare(self, deliveries: Sequence[Delivery]) -> None:
        return None

    def text(self, delivery: Delivery, key: MessageKey) -> ExtraText | str:
        """The text to send, or the reason to skip the delivery."""
        raise NotImplementedError

    def compose(self, delivery: Delivery, key: MessageKey, composer: Composer) -> Composed | str:
        self.language = composer.message_language(delivery)
        found = self.text(delivery, key)
        if isinstance(found, str):
            return found
        return composer.compose_text(delivery, key, found.text, found.text_versions)


KINDS: dict[str, Callable[[], MessageKind]] = {}

# Plug-in kinds that go out as a part of a child's one message of the day (after the stage
# text, in rank order) instead of as a message of their own: a vaccination reminder, a
# health-check invitation. Ranks below 10 are the engine's own (delivery.compose.PART_ORDER).
PART_KINDS: dict[str, int] = {}


def register_kind(
    kind: str, factory: Callable[[], MessageKind], *, part_of_day: int | None = None
) -> None:
    """Compose the deliveries whose key is of ``kind`` with kinds made by ``factory``.

    ``part_of_day`` (10 or more): a child's message of this kind due the same day as other
    parts (a stage text, a birthday) is folded into that one message, in this rank; alone, it
    is a message of its own.
    """
    check_kind_name(kind)
    if part_of_day is not None:
        if part_of_day < 10:
            raise ValueError("ranks below 10 are the engine's own parts of the day")
        PART_KINDS[kind] = part_of_day
    else:
        PART_KINDS.pop(kind, None)
    KINDS[kind] = factory
