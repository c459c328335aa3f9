"""A municipality's readers as a file, in the columns the import reads (round trip)."""

from __future__ import annotations

import logging

from kizuna import clock
from kizuna.spreadsheets import excel_csv
from municipalities.models import Municipality
from subscribers.models import Child, Subscription

from .readers_file import EXPORT_HEADERS, RELATIONSHIP_LABELS

logger = logging.getLogger(__name__)

CHANNEL_LABELS = {"email": "メール", "line": "LINE"}


def readers_rows(municipality: Municipality) -> list[list]:
    """The header and one row per reader and followed child; a family's readers share the
    家族ID. Written out only through kizuna.spreadsheets, which keeps formulas from running."""
    table: list[list] = [list(EXPORT_HEADERS.values())]
    rows = (
        Subscription.objects.filter(
            ended_at__isnull=True,
            child__municipality=municipality,
            child__status__in=[Child.Status.EXPECTING, Child.Status.BORN],
            subscriber__municipality=municipality,
            subscriber__confirmed_at__isnull=False,
            subscriber__unsubscribed_at__isnull=True,
            subscriber__erased_at__isnull=True,
        )
        .order_by("child_id", "subscriber_id")
        .values_list(
            "subscriber__email",
            "subscriber__line_user_id",
            "subscriber__relationship",
            "subscriber__nickname",
            "child__due_date",
            "child__birth_date",
            "subscriber__consent_at",
            "subscriber__channel",
            "child_id",
            "subscriber__language",
        )
    )
    for email, line_id, relationship, nickname, due, birth, consent, channel, child, lang in rows:
        table.append(
            [
                email or "",
                line_id or "",
                RELATIONSHIP_LABELS.get(relationship, relationship),
                nickname,
                due.isoformat() if due else "",
                birth.isoformat() if birth else "",
                consent.astimezone(clock.TOKYO).strftime("%Y-%m-%d %H:%M:%S"),
                CHANNEL_LABELS.get(channel, channel),
                f"{municipality.slug}-{child}",
                lang,
            ]
        )
    return table


def readers_csv(municipality: Municipality) -> tuple[bytes, int]:
    """UTF-8 with a BOM, so that Excel opens the Japanese text correctly; and the row count."""
    table = readers_rows(municipality)
    return excel_csv(table).encode("utf-8"), len(table) - 1
