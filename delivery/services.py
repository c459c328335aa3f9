"""Writing deliveries outside the daily plan: event messages and cancellations.

The database's unique (subscriber, channel, message_key) makes every call here safe to repeat.
"""

from collections.abc import Iterable
from datetime import date

from content.stages import Stage, Track, Unit, last_day_entered_again
from kizuna import clock
from subscribers.models import Child, Subscription

from . import planner
from .models import Delivery


def event_message_key(kind: str, child_id: int | None) -> str:
    """``c42:special:loss`` for a child's event; ``special:welcome`` for the reader's welcome."""
    return f"c{child_id}:special:{kind}" if child_id else f"special:{kind}"


def plan_event_message(
    kind: str,
    subscriptions: Iterable[Subscription],
    *,
    on: date | None = None,
    per_child: bool = True,
) -> None:
    """Queue one ``kind`` special message (welcome, birth, loss…) to each subscription's reader.

    ``per_child=False`` sends once per reader whatever the child (the welcome). A repeat adds
    nothing: the insert ignores rows the unique constraint already holds.
    """
    rows = [
        Delivery(
            municipality_id=subscription.subscriber.municipality_id,
            subscriber_id=subscription.subscriber_id,
            child_id=subscription.child_id,
            channel=subscription.subscriber.channel,
            message_key=event_message_key(kind, subscription.child_id if per_child else None),
            due_on=on or clock.today(),
            next_attempt_at=clock.now(),
        )
        for subscription in subscriptions
    ]
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)


def cancel_pending(
    *,
    child_id: int | None = None,
    subscriber_id: int | None = None,
    subscriber_ids: Iterable[int] | None = None,
    key_prefix: str = "",
    keep_keys: Iterable[str] = (),
    reason: str = "",
) -> int:
    """Mark not-yet-sent deliveries of a child or of readers as skipped; returns how many.

    ``subscriber_ids`` may be a queryset of ids (one UPDATE with a subquery).
    """
    pending = Delivery.objects.filter(status=Delivery.Status.PLANNED)
    if child_id is not None:
        pending = pending.filter(child_id=child_id)
    if subscriber_id is not None:
        pending = pending.filter(subscriber_id=subscriber_id)
    if subscriber_ids is not None:
        pending = pending.filter(subscriber_id__in=subscriber_ids)
    if key_prefix:
        pending = pending.filter(message_key__startswith=key_prefix)
    pending = pending.exclude(message_key__in=list(keep_keys))
    return pending.update(status=Delivery.Status.SKIPPED, last_error=reason[:500])


def move_queued_to_channel(
    subscriber_id: int, channel: str, *, keep_keys: Iterable[str] = ()
) -> int:
    """A reader changed channel: messages queued on the old one go out on ``channel``.

    A message the reader already has on ``channel`` (queued or sent) is not sent twice: its copy
    on the old channel is skipped instead, which also keeps the unique key intact. Returns how
    many deliveries moved.
    """
    queued = (
        Delivery.objects.filter(
            subscriber_id=subscriber_id, status=Delivery.Status.PLANNED, sent_at__isnull=True
        )
        .exclude(channel=channel)
        .exclude(message_key__in=list(keep_keys))
    )
    on_new_channel = Delivery.objects.filter(subscriber_id=subscriber_id, channel=channel).values(
        "message_key"
    )
    queued.filter(message_key__in=on_new_channel).update(
        status=Delivery.Status.SKIPPED, last_error="新しい配信方法で同じメッセージがあるため"
    )
    return queued.exclude(message_key__in=on_new_channel).update(channel=channel)


def check_stages_sent_again(
    child: Child, old_anchor: date | None, new_anchor: date | None, *, today: date | None = None
) -> date | None:
    """A child's due date or birth date moved: keep it from getting a stage message twice.

    Moved later, the family enters again stages it has been through. Their rows stop a second
    send for the days they are kept (``ON CONFLICT``); after the roll-up only the sent record
    is left, so until the last of those stages comes round (``Child.stages_checked_until``)
    the planner looks each stage and birthday up in the records first. Returns that day, if any.
    """
    if old_anchor is None or new_anchor is None or new_anchor <= old_anchor:
        return None
    birthdays = range(1, child.municipality.programme_months // 12 + 1)  # as the planner's
    stages = planner.stages_with_messages() + [
        Stage(Track.CHILD, Unit.YEAR, age) for age in birthdays
    ]
    until = last_day_entered_again(stages, old_anchor, new_anchor, today or clock.today())
    if until is None:
        return None
    if child.stages_checked_until is None or child.stages_checked_until < until:
        Child.objects.filter(pk=child.pk).update(stages_checked_until=until)
        child.stages_checked_until = until
    return until
