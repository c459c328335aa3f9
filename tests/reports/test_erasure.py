"""Erasure deletes the families of readers who left; the report's figures for past years stay."""

import datetime

from reports import selectors
from reports.models import ErasedFamilies, ErasedLeavers
from subscribers import erasure
from subscribers.models import Child, Subscriber, Subscription

from .conftest import NOW, at, families, family

D = datetime.date


def snapshot(town, year):
    r = selectors.registrations(town, year)
    return (
        r.families,
        r.in_pregnancy,
        dict(r.by_channel),
        dict(r.by_source),
        selectors.born_and_registered(town, year),
        dict(selectors.unsubscribes(town, year)),
        dict(selectors.losses(town, year)),
    )


def test_figures_are_the_same_after_erasure_deleted_the_families_who_left(town, now):
    left = at(2025, 10, 1)
    families(
        town,
        3,
        registered=at(2025, 5, 1),
        due=D(2025, 12, 1),
        tag="boshitecho",
        left=left,
        reason="配信が多い / 毎日はちょっと",
    )
    families(
        town,
        2,
        registered=at(2025, 6, 1),
        due=D(2025, 8, 1),
        birth=D(2025, 8, 3),
        channel="line",
        left=left,
        reason="引っ越した",
    )
    family(
        town,
        registered=at(2025, 7, 1),
        due=D(2026, 1, 1),
        status=Child.Status.LOST,
        loss=Child.Loss.MISCARRIAGE,
        status_changed=at(2025, 9, 1),
        left=left,
    )
    stays = families(town, 4, registered=at(2025, 5, 1), due=D(2025, 12, 1), birth=D(2025, 12, 2))
    # A partner who left while the mother stays: the family is not erased, nor counted twice.
    partner = Subscriber.objects.create(
        municipality=town,
        email="partner@example.jp",
        consent_at=left,
        consent_policy_version="2026-04",
        confirmed_at=at(2025, 5, 2),
        unsubscribed_at=left,
    )
    Subscription.objects.create(subscriber=partner, child=stays[0][0])

    before = snapshot(town, 2025)
    assert before[0] == 10 and before[4] == 6
    assert before[5][("配信が多い", "pregnancy")] == 3
    assert before[6] == {"miscarriage": 1}

    assert erasure.erase_departed(NOW) == 7
    assert Child.objects.filter(municipality=town).count() == 4  # the 6 families who left are gone
    assert snapshot(town, 2025) == before
    assert sum(ErasedFamilies.objects.values_list("count", flat=True)) == 6
    assert sum(ErasedLeavers.objects.values_list("count", flat=True)) == 7

    # Erasing again (nothing left to erase) adds nothing.
    assert erasure.erase_departed(NOW) == 0
    assert snapshot(town, 2025) == before
