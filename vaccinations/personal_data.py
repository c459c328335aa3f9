"""What vaccinations keeps about a reader: the doses recorded for the children they follow, in
their data download; at erasure, who recorded a dose is forgotten, and the records of children
no one else follows go with the children."""

from __future__ import annotations

from collections.abc import Mapping

from subscribers import erasure, personal_data
from subscribers.models import Subscriber, Subscription

from . import rules
from .models import DoseRecord


def export(subscriber: Subscriber) -> Mapping[str, personal_data.Value]:
    child_ids = Subscription.objects.filter(subscriber=subscriber).values("child_id")
    doses = rules.all_rules().doses
    records = DoseRecord.objects.filter(child_id__in=child_ids).order_by("child_id", "given_on")
    names = {d.code: rules.all_rules().vaccine_of(d.code) for d in doses.values()}
    return {
        "vaccination_records": [
            {
                "child": r.child_id,
                "vaccine": f"{names[r.dose].name} {doses[r.dose].label}".strip()
                if r.dose in doses
                else r.dose,
                "given_on": personal_data.day_text(r.given_on),
                "product": r.product,
                "recorded_by_you": r.recorded_by_id == subscriber.pk,
                "recorded_at": personal_data.moment_text(r.recorded_at),
            }
            for r in records
        ],
    }


LABELS = {
    "vaccination_records": "予防接種の記録",
    "child": "お子さまの番号",
    "vaccine": "予防接種",
    "given_on": "接種日",
    "product": "ワクチン",
    "recorded_by_you": "あなたが記録",
    "recorded_at": "記録日時",
}


def erase(subscriber_ids: list[int]) -> None:
    DoseRecord.objects.filter(recorded_by_id__in=subscriber_ids).update(recorded_by=None)
    followed_by_others = Subscription.objects.exclude(subscriber_id__in=subscriber_ids).values(
        "child_id"
    )
    DoseRecord.objects.filter(child__subscriptions__subscriber_id__in=subscriber_ids).exclude(
        child_id__in=followed_by_others
    ).delete()


def register() -> None:
    personal_data.register_part(
        personal_data.Part(app="vaccinations", export=export, labels=LABELS)
    )
    erasure.register_step("vaccinations", erase)
