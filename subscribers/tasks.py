import logging

from celery import shared_task

from . import services

logger = logging.getLogger(__name__)


@shared_task
def erase_unsubscribed_readers() -> int:
    """Daily: erase addresses and LINE ids of readers who left more than the retention ago."""
    erased = services.erase_unsubscribed()
    logger.info("erased contact data of %d unsubscribed readers", erased)
    return erased
