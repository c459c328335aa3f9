"""Two municipalities with texts, contacts and families, and one user per staff role."""

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from delivery.models import Delivery
from municipalities.models import (
    CONTENT_EDITORS_GROUP,
    OPERATORS_GROUP,
    ConsultationContact,
    StaffMembership,
)
from tests.content.factories import (
    BirthdayMessageFactory,
    LocalNoticeFactory,
    SpecialMessageFactory,
    StageMessageFactory,
)
from tests.factories import MunicipalityFactory, SubscriptionFactory


@dataclass
class World:
    own: Any  # municipality A, where the editor and the viewer work
    other: Any  # municipality B
    users: dict[str, Any]
    objects: dict[str, Any]


def make_user(username: str, *, is_staff: bool = True, is_superuser: bool = False, groups=()):
    # No password: tests log in with force_login, and hashing one costs a third of a second.
    user = get_user_model().objects.create_user(username, f"{username}@example.jp")
    user.is_staff, user.is_superuser = is_staff, is_superuser
    user.save()
    for name in groups:
        # get_or_create: a transactional test before this one may have flushed the migration's rows.
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    return user


@pytest.fixture
def world(db) -> World:
    own = MunicipalityFactory(name="あおば市", service_name="あおば子育てメール")
    other = MunicipalityFactory(name="みどり町", service_name="みどり子育てメール")
    users = {
        "superuser": make_user("super", is_superuser=True),
        "content_editor": make_user("national", groups=[CONTENT_EDITORS_GROUP]),
        "editor": make_user("aoba-editor"),
        "viewer": make_user("aoba-viewer"),
        "operator": make_user("operator", groups=[OPERATORS_GROUP]),
        "norole": make_user("staff-without-role"),
    }
    StaffMembership.objects.create(user=users["editor"], municipality=own, role="editor")
    viewer_membership = StaffMembership.objects.create(
        user=users["viewer"], municipality=own, role="viewer"
    )
    other_membership = StaffMembership.objects.create(
        user=make_user("midori-editor"), municipality=other, role="editor"
    )
    own_subscription = SubscriptionFactory(
        subscriber__municipality=own, subscriber__email="hana@example.jp"
    )
    other_subscription = SubscriptionFactory(
        subscriber__municipality=other, subscriber__email="midori@example.jp"
    )

    def delivery(subscription):
        return Delivery.objects.create(
            municipality=subscription.subscriber.municipality,
            subscriber=subscription.subscriber,
            child=subscription.child,
            channel="email",
            message_key=f"c{subscription.child_id}:stage:pregnancy:week:20",
            due_on=date(2026, 12, 12),
        )

    objects = {
        "stage_message": StageMessageFactory(),
        "special_message": SpecialMessageFactory(),
        "birthday_default": BirthdayMessageFactory(),
        "birthday_own": BirthdayMessageFactory(municipality=own, subject="あおば市から1歳のお祝い"),
        "birthday_other": BirthdayMessageFactory(
            municipality=other, subject="みどり町から1歳のお祝い"
        ),
        "notice_own": LocalNoticeFactory(municipality=own, title="あおば市の4か月児健診"),
        "notice_other": LocalNoticeFactory(municipality=other, title="みどり町の4か月児健診"),
        "municipality_own": own,
        "municipality_other": other,
        "contact_own": ConsultationContact.objects.create(
            municipality=own, name="あおば保健センター", phone="03-1111-1111"
        ),
        "contact_other": ConsultationContact.objects.create(
            municipality=other, name="みどり保健センター", phone="03-2222-2222"
        ),
        "membership_own": viewer_membership,
        "membership_other": other_membership,
        "subscriber_own": own_subscription.subscriber,
        "subscriber_other": other_subscription.subscriber,
        "child_own": own_subscription.child,
        "subscription_own": own_subscription,
        "delivery_own": delivery(own_subscription),
        "delivery_other": delivery(other_subscription),
    }
    return World(own, other, users, objects)
