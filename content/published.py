"""The set of stages that have a published message, kept per process.

Parent pages ask for it on every request (the manage page's 「次のメッセージ」); it changes only
when an editor or the pack loader writes texts. A write in this process drops the copy at once
and again when its transaction commits (``post_save``, ``post_delete`` and
:data:`content.signals.texts_written`, connected in ``content.apps``); a write by another
process (another web worker, ``load_content``) is seen within :data:`MAX_AGE_SECONDS`.
"""

from __future__ import annotations

import time
from typing import Any

from django.db import transaction

from .models import StageMessage
from .stages import Stage, Track, Unit

MAX_AGE_SECONDS = 60.0

_copy: tuple[float, tuple[Stage, ...]] | None = None


def published_stages() -> tuple[Stage, ...]:
    """Every stage with at least one published message, in (track, unit, number) order.

    The same tuple object until the set is read again, so callers may key their own derived
    caches on its identity.
    """
    global _copy
    now = time.monotonic()
    if _copy is None or now - _copy[0] > MAX_AGE_SECONDS:
        rows = (
            StageMessage.objects.published()
            .values_list("track", "unit", "number")
            .distinct()
            .order_by("track", "unit", "number")
        )
        _copy = (
            now,
            tuple(Stage(Track(track), Unit(unit), number) for track, unit, number in rows),
        )
    return _copy[1]


def forget() -> None:
    """Read the set again on next use."""
    global _copy
    _copy = None


def texts_changed(**kwargs: Any) -> None:
    """A receiver for the signals of written texts: forget now and when the write commits."""
    forget()
    transaction.on_commit(forget)
