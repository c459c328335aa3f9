"""Celery tasks: thin, idempotent, and never carrying what to send (the database does)."""

import logging
import math

from celery import shared_task
from django.conf import settings

from . import claim, dispatch, heartbeats, planner, retention, stats
from .senders import line

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def tick() -> int:
    """Every minute from beat: plan what has come due, then start enough dispatchers."""
    planned = sum(result.total for result in planner.plan_due())
    due = claim.due_count()
    dispatchers: int = min(
        int(settings.KIZUNA_DISPATCHERS_PER_TICK),
        math.ceil(due / settings.KIZUNA_DISPATCH_BATCH_SIZE),
    )
    for _ in range(dispatchers):
        send_due.delay()
    heartbeats.beat(heartbeats.TICK, planned=planned, due=due, dispatchers=dispatchers)
    logger.info(
        "tick: planned %d, %d due, started %d dispatchers",
        planned,
        due,
        dispatchers,
        extra={"event": "tick", "planned": planned, "due": due, "dispatchers": dispatchers},
    )
    return dispatchers


@shared_task(ignore_result=True)
def send_due() -> int:
    """Claim and send until nothing is due; a duplicate task finds nothing left to claim."""
    return dispatch.dispatch().handled


# Celery's decorator is untyped; the baseline lists the older tasks, a new one may not grow it.
@shared_task(ignore_result=True)  # type: ignore[untyped-decorator, unused-ignore]
def answer_on_line(
    slug: str,
    reply_token: str,
    user_id: str,
    text: str,
    quick_replies: list[str | dict[str, str]] | None = None,
    mark_as_read_token: str = "",
) -> str:
    """A LINE chat answer, outside the webhook's request (see ``senders.line.answer``)."""
    return line.answer(
        slug, reply_token, user_id, text, tuple(quick_replies or ()), mark_as_read_token
    )


@shared_task(ignore_result=True)
def recount_days() -> int:
    """Every minute from beat: the dashboard's day counts for days that can still change."""
    return len(stats.recount_open_days())


@shared_task(ignore_result=True)
def refresh_forecast() -> int:
    """Nightly from beat: the next 30 days' message counts, and old send tallies pruned."""
    stats.prune_tallies()
    return len(stats.refresh_forecast())


@shared_task(ignore_result=True)
def roll_up_deliveries() -> int:
    """Nightly from beat: old stage and birthday rows rolled into the day counts, and LINE
    webhook event ids past their use forgotten."""
    retention.prune_line_events()
    return retention.roll_up().total
