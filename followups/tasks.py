"""Beat tasks: one line each, the work is in services."""

import logging

from celery import shared_task

from . import services

logger = logging.getLogger(__name__)


@shared_task
def send_morning_mail() -> int:
    sent = services.send_morning_mails()
    logger.info("followup morning mails sent: %s", sent)
    return sent


@shared_task
def erase_expired_answers() -> tuple[int, int]:
    responses, cases = services.erase_expired()
    logger.info("followup answers erased: %s responses, %s cases", responses, cases)
    return responses, cases
