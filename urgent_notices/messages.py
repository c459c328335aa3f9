"""How the delivery engine's Composer finds the text of an ``urgent:<id>`` delivery."""

from __future__ import annotations

from collections.abc import Sequence

from delivery.kinds import ExtraText, TextKind
from delivery.models import Delivery
from delivery.outbox import MessageKey

from . import selectors
from .models import MESSAGE_KIND, UrgentNotice
from .rendering import as_text

KIND = MESSAGE_KIND


class UrgentNoticeTexts(TextKind):
    """One per Composer: notices and bereaved readers are looked up once per batch."""

    def __init__(self) -> None:
        self.notices: dict[int, UrgentNotice | None] = {}
        self.bereaved: set[int] = set()

    def prepare(self, deliveries: Sequence[Delivery]) -> None:
        ids = {MessageKey.parse(d.message_key).record_id for d in deliveries} - set(self.notices)
        found = UrgentNotice.objects.in_bulk(ids)
        self.notices.update({pk: found.get(pk) for pk in ids})
        # A loss reported after the notice was queued still keeps it from that reader.
        self.bereaved |= set(
            selectors.bereaved_readers()
            .filter(subscriber_id__in={d.subscriber_id for d in deliveries})
            .values_list("subscriber_id", flat=True)
        )

    def text(self, delivery: Delivery, key: MessageKey) -> ExtraText | str:
        notice_id = key.record_id
        if notice_id not in self.notices:
            self.prepare([delivery])
        notice = self.notices[notice_id]
        if notice is None or notice.status == UrgentNotice.Status.CANCELLED:
            return "緊急のお知らせが取り消されました"
        if delivery.subscriber_id in self.bereaved and not notice.include_bereaved:
            return "お別れの報告があったため送りません"
        return ExtraText(as_text(notice), {"urgent_notice": notice.pk})
