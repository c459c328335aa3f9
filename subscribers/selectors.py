"""Reading what a family sees on its manage page: today's stage and the next message."""

from __future__ import annotations

import bisect
import datetime
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from content.pack import stage_label
from content.programme import ALL_PROGRAMME_STAGES, Programme, programme_from
from content.published import published_stages
from content.stages import (
    Stage,
    Track,
    Unit,
    child_age,
    gestational_age,
    stage_start,
)
from kizuna import clock, request_memo

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


# A calendar month or year is its nominal length (30.44 or 365.25 days a unit) give or take
# 3.12 days over the longest programme (95 months): the search for the next stage looks this
# far either side of today (tests/subscribers/test_next_message.py checks it against a walk
# through every stage).
SLACK_DAYS = 4


@dataclass(frozen=True)
class Upcoming:
    """The stages of one track a family may be told come next, by their nominal day from the
    anchor (exact for pregnancy, day and week stages), sorted by it."""

    days: tuple[float, ...]
    stages: tuple[Stage, ...]


def nominal_days(stage: Stage) -> float:
    """Days from the anchor to the stage, exact but for month and year stages of a child."""
    if stage.track == Track.CHILD and stage.unit == Unit.MONTH:
        return 30.44 * stage.number
    if stage.track == Track.CHILD and stage.unit == Unit.YEAR:
        return 365.25 * stage.number
    return (stage_start(stage, _REFERENCE) - _REFERENCE).days


_REFERENCE = datetime.date(2000, 1, 1)
_by_programme: dict[Programme, tuple[tuple[Stage, ...], dict[str, Upcoming]]] = {}


def upcoming_stages(programme: Programme) -> dict[str, Upcoming]:
    """Per track, the published stages of the programme's cadence (and stages no cadence knows),
    computed once per programme and published set rather than on every page."""
    published = published_stages()
    cached = _by_programme.get(programme)
    if cached is not None and cached[0] is published:
        return cached[1]
    cadence = set(programme.stages())
    chosen = [s for s in published if s in cadence or s not in ALL_PROGRAMME_STAGES]
    by_track = {}
    for track in Track:
        pairs = sorted((nominal_days(s), s) for s in chosen if s.track == track)
        by_track[track.value] = Upcoming(tuple(d for d, _ in pairs), tuple(s for _, s in pairs))
    _by_programme[programme] = (published, by_track)
    return by_track


def next_stage(
    upcoming: Upcoming, anchor: datetime.date, today: datetime.date, end: datetime.date | None
) -> tuple[datetime.date, Stage] | None:
    """The first of ``upcoming`` a family with ``anchor`` enters after ``today`` (and by
    ``end``), looking only at the stages whose nominal day is near it."""
    elapsed = (today - anchor).days
    last = None if end is None else (end - anchor).days + SLACK_DAYS
    found: list[tuple[datetime.date, Stage]] = []
    best: int | None = None
    start = bisect.bisect_right(upcoming.days, elapsed - SLACK_DAYS)
    for index in range(start, len(upcoming.days)):
        nominal = upcoming.days[index]
        if (best is not None and nominal > best + SLACK_DAYS) or (
            last is not None and nominal > last
        ):
            break
        stage = upcoming.stages[index]
        on = stage_start(stage, anchor)
        if on > today and (end is None or on <= end):
            found.append((on, stage))
            days = (on - anchor).days
            best = days if best is None else min(best, days)
    return min(found) if found else None


def summarize_child(
    child: Child, today: datetime.date, upcoming: dict[str, Upcoming], programme: Programme
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
    following = None
    if active:
        end = programme.end(child.anchor) if child.track == Track.CHILD else None
        following = next_stage(upcoming[child.track], child.anchor, today, end)
    return ChildSummary(
        child=child,
        heading=heading,
        next_label=stage_label("ja", following[1]) if following else "",
        next_on=following[0] if following else None,
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
    upcoming = upcoming_stages(programme)
    return [summarize_child(child, today, upcoming, programme) for child in children]


def reader(pk: int | str | None, *, related: tuple[str, ...] = ()) -> Subscriber | None:
    """The reader with ``pk`` and their municipality, erased or not (read once per parent page,
    with the ``related`` rows of the first call: the language middleware and the view ask)."""
    if pk is None:
        return None
    return request_memo.remember(
        ("reader", pk),
        lambda: Subscriber.objects.select_related("municipality", *related).filter(pk=pk).first(),
    )


def erasure_date(subscriber: Subscriber) -> datetime.date | None:
    """The day the erase job removes the address of a reader who left (Japan time)."""
    if subscriber.unsubscribed_at is None:
        return None
    erased_at = subscriber.unsubscribed_at + datetime.timedelta(days=settings.KIZUNA_RETENTION_DAYS)
    return erased_at.astimezone(clock.TOKYO).date() + datetime.timedelta(days=1)
