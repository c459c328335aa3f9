"""Sending what is due: claim a batch, compose, send per channel, record.

The database is the source of truth: :mod:`delivery.claim` takes rows for this worker,
:mod:`delivery.compose` turns them into messages, :mod:`delivery.channels` picks each channel's
sender and :mod:`delivery.record` writes the outcomes back. The broker only carries "go and
look", never what to send.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.conf import settings

from municipalities.models import Municipality

from . import stats
from .channels import senders_for
from .claim import WORKER, claim, incomplete_requests, put_back
from .compose import Composed, Composer, Folded, Skip
from .models import Delivery
from .record import record, record_folded
from .senders.base import Outcome, OutgoingMessage, Result, Sender

logger = logging.getLogger(__name__)


@dataclass
class DispatchReport:
    outcomes: Counter[str] = field(default_factory=Counter)
    batches: int = 0
    seconds: float = 0.0

    @property
    def handled(self) -> int:
        return sum(self.outcomes.values())


def send_claimed(
    ids: list[int], *, senders: dict[str, Sender] | None = None, composer: Composer | None = None
) -> Counter[str]:
    """Compose, send and record one claimed batch; returns how many ended in each outcome."""
    deliveries = list(
        Delivery.objects.filter(pk__in=ids, status=Delivery.Status.SENDING)
        .select_related("subscriber", "child")
        .order_by("due_on", "pk")
    )
    # A batch has a thousand rows and a handful of municipalities: load each of those once.
    municipalities = Municipality.objects.in_bulk({d.municipality_id for d in deliveries})
    for delivery in deliveries:
        delivery.municipality = municipalities[delivery.municipality_id]
    incomplete = incomplete_requests(deliveries)
    if incomplete:
        put_back([d for d in deliveries if d.retry_key in incomplete])
        deliveries = [d for d in deliveries if d.retry_key not in incomplete]
    if not deliveries:
        return Counter()
    senders = senders or senders_for(deliveries)
    composer = composer or Composer()
    composer.prepare(deliveries)
    composed: dict[int, Composed] = {}
    skipped: list[Skip] = []
    folded: list[Folded] = []
    by_channel: dict[str, list[OutgoingMessage]] = defaultdict(list)
    for delivery in deliveries:
        result = composer.compose(delivery)
        if isinstance(result, Skip):
            skipped.append(result)
        elif isinstance(result, Folded):
            folded.append(result)
        else:
            composed[delivery.pk] = result
            by_channel[delivery.channel].append(result.message)

    by_id = {d.pk: d for d in deliveries}
    record([], skipped, composed, by_id)
    record_folded(folded)
    outcomes = Counter(skipped=len(skipped)) if skipped else Counter()
    tally = Counter(
        (by_id[skip.delivery_id].municipality_id, by_id[skip.delivery_id].channel, "skipped")
        for skip in skipped
    )
    for channel, messages in by_channel.items():
        sender = senders[channel]
        unrecorded: list[Result] = []
        for results in sender.send(messages):
            unrecorded += results
            # Anything but "sent" is recorded at once: a retry's wait starts now, not at the end.
            unsent = any(r.outcome != Outcome.SENT for r in results)
            if unsent or len(unrecorded) >= sender.record_every:
                record(unrecorded, [], composed, by_id)
                unrecorded = []
            outcomes.update(r.outcome.value for r in results)
            tally.update(
                (by_id[r.delivery_id].municipality_id, channel, _tallied_as(r.outcome))
                for r in results
            )
        if unrecorded:
            record(unrecorded, [], composed, by_id)
    stats.add_tally(tally)
    return outcomes


def _tallied_as(outcome: Outcome) -> str:
    # The dashboard's sending rate counts a refused request's rows among the failures.
    return Outcome.FAILED.value if outcome == Outcome.REFUSED else outcome.value


def dispatch(
    *,
    batch_size: int | None = None,
    time_budget: float = 240.0,
    senders: dict[str, Sender] | None = None,
    due_on: datetime.date | None = None,
    municipality_ids: list[int] | None = None,
) -> DispatchReport:
    """Claim and send batches until nothing is due or the time budget is spent."""
    report = DispatchReport()
    batch_size = batch_size or settings.KIZUNA_DISPATCH_BATCH_SIZE
    composer = Composer()  # its lookups serve every batch of this run
    started = time.monotonic()
    while time.monotonic() - started < time_budget:
        ids = claim(batch_size, due_on=due_on, municipality_ids=municipality_ids)
        if not ids:
            break
        batch_started = time.monotonic()
        outcomes = send_claimed(ids, senders=senders, composer=composer)
        report.outcomes.update(outcomes)
        report.batches += 1
        seconds = time.monotonic() - batch_started
        logger.info(
            "sent batch of %d in %.3fs: %s",
            len(ids),
            seconds,
            dict(outcomes),
            extra={
                "event": "send_batch",
                "size": len(ids),
                "outcomes": dict(outcomes),
                "seconds": round(seconds, 3),
                "worker": WORKER,
            },
        )
    report.seconds = time.monotonic() - started
    return report
