"""Reading what a family sees on its manage page: today's stage and the next message."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings

from content.models import StageMessage
from content.pack import stage_label
from content.stages import (
    Stage,
    Track,
    Unit,
    add_months,
    child_age,
    gestational_age,
    stage_start,
)
from kizuna import clock

from .models import Child, Subscriber


@dataclass(frozen=True)
class ChildSummary:
    child: Child
    stage_label: str  # 妊娠20週3日, 生後4か月 (生後130日)
    next_label: str  # 妊娠21週, or "" when nothing more is planned
    next_on: datetime.date | None
    is_active: bool


def published_stages() -> list[Stage]:
    """Every stage that has at least one published message, in programme order."""
    rows = (
        StageMessage.objects.published()
        .values_list("track", "unit", "number")
        .distinct()
        .order_by("track", "unit", "number")
    )
    return [Stage(Track(track), Unit(unit), number) for track, unit, number in rows]


def summarize_child(
    child: Child, today: datetime.date, stages: list[Stage], programme_months: int
) -> ChildSummary:
    active = child.status in (Child.Status.EXPECTING, Child.Status.BORN)
    if child.track == Track.PREGNANCY:
        age = gestational_age(child.due_date, today)
        label = age.label_ja if age.days >= 0 else f"出産予定日 {child.due_date:%Y年%m月%d日}"
    else:
        age = child_age(child.birth_date, today)
        label = f"{age.label_ja}（生後{age.days}日）" if age.days >= 0 else ""
    next_stage, next_on = None, None
    if active:
        end = add_months(child.anchor, programme_months) if child.track == Track.CHILD else None
        upcoming = [
            (stage_start(stage, child.anchor), stage)
            for stage in stages
            if stage.track == child.track
        ]
        upcoming = [
            (on, stage) for on, stage in upcoming if on > today and (end is None or on <= end)
        ]
        if upcoming:
            next_on, next_stage = min(upcoming)
    return ChildSummary(
        child=child,
        stage_label=label,
        next_label=stage_label("ja", next_stage) if next_stage else "",
        next_on=next_on,
        is_active=active,
    )


def family_summaries(subscriber: Subscriber, today: datetime.date) -> list[ChildSummary]:
    children = Child.objects.filter(
        subscriptions__subscriber=subscriber, subscriptions__ended_at__isnull=True
    ).order_by("-pk")
    stages = published_stages()
    months = subscriber.municipality.programme_months
    return [summarize_child(child, today, stages, months) for child in children]


def erasure_date(subscriber: Subscriber) -> datetime.date | None:
    """The day the erase job removes the address of a reader who left (Japan time)."""
    if subscriber.unsubscribed_at is None:
        return None
    erased_at = subscriber.unsubscribed_at + datetime.timedelta(days=settings.KIZUNA_RETENTION_DAYS)
    return erased_at.astimezone(clock.TOKYO).date() + datetime.timedelta(days=1)
