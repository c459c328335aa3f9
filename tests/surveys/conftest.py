"""A municipality with families at different stages, and a survey open today."""

import datetime

import pytest
import time_machine

from kizuna import clock
from surveys.models import Question, Survey
from tests.delivery.conftest import line, smtp  # noqa: F401 (fixtures shared with delivery)
from tests.factories import MunicipalityFactory

NOW = datetime.datetime(2026, 11, 24, 10, 0, tzinfo=clock.TOKYO)
TODAY = NOW.date()


@pytest.fixture
def now():
    with time_machine.travel(NOW, tick=True):
        yield NOW


@pytest.fixture
def town(db):
    return MunicipalityFactory(name="あおば市", slug="aoba", service_name="あおば子育てメール")


def make_survey(
    municipality, *, opens_on=TODAY, closes_on=TODAY + datetime.timedelta(days=20), **fields
):
    survey = Survey.objects.create(
        municipality=municipality,
        title=fields.pop("title", "子育てメール 読者アンケート"),
        fiscal_year=fields.pop("fiscal_year", 2026),
        opens_on=opens_on,
        closes_on=closes_on,
        **fields,
    )
    Question.objects.bulk_create(
        [
            Question(
                survey=survey, order=1, kind="satisfaction", text="メールの内容に満足していますか"
            ),
            Question(
                survey=survey,
                order=2,
                kind="single",
                text="メールをどのくらい読んでいますか",
                options="毎回読む\nときどき読む\nほとんど読まない",
            ),
            Question(
                survey=survey,
                order=3,
                kind="multiple",
                text="役に立った情報（いくつでも）",
                options="赤ちゃんの成長\n健診・予防接種\n地域のイベント",
                required=False,
            ),
            Question(survey=survey, order=4, kind="text", text="ご意見・ご感想", required=False),
        ]
    )
    return survey


def questions_of(survey):
    satisfaction, frequency, useful, comment = survey.questions.order_by("order")
    return satisfaction, frequency, useful, comment


@pytest.fixture
def survey(town):
    return make_survey(town)
