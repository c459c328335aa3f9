"""Beat's daily switch of the stage rich menus."""

from __future__ import annotations

import logging

from celery import shared_task

from delivery.senders.line import channel_access_token
from kizuna import clock
from municipalities.models import Municipality

from . import insight, menu_switch, relay, tokens
from .models import RelayEvent
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


@shared_task(ignore_result=True)
def relay_events(municipality_id: int) -> int:
    """Send a municipality's kept LINE events on to its other LINE tool, in order per user."""
    municipality = Municipality.objects.filter(pk=municipality_id).first()
    if municipality is None:
        return 0
    return relay.send_pending(municipality).sent


@shared_task(ignore_result=True)
def relay_all_events() -> int:
    """Every minute from beat: retries that came due, and events a lost queue message left."""
    ids = (
        RelayEvent.objects.filter(sent_at__isnull=True)
        .values_list("municipality_id", flat=True)
        .distinct()
    )
    return sum(relay_events(municipality_id) for municipality_id in ids)


@shared_task(ignore_result=True)
def renew_channel_tokens() -> int:
    """Hourly from beat: v2.1 tokens renewed a week before they expire, superseded ones revoked."""
    renewal = tokens.renew_all()
    logger.info(
        "LINE channel access tokens: %d issued, %d revoked, %d failed",
        renewal.issued,
        renewal.revoked,
        renewal.failed,
    )
    return renewal.issued


@shared_task(ignore_result=True)
def fetch_stage_insights() -> int:
    """Nightly from beat: the per-stage open and click counts of the last days, from LINE."""
    fetched = insight.fetch_all(clock.today())
    logger.info("LINE insight: %d stage days fetched, %d failed", fetched.rows, fetched.failed)
    return fetched.rows
