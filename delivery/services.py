"""Writing deliveries outside the daily plan: event messages, and stage checks after a date moved.

The database's unique (subscriber, channel, message_key) makes every call here safe to repeat.
"""

from collections.abc import Iterable
from datetime import date

from content.programme import programme_from
from content.stages import Stage, Track, Unit, last_day_entered_again
from kizuna import clock
from subscribers.models import Child, Subscription

from . import outbox, planner


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
