"""When the periodic jobs last ran: the tick (plan and send) and the roll-up of old rows.

A :class:`~delivery.models.Heartbeat` row per job. The roll-up's also says how far it reached,
which the planner reads to refuse re-planning a day whose sent rows are gone.
"""

from __future__ import annotations

import datetime
from typing import Any

from kizuna import clock

from .models import Heartbeat

TICK = "tick"
ROLL_UP = "roll_up"


def beat(name: str, **detail: Any) -> None:
    """Record that the periodic job ``name`` ran just now."""
    Heartbeat.objects.update_or_create(name=name, defaults={"at": clock.now(), "detail": detail})


def last_beat(name: str) -> Heartbeat | None:
    return Heartbeat.objects.filter(name=name).first()


def rolled_up_through() -> datetime.date | None:
    """The newest day a roll-up has reached: the planner refuses to plan it or any older day."""
    beat = last_beat(ROLL_UP)
    if beat is None or not beat.detail.get("through"):
        return None
    return datetime.date.fromisoformat(beat.detail["through"])
