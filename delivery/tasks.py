"""Celery tasks: thin, idempotent, and never carrying what to send (the database does)."""

import logging
import math

from celery import shared_task
from django.conf import settings

from . import dispatch, planner

logger = logging.getLogger(__name__)

MAX_PARALLEL_DISPATCHERS = 4


@shared_task(ignore_result=True)
def tick() -> int:
    """Every minute from beat: plan what has come due, then start enough dispatchers."""
    planner.plan_due()
    due = dispatch.due_count()
    dispatchers = min(
        MAX_PARALLEL_DISPATCHERS, math.ceil(due / settings.KIZUNA_DISPATCH_BATCH_SIZE)
    )
    for _ in range(dispatchers):
        send_due.delay()
    return dispatchers


@shared_task(ignore_result=True)
def send_due() -> int:
    """Claim and send until nothing is due; a duplicate task finds nothing left to claim."""
    return dispatch.dispatch().handled
