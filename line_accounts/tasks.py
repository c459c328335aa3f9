"""Beat's daily switch of the stage rich menus."""

from __future__ import annotations

import logging

from celery import shared_task

from delivery.senders.line import channel_access_token
from kizuna import clock
from municipalities.models import Municipality

from . import menu_switch
from .rich_menus import LineApiError, RichMenuApi

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def switch_rich_menus() -> int:
    """Daily: each LINE reader's menu follows their stage, for readers whose stage moved."""
    moved = 0
    for municipality in Municipality.objects.filter(line_enabled=True):
        token = channel_access_token(municipality.slug)
        if not token:
            continue
        try:
            moved += menu_switch.switch(municipality, RichMenuApi(token), clock.today())
        except LineApiError:
            logger.exception("rich menu switch for %s failed", municipality.slug)
    logger.info("rich menus switched for %d LINE readers", moved)
    return moved
