"""A town with the demo 8か月アンケート, a screen loaded from JSON, and one user per role."""

import datetime

import pytest
import time_machine
from django.contrib.auth.models import Group

from followups.demo import EIGHT_MONTHS
from followups.services import import_questionnaire
from kizuna import clock
from municipalities.models import OPERATORS_GROUP, ConsultationContact, StaffMembership
from tests.delivery.conftest import line, morning, municipality, smtp, texts  # noqa: F401 (shared)
from tests.factories import MunicipalityFactory
from tests.staff.conftest import make_user

NOW = datetime.datetime(2026, 11, 24, 10, 0, tzinfo=clock.TOKYO)  # a Tuesday
TODAY = NOW.date()

# A made-up scored screen in the import format: the shape of EPDS (items scored 0–3, a total
# cut-off and one item that alerts on any point), none of its text.
SCREEN = {
    "title": "産後の気分の質問票（テスト用）",
    "stage": {"track": "child", "unit": "day", "number": 14},
    "total_threshold": 9,
    "source": "テスト用の架空の質問票",
    "questions": [
        {
            "kind": "scored",
            "text": f"項目{n}",
            "options": [{"points": p, "label": f"項目{n}の選択肢{p}"} for p in range(4)],
            **({"threshold": 1} if n == 10 else {}),
        }
        for n in range(1, 11)
    ],
}


@pytest.fixture
def now():
    with time_machine.travel(NOW, tick=True):
        yield NOW


@pytest.fixture
def town(db):
    town = MunicipalityFactory(name="あおば市", slug="aoba", service_name="あおば子育てメール")
    ConsultationContact.objects.create(
        municipality=town,
        name="あおば市 保健センター",
        phone="045-000-0000",
        hours="平日 8:30〜17:15",
    )
    return town


@pytest.fixture
def eight_months(town):
    return import_questionnaire(town, EIGHT_MONTHS)


@pytest.fixture
def screen(town):
    return import_questionnaire(town, SCREEN)


@pytest.fixture
def other(db):
    return MunicipalityFactory(name="みどり町", slug="midori")


@pytest.fixture
def users(town, other):
    made = {
        "health": make_user("aoba-health"),
        "editor": make_user("aoba-editor"),
        "viewer": make_user("aoba-viewer"),
        "operator": make_user("operator"),
        "other_health": make_user("midori-health"),
    }
    for name, place, role in (
        ("health", town, "health"),
        ("editor", town, "editor"),
        ("viewer", town, "viewer"),
        ("other_health", other, "health"),
    ):
        StaffMembership.objects.create(user=made[name], municipality=place, role=role)
    made["operator"].groups.add(Group.objects.get(name=OPERATORS_GROUP))
    return made


def by_text(questionnaire):
    """Question id by its text, and the 1-based option number by label."""
    return {q.text: q for q in questionnaire.questions.all()}


def choose(question, label):
    for number, option in enumerate(question.parsed_options(), start=1):
        if option.label == label:
            return [number]
    raise AssertionError(label)
