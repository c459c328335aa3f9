"""What the planner, the messages and the staff pages read about checks and sessions."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

import jpholiday
from django.db.models import Count, Max, Q, QuerySet

from delivery.models import Delivery
from subscribers.models import Child

from .models import INVITATION_KIND, CheckupSettings, Session, SessionChange


def settings_for(municipality_ids: Iterable[int]) -> list[CheckupSettings]:
    """Each municipality's settings, the defaults (unsaved) where it has none yet."""
    ids = list(municipality_ids)
    found = {s.municipality_id: s for s in CheckupSettings.objects.filter(municipality_id__in=ids)}
    return [found.get(pk) or CheckupSettings(municipality_id=pk) for pk in ids]


def invitation_lead_days(municipality_id: int) -> int:
    [setting] = settings_for([municipality_id])
    return setting.invitation_lead_days


def invited_children(session: Session) -> QuerySet[Child]:
    """The born children the session invites: in its birth-date range, followed by a reader."""
    return Child.objects.filter(
        municipality_id=session.municipality_id,
        status=Child.Status.BORN,
        birth_date__range=(session.born_from, session.born_until),
        subscriptions__ended_at__isnull=True,
    ).distinct()


@dataclass(frozen=True)
class Flags:
    holiday: str  # the national holiday's name, or ""
    invited: int
    over_capacity: bool

    @property
    def any(self) -> bool:
        return bool(self.holiday) or self.over_capacity

    def reasons(self) -> list[str]:
        found = []
        if self.holiday:
            found.append(f"祝日（{self.holiday}）です")
        if self.over_capacity:
            found.append(f"対象のお子さん（{self.invited}人）が定員を超えています")
        return found


def flags_of(session: Session, invited: int | None = None) -> Flags:
    """Why a session waits for staff before anything is sent."""
    if invited is None:
        invited = invited_children(session).count()
    holiday = jpholiday.is_holiday_name(session.held_on) or ""
    return Flags(holiday=holiday, invited=invited, over_capacity=invited > session.capacity)


def is_held(session: Session) -> bool:
    """Flagged and not yet confirmed by staff: its invitations wait."""
    if session.confirmed_at is not None:
        return False  # staff saw the flags: no need to count again
    return flags_of(session).any


def sessions_inviting_on(municipality_ids: Iterable[int], on: datetime.date) -> list[Session]:
    """Scheduled sessions whose invitations go out on ``on`` (from N days before, until the eve),
    less those held for staff."""
    ids = list(municipality_ids)
    leads = {s.municipality_id: s.invitation_lead_days for s in settings_for(ids)}
    latest = on + datetime.timedelta(days=max(leads.values(), default=0))
    candidates = Session.objects.for_municipalities(ids).filter(
        status=Session.Status.SCHEDULED, held_on__gt=on, held_on__lte=latest
    )
    return [
        session
        for session in candidates
        if session.held_on - datetime.timedelta(days=leads[session.municipality_id]) <= on
        and not is_held(session)
    ]


def sessions_on_eve(
    municipality_ids: Iterable[int], on: datetime.date
) -> list[tuple[Session, int]]:
    """Sessions held tomorrow, each with the id of its current version (its latest change)."""
    sessions = (
        Session.objects.for_municipalities(list(municipality_ids))
        .filter(status=Session.Status.SCHEDULED, held_on=on + datetime.timedelta(days=1))
        .annotate(version=Max("changes__pk"))
    )
    return [(s, s.version) for s in sessions if s.version is not None]


def current_version(session: Session) -> SessionChange | None:
    return session.changes.order_by("-pk").first()


@dataclass(frozen=True)
class SessionCounts:
    invited: int
    sent: int
    failed: int


def invitation_counts(sessions: Iterable[Session]) -> dict[int, SessionCounts]:
    """Invitations per session: queued or sent (invited), sent, failed; one query."""
    sessions = list(sessions)
    ids = [s.pk for s in sessions]
    if not ids:
        return {}
    # Invitations are due from the lead days (at most 60) before a session up to its day: the
    # municipality and that span keep the key match to a small slice of the deliveries.
    rows = (
        Delivery.objects.filter(
            municipality_id__in={s.municipality_id for s in sessions},
            due_on__gte=min(s.held_on for s in sessions) - datetime.timedelta(days=61),
            due_on__lte=max(s.held_on for s in sessions),
            message_key__regex=rf"^c[0-9]+:{INVITATION_KIND}:({'|'.join(map(str, ids))})$",
        )
        .exclude(status=Delivery.Status.SKIPPED)
        .values("message_key")
    )
    # Group in SQL by the session id at the key's end.
    counts: dict[int, list[int]] = {pk: [0, 0, 0] for pk in ids}
    per_key = rows.annotate(
        total=Count("pk"),
        sent=Count("pk", filter=Q(status=Delivery.Status.SENT)),
        failed=Count("pk", filter=Q(status=Delivery.Status.FAILED)),
    )
    for row in per_key:
        session_id = int(row["message_key"].rpartition(":")[2])
        counts[session_id][0] += row["total"]
        counts[session_id][1] += row["sent"]
        counts[session_id][2] += row["failed"]
    return {pk: SessionCounts(*values) for pk, values in counts.items()}


SMALL = 10


def shown(count: int) -> str:
    """A count as staff see it: 「10未満」 where a small figure could point at a family."""
    return "10未満" if 0 < count < SMALL else f"{count:,}"
