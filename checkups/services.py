"""Writing sessions: create, edit (a move or a cancellation sends one correction), confirm."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db import connection, transaction

from delivery import outbox
from kizuna import clock

from .models import CORRECTION_KIND, INVITATION_KIND, Session, SessionChange


@dataclass(frozen=True)
class SessionData:
    check_number: int
    held_on: datetime.date
    starts_at: datetime.time
    venue: str
    born_from: datetime.date
    born_until: datetime.date
    capacity: int


def create_session(*, municipality_id: int, data: SessionData, by: User | None) -> Session:
    with transaction.atomic():
        session = Session.objects.create(municipality_id=municipality_id, **data.__dict__)
        SessionChange.objects.create(
            session=session,
            kind=SessionChange.Kind.CREATED,
            held_on=data.held_on,
            starts_at=data.starts_at,
            venue=data.venue,
            made_by=by,
        )
    return session


def create_sessions(
    *, municipality_id: int, rows: list[SessionData], by: User | None
) -> list[Session]:
    """All of them or, if any fails, none."""
    with transaction.atomic():
        return [create_session(municipality_id=municipality_id, data=row, by=by) for row in rows]


def _queue_corrections(session: Session, change: SessionChange) -> int:
    """One correction of ``change`` to each reader whose invitation went out; set-based."""
    row = outbox.row_sql(
        municipality="d.municipality_id",
        subscriber="d.subscriber_id",
        child="d.child_id",
        channel="s.channel",
        key=f"'c' || d.child_id || ':{CORRECTION_KIND}:' || %s",
    )
    select = f"""SELECT {row} FROM {outbox.TABLE} d
        JOIN subscribers_subscriber s ON s.id = d.subscriber_id
        JOIN subscribers_child c ON c.id = d.child_id AND c.status = 'born'
        WHERE d.municipality_id = %s AND d.status = 'sent'
          AND d.message_key = 'c' || d.child_id || ':{INVITATION_KIND}:' || %s"""  # noqa: S608
    now = clock.now()
    params: list[Any] = [
        change.pk,
        *outbox.row_params(clock.today(), now, now),
        session.municipality_id,
        session.pk,
    ]
    with connection.cursor() as cursor:
        cursor.execute(outbox.insert_sql(select), params)
        return max(int(cursor.rowcount), 0)


def update_session(*, session: Session, data: SessionData, by: User | None) -> SessionChange | None:
    """Save the session; a new date, time or venue is one change, corrected once to the invited.

    Saving what is already there (a second click, a reload) changes nothing and sends nothing.
    """
    with transaction.atomic():
        locked = Session.objects.select_for_update().get(pk=session.pk)
        moved = (locked.held_on, locked.starts_at, locked.venue) != (
            data.held_on,
            data.starts_at,
            data.venue,
        )
        for name, value in data.__dict__.items():
            setattr(locked, name, value)
        locked.save()
        if not moved or locked.status == Session.Status.CANCELLED:
            return None
        change = SessionChange.objects.create(
            session=locked,
            kind=SessionChange.Kind.MOVED,
            held_on=data.held_on,
            starts_at=data.starts_at,
            venue=data.venue,
            made_by=by,
        )
        _queue_corrections(locked, change)
    return change


def cancel_session(*, session: Session, by: User | None) -> SessionChange | None:
    """Cancel once: the invited get one notice; planned invitations are skipped when composed."""
    with transaction.atomic():
        locked = Session.objects.select_for_update().get(pk=session.pk)
        if locked.status == Session.Status.CANCELLED:
            return None
        locked.status = Session.Status.CANCELLED
        locked.save(update_fields=["status"])
        change = SessionChange.objects.create(
            session=locked,
            kind=SessionChange.Kind.CANCELLED,
            held_on=locked.held_on,
            starts_at=locked.starts_at,
            venue=locked.venue,
            made_by=by,
        )
        _queue_corrections(locked, change)
    return change


def confirm_session(*, session: Session, by: User | None) -> None:
    """Staff looked at the flags (a holiday, over capacity) and let the invitations go."""
    Session.objects.filter(pk=session.pk, confirmed_at__isnull=True).update(
        confirmed_at=clock.now(), confirmed_by=by
    )
