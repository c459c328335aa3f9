"""What the outbox does when a reader or a child changes (:mod:`subscribers.events`).

Connected from ``DeliveryConfig.ready()``; each receiver runs inside the change's transaction.
"""

from __future__ import annotations

import datetime
from typing import Any

from content.stages import Track
from kizuna import clock
from subscribers import events
from subscribers.models import Child, Subscriber, Subscription
from subscribers.services import followers

from . import outbox, planner
from .models import PlanRun
from .services import check_stages_sent_again, plan_birth_messages, plan_event_message


def welcome(subscription: Subscription, **_: Any) -> None:
    plan_event_message("welcome", [subscription], per_child=False)


def birth(child: Child, **_: Any) -> None:
    # Past the due date and its grace, child messages went out by the due date: a birth after
    # the due date comes round to some of them again.
    check_stages_sent_again(child, child.due_date, child.birth_date)
    outbox.cancel_queued(
        child_id=child.pk, key_prefix=outbox.stage_prefix(child.pk, Track.PREGNANCY), reason="出生"
    )
    plan_birth_messages(child, followers(child))


def loss(child: Child, **_: Any) -> None:
    outbox.cancel_queued(
        child_id=child.pk,
        keep=[outbox.MessageKey.for_special("loss", child.pk)],
        reason="お別れの報告",
    )
    plan_event_message("loss", followers(child))


def dates_moved(
    child: Child, old_anchor: datetime.date | None, new_anchor: datetime.date | None, **_: Any
) -> None:
    check_stages_sent_again(child, old_anchor, new_anchor)


def channel_changed(subscriber: Subscriber, channel: str, **_: Any) -> None:
    # Messages already queued go out on the new channel, not the old one.
    outbox.move_to_channel(subscriber.pk, channel)


def channel_stopped(subscriber: Subscriber, channel: str, reason: str, **_: Any) -> None:
    outbox.cancel_queued(subscriber_id=subscriber.pk, channel=channel, reason=reason)


UNSUBSCRIBED = "配信停止"


def unsubscribed(subscriber: Subscriber, **_: Any) -> None:
    outbox.cancel_queued(subscriber_id=subscriber.pk, reason=UNSUBSCRIBED)


def unsubscribe_undone(subscriber: Subscriber, **_: Any) -> None:
    # Today's messages come back: those the stop cancelled, and those the day's plan left out
    # while the reader was stopped (planning again adds only what is missing).
    today = clock.today()
    outbox.restore_cancelled(subscriber_id=subscriber.pk, reason=UNSUBSCRIBED, due_from=today)
    if PlanRun.objects.filter(municipality_id=subscriber.municipality_id, day=today).exists():
        planner.plan_day(today, [subscriber.municipality], subscriber_ids=[subscriber.pk])


def connect() -> None:
    events.reader_confirmed.connect(welcome, dispatch_uid="delivery.welcome")
    events.birth_reported.connect(birth, dispatch_uid="delivery.birth")
    events.loss_reported.connect(loss, dispatch_uid="delivery.loss")
    events.child_dates_moved.connect(dates_moved, dispatch_uid="delivery.dates_moved")
    events.channel_changed.connect(channel_changed, dispatch_uid="delivery.channel_changed")
    events.channel_stopped.connect(channel_stopped, dispatch_uid="delivery.channel_stopped")
    events.reader_unsubscribed.connect(unsubscribed, dispatch_uid="delivery.unsubscribed")
    events.unsubscribe_undone.connect(
        unsubscribe_undone, dispatch_uid="delivery.unsubscribe_undone"
    )
