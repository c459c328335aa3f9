"""Two municipalities with deliveries of known statuses, and a user per role."""

import datetime
from dataclasses import dataclass
from typing import Any

import factory
import pytest
import time_machine
from django.test import Client

from delivery import stats
from delivery.models import Delivery
from kizuna import clock
from municipalities.models import OPERATORS_GROUP, StaffMembership
from tests.delivery.conftest import line, morning, municipality, smtp, texts  # noqa: F401
from tests.factories import MunicipalityFactory, SubscriberFactory
from tests.staff.conftest import make_user

NOW = datetime.datetime(2026, 11, 24, 10, 0, tzinfo=clock.TOKYO)
TODAY = NOW.date()
YESTERDAY = TODAY - datetime.timedelta(days=1)


@pytest.fixture
def now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


def deliveries(where, day, status, n, *, channel="email", error="", **fields):
    """``n`` welcome messages to ``n`` new readers."""
    line_ids = factory.Sequence(lambda i: f"U{i:032x}") if channel == "line" else None
    readers = SubscriberFactory.create_batch(
        n, municipality=where, channel=channel, line_user_id=line_ids
    )
    rows = [
        Delivery(
            municipality=where,
            subscriber=reader,
            channel=channel,
            message_key="special:welcome",
            due_on=day,
            status=status,
            last_error=error,
            next_attempt_at=fields.pop("next_attempt_at", None) or NOW,
            **fields,
        )
        for index, reader in enumerate(readers)
    ]
    return Delivery.objects.bulk_create(rows)


@dataclass
class Ops:
    aoba: Any
    midori: Any
    users: dict[str, Any]

    def client(self, role: str) -> Client:
        client = Client()
        client.force_login(self.users[role])
        return client


@pytest.fixture
def ops(db, now) -> Ops:
    """あおば市: today 5 sent, 3 planned, 2 failed by email and 4 sent by LINE; yesterday 7 sent,
    1 failed (LINE 500). みどり町: today 6 sent and 9 failed with its own error."""
    aoba = MunicipalityFactory(name="あおば市", line_enabled=True, line_monthly_quota=1000)
    midori = MunicipalityFactory(name="みどり町")
    deliveries(aoba, TODAY, "sent", 5, sent_at=NOW)
    deliveries(aoba, TODAY, "planned", 3, next_attempt_at=NOW - datetime.timedelta(minutes=40))
    deliveries(aoba, TODAY, "failed", 2, error="SMTP 550")
    deliveries(aoba, TODAY, "sent", 4, channel="line", sent_at=NOW)
    deliveries(aoba, YESTERDAY, "sent", 7)
    deliveries(aoba, YESTERDAY, "failed", 1, error="LINE 500: 再試行の上限に達しました")
    deliveries(midori, TODAY, "sent", 6)
    deliveries(midori, TODAY, "failed", 9, error="みどり町だけのエラー")
    stats.recount_days([TODAY, YESTERDAY])
    users = {
        "superuser": make_user("super", is_superuser=True),
        "operator": make_user("operator", groups=[OPERATORS_GROUP]),
        "editor": make_user("aoba-editor"),
        "viewer": make_user("aoba-viewer"),
        "norole": make_user("no-role"),
    }
    StaffMembership.objects.create(user=users["editor"], municipality=aoba, role="editor")
    StaffMembership.objects.create(user=users["viewer"], municipality=aoba, role="viewer")
    return Ops(aoba, midori, users)
