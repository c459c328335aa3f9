import datetime

import pytest
from django.db import IntegrityError, transaction

from delivery.models import Delivery
from tests.factories import SubscriptionFactory

pytestmark = pytest.mark.django_db


def _delivery(subscription, **fields):
    return Delivery.objects.create(
        municipality=subscription.subscriber.municipality,
        subscriber=subscription.subscriber,
        child=subscription.child,
        channel=fields.pop("channel", "email"),
        message_key=fields.pop("message_key", f"c{subscription.child_id}:stage:pregnancy:week:20"),
        due_on=datetime.date(2026, 12, 1),
        **fields,
    )


def test_the_database_refuses_a_second_copy_of_a_message():
    subscription = SubscriptionFactory()
    _delivery(subscription)
    with pytest.raises(IntegrityError), transaction.atomic():
        _delivery(subscription)
    assert Delivery.objects.count() == 1


def test_the_same_message_on_another_channel_is_a_second_copy_too():
    """A reader who switched channel has each message once, whatever channel carried it."""
    subscription = SubscriptionFactory()
    _delivery(subscription)
    with pytest.raises(IntegrityError), transaction.atomic():
        _delivery(subscription, channel="line")
    assert Delivery.objects.count() == 1


def test_other_messages_are_separate_deliveries():
    subscription = SubscriptionFactory()
    _delivery(subscription)
    _delivery(subscription, message_key=f"c{subscription.child_id}:stage:pregnancy:week:21")
    assert Delivery.objects.count() == 2
    assert set(Delivery.objects.values_list("status", flat=True)) == {"planned"}


def test_planner_and_dashboard_indexes_exist():
    names = {index.name for index in Delivery._meta.indexes}
    assert {"delivery_pending_idx", "delivery_dashboard_idx"} <= names
