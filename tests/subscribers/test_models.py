import datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from content.models import Audience
from content.stages import Track
from subscribers.models import Child, Subscriber
from tests.factories import (
    ChildFactory,
    MunicipalityFactory,
    SubscriberFactory,
    SubscriptionFactory,
)

pytestmark = pytest.mark.django_db


def test_one_subscriber_per_address_and_municipality_whatever_the_case():
    municipality = MunicipalityFactory()
    SubscriberFactory(municipality=municipality, email="Hana@Example.jp")
    with pytest.raises(IntegrityError), transaction.atomic():
        SubscriberFactory(municipality=municipality, email="hana@example.jp")
    # The same address may follow a family in another municipality (a move, a hospital edition).
    SubscriberFactory(email="hana@example.jp")


def test_a_subscriber_must_be_reachable_on_the_chosen_channel():
    with pytest.raises(IntegrityError), transaction.atomic():
        SubscriberFactory(channel="line", line_user_id=None)
    SubscriberFactory(channel="line", line_user_id="U" + "0" * 32, email=None)


def test_erased_subscribers_keep_no_address():
    subscriber = SubscriberFactory(email="gone@example.jp")
    Subscriber.objects.filter(pk=subscriber.pk).update(
        email=None, erased_at=subscriber.consent_at, unsubscribed_at=subscriber.consent_at
    )
    assert Subscriber.objects.get(pk=subscriber.pk).email is None


def test_a_child_needs_an_anchor_and_a_born_child_a_birth_date():
    municipality = MunicipalityFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Child.objects.create(municipality=municipality, due_date=None, birth_date=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        Child.objects.create(
            municipality=municipality, due_date=datetime.date(2027, 1, 1), status="born"
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Child.objects.create(
            municipality=municipality, due_date=datetime.date(2027, 1, 1), status="lost"
        )


def test_the_anchor_moves_from_due_date_to_birth_date():
    child = ChildFactory(due_date=datetime.date(2027, 5, 1))
    assert (child.track, child.anchor) == (Track.PREGNANCY, datetime.date(2027, 5, 1))
    child.birth_date = datetime.date(2027, 4, 20)
    child.status = Child.Status.BORN
    assert (child.track, child.anchor) == (Track.CHILD, datetime.date(2027, 4, 20))


def test_family_members_follow_the_same_child():
    mother = SubscriptionFactory(subscriber__relationship="self")
    partner = SubscriptionFactory(
        subscriber__municipality=mother.subscriber.municipality,
        subscriber__relationship="partner",
        child=mother.child,
    )
    assert set(mother.child.followers.all()) == {mother.subscriber, partner.subscriber}
    assert partner.subscriber.audience == Audience.PARTNER
    assert mother.subscriber.audience == Audience.EVERYONE
    with pytest.raises(IntegrityError), transaction.atomic():
        SubscriptionFactory(subscriber=partner.subscriber, child=mother.child)


def test_querysets_speak_the_domain():
    municipality = MunicipalityFactory()
    confirmed = SubscriberFactory(municipality=municipality)
    SubscriberFactory(municipality=municipality, confirmed_at=None)
    SubscriberFactory(municipality=municipality, unsubscribed_at=confirmed.consent_at)
    SubscriberFactory()  # another municipality
    assert list(Subscriber.objects.confirmed().for_municipality(municipality)) == [confirmed]

    expecting = ChildFactory(municipality=municipality)
    ChildFactory(municipality=municipality, status="lost", loss="miscarriage")
    assert list(Child.objects.followed().filter(municipality=municipality)) == [expecting]


def test_an_address_is_found_through_the_unique_index_whatever_the_case():
    municipality = MunicipalityFactory()
    reader = SubscriberFactory(municipality=municipality, email="Hana@Example.jp")
    SubscriberFactory(municipality=municipality, email="other@example.jp")
    readers = Subscriber.objects.filter(municipality=municipality).at_address("ＨＡＮＡ@example.JP")
    assert list(readers) == [reader]
    # Seq scans priced out: a lookup the index cannot serve (email__iexact) still shows one.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = readers.explain()
    assert "one_subscriber_per_email" in plan and "Seq Scan" not in plan
    # One reader at most: no ORDER BY id LIMIT 1 (planned as a walk along the primary key).
    with CaptureQueriesContext(connection) as queries:
        assert Subscriber.objects.filter(municipality=municipality).holding("HANA@example.jp") == (
            reader
        )
        assert Subscriber.objects.filter(municipality=municipality).holding("no@example.jp") is None
    assert all("ORDER BY" not in query["sql"] for query in queries)
