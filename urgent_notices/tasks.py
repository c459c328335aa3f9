"""Beat checks every minute for approved notices whose sending time has come."""

import logging

from celery import shared_task

from . import services

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def queue_due_urgent_notices() -> int:
    """Queue notices due now and start a dispatcher at once rather than at the next tick."""
    queued = services.queue_due()
    if queued:
        from delivery.tasks import send_due

        send_due.delay()
    return len(queued)
