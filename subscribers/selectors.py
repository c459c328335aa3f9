"""Reading what a family sees on its manage page: today's stage and the next message."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from content.models import StageMessage
from content.pack import stage_label
from content.programme import ALL_PROGRAMME_STAGES, Programme, programme_from
from content.stages import (
    Stage,
    Track,
    Unit,
    child_age,
    gestational_age,
    stage_start,
)
from kizuna import clock

from .models import Child, Subscriber

# After a loss the card keeps no count and no clinical word, only this line.
AFTER_LOSS = _("このお子さまへのお便りは、お届けを終えました。")
AFTER_PROGRAMME = _("配信期間のお便りは、すべてお届けしました。")


@dataclass(frozen=True)
class ChildSummary:
    child: Child
    heading: str  # おなかの赤ちゃん（妊娠20週3日）, 1歳5か月のお子さま; "" after a loss
    next_label: str  # 妊娠21週, or "" when nothing more is planned
    next_on: datetime.date | None
    is_active: bool
    closing_line: str = ""  # the quiet line for a card whose messages have ended

    @property
    def after_loss(self) -> bool:
        return self.child.status == Child.Status.LOST


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
    child: Child, today: datetime.date, stages: list[Stage], programme: Programme
) -> ChildSummary:
    active = child.status in (Child.Status.EXPECTING, Child.Status.BORN)
    if child.status in (Child.Status.LOST, Child.Status.CANCELLED):
        return ChildSummary(
            child=child,
            heading="",
            next_label="",
            next_on=None,
            is_active=False,
            closing_line=str(AFTER_LOSS) if child.status == Child.Status.LOST else "",
        )
    heading = card_heading(child, today)
    next_stage, next_on = None, None
    if active:
        end = programme.end(child.anchor) if child.track == Track.CHILD else None
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
        heading=heading,
        next_label=stage_label("ja", next_stage) if next_stage else "",
        next_on=next_on,
        is_active=active,
        closing_line="" if active else str(AFTER_PROGRAMME),
    )


def card_heading(child: Child, today: datetime.date) -> str:
    """The card's title as a parent would say it: 「おなかの赤ちゃん（妊娠27週3日）」,
    「生後2か月の赤ちゃん（生後75日）」, 「1歳5か月のお子さま」."""
    if child.track == Track.PREGNANCY:
        age = gestational_age(child.due_date, today)
        if age.days < 0:
            return str(_("おなかの赤ちゃん"))
        return str(_("おなかの赤ちゃん（妊娠%(week)s週%(day)s日）")) % {
            "week": age.week,
            "day": age.day,
        }
    grown = child_age(child.birth_date, today)
    if grown.days < 0:
        return str(_("お子さま"))
    if grown.months == 0:
        return str(_("生後%(days)s日の赤ちゃん")) % {"days": grown.days}
    if grown.months < 12:
        # In the first year the day count is what parents (and the health checks) go by.
        return str(_("生後%(months)sか月の赤ちゃん（生後%(days)s日）")) % {
            "months": grown.months,
            "days": grown.days,
        }
    years, months = divmod(grown.months, 12)
    if months == 0:
        return str(_("%(years)s歳のお子さま")) % {"years": years}
    return str(_("%(years)s歳%(months)sか月のお子さま")) % {"years": years, "months": months}


def family_summaries(subscriber: Subscriber, today: datetime.date) -> list[ChildSummary]:
    children = Child.objects.filter(
        subscriptions__subscriber=subscriber, subscriptions__ended_at__isnull=True
    ).order_by("-pk")
    programme = programme_from(subscriber.municipality)
    # The next message is the next of the municipality's cadence (a stage no cadence knows, too).
    cadence = set(programme.stages())
    stages = [s for s in published_stages() if s in cadence or s not in ALL_PROGRAMME_STAGES]
    return [summarize_child(child, today, stages, programme) for child in children]


def erasure_date(subscriber: Subscriber) -> datetime.date | None:
    """The day the erase job removes the address of a reader who left (Japan time)."""
    if subscriber.unsubscribed_at is None:
        return None
    erased_at = subscriber.unsubscribed_at + datetime.timedelta(days=settings.KIZUNA_RETENTION_DAYS)
    return erased_at.astimezone(clock.TOKYO).date() + datetime.timedelta(days=1)
