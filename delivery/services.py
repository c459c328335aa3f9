"""Writing deliveries outside the daily plan: event messages, and stage checks after a date moved.

The database's unique (subscriber, message_key) makes every call here safe to repeat.
"""

import datetime
from collections.abc import Iterable
from datetime import date

from content.programme import programme_from
from content.stages import Stage, Track, Unit, last_day_entered_again
from kizuna import clock
from subscribers.models import Child, Subscription

from . import outbox, planner
from .compose import FOLDED_PREFIX
from .models import Delivery


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
    outbox.enqueue(
        [
            outbox.Queued(
                municipality_id=subscription.subscriber.municipality_id,
                subscriber_id=subscription.subscriber_id,
                channel=subscription.subscriber.channel,
                key=outbox.MessageKey.for_special(
                    kind, subscription.child_id if per_child else None
                ),
                child_id=subscription.child_id,
            )
            for subscription in subscriptions
        ],
        due_on=on,
    )


FIRST_DAY = Stage(Track.CHILD, Unit.DAY, 0)


def plan_birth_messages(child: Child, subscriptions: Iterable[Subscription]) -> None:
    """The birth message, and with it the first day's text and today's, as one message.

    Families usually report from hospital, a day or more after the birth, and the planner only
    sends a stage on the day it is entered: without this, 生後0日 (what to know on the first day)
    would never reach them. So the birth message carries 生後0日, and today's stage of the
    cadence if there is one, as parts of one message (delivery.compose folds a day's messages).
    A reader who has already had their message today gets all of it tomorrow, folded into
    tomorrow's, so nobody gets two messages on one day.
    """
    today = clock.today()
    assert child.birth_date is not None  # noqa: S101 (called on a reported birth)
    programme = programme_from(child.municipality)
    available = set(planner.stages_with_messages()) & set(programme.stages())
    child_stages = {s for s in available if s.track == Track.CHILD}
    today_stage = planner.stage_entered(child_stages, child.birth_date, today)
    readers = list(subscriptions)
    already = set(
        Delivery.objects.filter(
            subscriber_id__in=[s.subscriber_id for s in readers],
            due_on=today,
            status=Delivery.Status.SENT,
        )
        .exclude(provider_message_id__startswith=FOLDED_PREFIX)
        .filter(message_key__regex=r"^c[0-9]+:(stage|birthday|special):")
        .values_list("subscriber_id", flat=True)
    )
    for deferred in (False, True):
        group = [s for s in readers if (s.subscriber_id in already) == deferred]
        if not group:
            continue
        keys = [outbox.MessageKey.for_special("birth", child.pk)]
        if FIRST_DAY in available:
            keys.append(outbox.MessageKey.for_stage(child.pk, FIRST_DAY))
        if today_stage is not None and not deferred:
            keys.append(outbox.MessageKey.for_stage(child.pk, today_stage))
        due_on = today + datetime.timedelta(days=1) if deferred else today
        send_from = (
            datetime.datetime.combine(due_on, child.municipality.delivery_time, tzinfo=clock.TOKYO)
            if deferred
            else None
        )
        outbox.enqueue(
            [
                outbox.Queued(
                    municipality_id=s.subscriber.municipality_id,
                    subscriber_id=s.subscriber_id,
                    channel=s.subscriber.channel,
                    key=key,
                    child_id=child.pk,
                )
                for s in group
                for key in keys
            ],
            due_on=due_on,
            send_from=send_from,
        )


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
    birthdays = programme_from(child.municipality).birthday_ages()  # as the planner's
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
