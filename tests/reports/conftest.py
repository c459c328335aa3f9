"""A town with families registered on known days, so every figure of the report has a known count."""

import datetime

import pytest
import time_machine

from kizuna import clock
from subscribers.models import Child, Subscriber, Subscription
from tests.factories import MunicipalityFactory

# 令和8年度 (FY2026) is under way; 令和7年度 (FY2025) ended on 2026-03-31.
NOW = datetime.datetime(2026, 12, 3, 10, 0, tzinfo=clock.TOKYO)


def at(year, month, day, hour=12, minute=0):
    return datetime.datetime(year, month, day, hour, minute, tzinfo=clock.TOKYO)


@pytest.fixture
def now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def town(db):
    return MunicipalityFactory(name="あおば市", slug="aoba", service_name="あおば子育てメール")


_serial = iter(range(1, 10**6))


def family(
    municipality,
    *,
    registered,
    due=None,
    birth=None,
    channel="email",
    tag="",
    source="signup",
    confirmed=True,
    left=None,
    reason="",
    status=None,
    loss="",
    status_changed=None,
):
    """A child and one reader, registered at ``registered`` (an aware datetime)."""
    n = next(_serial)
    child = Child.objects.create(
        municipality=municipality,
        due_date=due,
        birth_date=birth,
        status=status or (Child.Status.BORN if birth else Child.Status.EXPECTING),
        loss=loss,
        status_changed_at=status_changed,
    )
    reader = Subscriber.objects.create(
        municipality=municipality,
        email=f"r{n}@example.jp" if channel == "email" else None,
        line_user_id=f"U{n:032x}" if channel == "line" else None,
        channel=channel,
        signup_tag=tag,
        source=source,
        consent_at=registered,
        consent_policy_version="2026-04",
        confirmed_at=registered if confirmed else None,
        unsubscribed_at=left,
        unsubscribe_reason=reason,
    )
    Subscription.objects.create(subscriber=reader, child=child)
    Child.objects.filter(pk=child.pk).update(created_at=registered)
    Subscriber.objects.filter(pk=reader.pk).update(created_at=registered)
    return child, reader


def families(municipality, count, **fields):
    return [family(municipality, **fields) for _ in range(count)]
