"""Erasure: after the retention period nothing is left that names or reaches a reader.

What stays of a reader who left is an anonymous row for the municipality's figures (municipality,
relationship, language, channel, signup source and tag, the dates of consent, confirmation,
leaving and erasure, and the chosen reason for leaving without its comment), the survey choices
they gave (counts, without free text) and the day counts of what was sent. Everything else goes:
address, LINE id, nickname, the comment on leaving, stored bounce texts, free-text survey answers,
addresses given to move from LINE to email, their import rows' contents, every delivery row and
sent-message record, and the pregnancies and children no one else follows. A registration never
confirmed is deleted whole after ``KIZUNA_UNCONFIRMED_DAYS``. See SECURITY.md.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Case, Q, Value, When

from adoption.models import EmailMoveRequest, ImportRow, LineLinkCode
from delivery.retention import forget_readers
from kizuna import clock
from surveys.models import Answer

from . import events
from .forms import UnsubscribeForm
from .models import Child, Subscriber, Subscription

logger = logging.getLogger(__name__)

ONE_CLICK_REASON = "ワンクリック配信停止"


@dataclass(frozen=True)
class ErasureResult:
    erased: int  # readers who left, now anonymous
    unconfirmed_deleted: int  # registrations never confirmed, deleted whole


def run(now: datetime.datetime | None = None) -> ErasureResult:
    """The daily job: erase readers past the retention period and stale unconfirmed ones."""
    now = now or clock.now()
    return ErasureResult(erase_departed(now), delete_unconfirmed(now))


def erase_departed(now: datetime.datetime | None = None) -> int:
    """Erase every reader who left more than ``KIZUNA_RETENTION_DAYS`` ago; returns how many."""
    now = now or clock.now()
    cutoff = now - datetime.timedelta(days=settings.KIZUNA_RETENTION_DAYS)
    with transaction.atomic():
        ids = list(
            Subscriber.objects.select_for_update()
            .filter(unsubscribed_at__lte=cutoff, erased_at__isnull=True)
            .values_list("pk", flat=True)
        )
        if not ids:
            return 0
        _forget_what_they_left(ids)
        Subscriber.objects.filter(pk__in=ids).update(
            email=None,
            line_user_id=None,
            nickname="",
            unsubscribe_reason=_reason_without_comment(),
            channel_stop_reason="",
            erased_at=now,
        )
    logger.info("erased %d readers who left", len(ids), extra={"event": "readers_erased"})
    return len(ids)


def delete_unconfirmed(now: datetime.datetime | None = None) -> int:
    """Delete registrations never confirmed within ``KIZUNA_UNCONFIRMED_DAYS``."""
    now = now or clock.now()
    cutoff = now - datetime.timedelta(days=settings.KIZUNA_UNCONFIRMED_DAYS)
    with transaction.atomic():
        ids = list(
            Subscriber.objects.select_for_update()
            .filter(confirmed_at__isnull=True, unsubscribed_at__isnull=True)
            .filter(consent_at__lte=cutoff, erased_at__isnull=True)
            .values_list("pk", flat=True)
        )
        if not ids:
            return 0
        _forget_what_they_left(ids)
        Subscriber.objects.filter(pk__in=ids).delete()
    logger.info(
        "deleted %d registrations never confirmed",
        len(ids),
        extra={"event": "unconfirmed_deleted"},
    )
    return len(ids)


def _forget_what_they_left(ids: list[int]) -> None:
    forget_readers(ids)
    child_ids = list(
        Subscription.objects.filter(subscriber_id__in=ids).values_list("child_id", flat=True)
    )
    Subscription.objects.filter(subscriber_id__in=ids).delete()
    # A child another reader still follows (a partner who stayed) stays for them.
    Child.objects.filter(pk__in=child_ids, subscriptions__isnull=True).delete()
    Answer.objects.filter(response__subscriber_id__in=ids).exclude(text="").update(text="")
    EmailMoveRequest.objects.filter(subscriber_id__in=ids).delete()
    LineLinkCode.objects.filter(subscriber_id__in=ids).delete()
    ImportRow.objects.filter(subscriber_id__in=ids).update(
        data={}, contact_hint="", subscriber=None
    )
    events.readers_erased.send(sender=Subscriber, ids=ids)


def _reason_without_comment() -> Case:
    """The reason chosen from the list stays (a figure); anything the reader wrote goes."""
    labels = [str(label) for value, label in UnsubscribeForm.REASONS if value]
    labels.append(ONE_CLICK_REASON)
    return Case(
        *(
            When(
                Q(unsubscribe_reason=label) | Q(unsubscribe_reason__startswith=f"{label} / "),
                then=Value(label),
            )
            for label in labels
        ),
        default=Value(""),
    )
