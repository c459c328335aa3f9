"""Operator controls: pause and resume a municipality, retry failures, cancel a planned batch.

Each runs in one transaction with its :class:`OperatorAction` record, so an action is either
done and recorded or neither; each recounts the days it touched so the dashboard agrees at once.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.db.models.functions import Left

from delivery import stats
from delivery.models import Delivery
from kizuna import clock
from municipalities.models import Municipality
from subscribers.models import Subscriber

from .models import OperatorAction

logger = logging.getLogger(__name__)

CANCEL_REASON = "運用担当者が取り消しました"


def _record(
    user: User,
    kind: str,
    *,
    municipality: Municipality | None = None,
    affected: int = 0,
    **detail: object,
) -> OperatorAction:
    action = OperatorAction.objects.create(
        user=user,
        username=user.get_username(),
        kind=kind,
        municipality=municipality,
        affected=affected,
        detail=detail,
    )
    logger.info(
        "operator %s: %s (%d)",
        action.username,
        kind,
        affected,
        extra={
            "event": "operator_action",
            "action": kind,
            "user_id": user.pk,
            "municipality_id": getattr(municipality, "pk", None),
            "affected": affected,
        },
    )
    return action


def waiting_count(municipality: Municipality) -> int:
    """Unsent deliveries of a municipality: what a pause holds back."""
    return Delivery.objects.filter(
        municipality=municipality, status__in=[Delivery.Status.PLANNED, Delivery.Status.SENDING]
    ).count()


def oldest_day_still_sent(today: datetime.date | None = None) -> datetime.date:
    """Deliveries due before this are skipped when they come up (the catch-up window)."""
    return (today or clock.today()) - datetime.timedelta(days=settings.KIZUNA_CATCH_UP_DAYS)


@transaction.atomic
def pause(municipality: Municipality, user: User) -> OperatorAction | None:
    """Stop sending for a municipality: planning goes on, the deliveries wait. None if paused."""
    changed = Municipality.objects.filter(pk=municipality.pk, paused=False).update(
        paused=True, updated_at=clock.now()
    )
    if not changed:
        return None
    municipality.paused = True
    return _record(user, OperatorAction.Kind.PAUSE, municipality=municipality)


@transaction.atomic
def resume(municipality: Municipality, user: User) -> OperatorAction | None:
    """Send again; what waited goes out within the catch-up window. None if it was not paused."""
    changed = Municipality.objects.filter(pk=municipality.pk, paused=True).update(
        paused=False, updated_at=clock.now()
    )
    if not changed:
        return None
    municipality.paused = False
    return _record(
        user,
        OperatorAction.Kind.RESUME,
        municipality=municipality,
        affected=waiting_count(municipality),
    )


@dataclass(frozen=True)
class RetrySelection:
    """Failed deliveries chosen by id or by their error text, within the user's municipalities."""

    municipality_ids: frozenset[int] | None  # None: every municipality (operators)
    ids: tuple[int, ...] = ()
    error: str = ""

    def failed(self) -> QuerySet[Delivery]:
        if not self.ids and not self.error:
            return Delivery.objects.none()
        rows = Delivery.objects.filter(status=Delivery.Status.FAILED)
        if self.municipality_ids is not None:
            rows = rows.filter(municipality_id__in=self.municipality_ids)
        if self.ids:
            rows = rows.filter(pk__in=self.ids)
        if self.error:
            rows = rows.filter(last_error=self.error)
        return rows

    def retryable(self, today: datetime.date | None = None) -> QuerySet[Delivery]:
        return self.failed().filter(due_on__gte=oldest_day_still_sent(today))

    def too_old(self, today: datetime.date | None = None) -> QuerySet[Delivery]:
        return self.failed().filter(due_on__lt=oldest_day_still_sent(today))


@transaction.atomic
def retry(selection: RetrySelection, user: User) -> OperatorAction | None:
    """Send the selected failures again, and reopen a channel that this very failure closed.

    Failures older than the catch-up window are left as they are: they would only be skipped.
    """
    rows = selection.retryable().select_for_update()
    ids = list(rows.values_list("pk", flat=True))
    if not ids:
        return None
    chosen = Delivery.objects.filter(pk__in=ids)
    days = set(chosen.values_list("due_on", flat=True).distinct())
    stopped_by_it = chosen.filter(subscriber=OuterRef("pk"), channel=OuterRef("channel")).annotate(
        reason=Left("last_error", 200)
    )
    reopened = Subscriber.objects.filter(
        Exists(stopped_by_it.filter(reason=OuterRef("channel_stop_reason"))),
        channel_stopped_at__isnull=False,
    ).update(channel_stopped_at=None, channel_stop_reason="")
    retried = chosen.update(
        status=Delivery.Status.PLANNED,
        attempts=0,
        last_error="",
        next_attempt_at=clock.now(),
        claimed_until=None,
        claimed_by="",
    )
    stats.recount_days(days)
    municipality_ids = set(chosen.values_list("municipality_id", flat=True).distinct())
    municipality = (
        Municipality.objects.get(pk=municipality_ids.pop()) if len(municipality_ids) == 1 else None
    )
    return _record(
        user,
        OperatorAction.Kind.RETRY,
        municipality=municipality,
        affected=retried,
        error=selection.error,
        selected=len(selection.ids),
        channels_reopened=reopened,
    )


@dataclass(frozen=True)
class Batch:
    """One day's planned deliveries of a municipality: all, one channel, or one message
    (an urgent notice's ``urgent:12``, a survey's ``survey:3``)."""

    municipality: Municipality
    day: datetime.date
    channel: str = ""
    message_key: str = ""

    def planned(self) -> QuerySet[Delivery]:
        rows = Delivery.objects.filter(
            municipality=self.municipality, due_on=self.day, status=Delivery.Status.PLANNED
        )
        if self.channel:
            rows = rows.filter(channel=self.channel)
        if self.message_key:
            rows = rows.filter(message_key=self.message_key)
        return rows


@transaction.atomic
def cancel(batch: Batch, user: User) -> OperatorAction | None:
    """Skip a planned batch before it goes (rows already being sent are not touched)."""
    cancelled = batch.planned().update(
        status=Delivery.Status.SKIPPED, last_error=f"{CANCEL_REASON}（{user.get_username()}）"
    )
    if not cancelled:
        return None
    stats.recount_days([batch.day])
    return _record(
        user,
        OperatorAction.Kind.CANCEL,
        municipality=batch.municipality,
        affected=cancelled,
        day=batch.day.isoformat(),
        channel=batch.channel,
        message_key=batch.message_key,
    )
