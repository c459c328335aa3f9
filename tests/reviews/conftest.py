import pytest
from django.contrib.auth.models import Group, User

from municipalities.models import CONTENT_EDITORS_GROUP
from reviews.models import Reviewer


def make_reviewer(name: str, field: str, tenant=None) -> User:
    user = User.objects.create_user(name, password="x", is_staff=True, first_name=name)
    Reviewer.objects.create(user=user, field=field, municipality=tenant)
    return user


@pytest.fixture
def editor(db) -> User:
    user = User.objects.create_user("editor", password="x", is_staff=True)
    user.groups.add(Group.objects.get_or_create(name=CONTENT_EDITORS_GROUP)[0])
    return user


@pytest.fixture
def obstetrician(db) -> User:
    return make_reviewer("sanka", "obstetrician")


@pytest.fixture
def midwife(db) -> User:
    return make_reviewer("josanshi", "midwife")


@pytest.fixture
def nurse(db) -> User:
    return make_reviewer("hokenshi", "public_health_nurse")


from tests.delivery.conftest import (  # noqa: E402,F401 (the delivery tests' families and fakes)
    line,
    morning,
    municipality,
    smtp,
    texts,
)
