"""The doses a reader recorded are in their data download, and go at erasure."""

import datetime

import pytest
from django.utils import timezone

from subscribers import erasure, personal_data
from subscribers.models import Subscriber, Subscription
from tests.delivery.conftest import family
from tests.factories import SubscriberFactory
from vaccinations import services
from vaccinations.models import DoseRecord

pytestmark = pytest.mark.django_db

BORN = datetime.date(2026, 6, 1)


def test_the_download_lists_the_recorded_doses_with_japanese_labels(municipality):
    subscription = family(municipality, birth=BORN)
    services.record_dose(
        child=subscription.child,
        dose="hepb-1",
        given_on=datetime.date(2026, 8, 3),
        by=subscription.subscriber,
    )
    data = personal_data.export(subscription.subscriber)
    [entry] = data["vaccination_records"]
    assert entry["vaccine"] == "B型肝炎 1回目"
    assert entry["given_on"] == "2026-08-03"
    assert entry["recorded_by_you"] is True
    sections = personal_data.readable_sections(data)
    assert "予防接種の記録" in str(sections)


def test_erasure_forgets_who_recorded_and_the_records_of_children_no_one_follows(municipality):
    alone = family(municipality, birth=BORN)
    shared = family(municipality, birth=BORN)
    partner = SubscriberFactory(municipality=municipality)
    Subscription.objects.create(subscriber=partner, child=shared.child)
    for subscription in (alone, shared):
        services.record_dose(
            child=subscription.child,
            dose="hepb-1",
            given_on=datetime.date(2026, 8, 3),
            by=subscription.subscriber,
        )
    leaving = [alone.subscriber_id, shared.subscriber_id]
    Subscriber.objects.filter(pk__in=leaving).update(
        unsubscribed_at=timezone.now() - datetime.timedelta(days=400)
    )
    assert erasure.erase_departed() == 2
    # The partner still follows the shared child: its record stays, nameless.
    [kept] = DoseRecord.objects.all()
    assert kept.child_id == shared.child_id and kept.recorded_by_id is None
