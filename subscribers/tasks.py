import logging

from celery import shared_task

from . import erasure

logger = logging.getLogger(__name__)


@shared_task
def erase_unsubscribed_readers() -> int:
    """Daily: erase readers who left more than the retention period ago, and delete
    registrations never confirmed (subscribers.erasure)."""
    result = erasure.run()
    logger.info(
        "erased %d readers who left; deleted %d unconfirmed registrations",
        result.erased,
        result.unconfirmed_deleted,
    )
    return result.erased + result.unconfirmed_deleted
