"""Never a silent gap: the coverage page, the 30-day outlook and today's count on the dashboard."""

import pytest
from django.contrib.auth.models import User

from content.models import StageMessage
from content.selectors import stage_coverage
from delivery import dispatch, planner
from delivery.messages import NOT_REVIEWED
from kizuna import clock
from reviews import selectors
from tests.delivery.conftest import due_for, family
from tests.reviews.test_send_gate import approve

pytestmark = pytest.mark.django_db


def week(number: int) -> StageMessage:
    return StageMessage.objects.get(
        track="pregnancy", unit="week", number=number, audience="everyone"
    )


def test_the_coverage_report_lists_published_stages_without_approval(texts):
    approve(week(20))
    [row] = [r for r in stage_coverage() if (r.language, r.audience) == ("ja", "everyone")]
    labels = [gap.label for gap in row.unreviewed]
    assert "妊娠20週" not in labels and "妊娠21週" in labels
    assert row.approved == 1


def test_the_coverage_page_shows_them(client, texts, editor):
    client.force_login(editor)
    page = client.get("/staff/coverage/").content.decode()
    assert "医療監修で承認されていないステージ" in page and "妊娠21週" in page


def test_the_outlook_names_the_days_and_stages_held_back(municipality, texts, morning):
    municipality.send_only_reviewed = True
    municipality.save()
    approve(week(21))
    family(municipality, due=due_for(20))  # enters week 21 in 7 days, week 22 in 14
    outlook = selectors.held_back_forecast(None, clock.today(), days=15)
    assert [(d.day - clock.today()).days for d in outlook] == [0, 14]
    assert outlook[0].stages == [("妊娠20週", 1)] and outlook[1].stages == [("妊娠22週", 1)]


def test_municipalities_sending_unreviewed_texts_hold_nothing_back(municipality, texts, morning):
    family(municipality, due=due_for(20))
    assert selectors.held_back_forecast(None, clock.today()) == []


def test_the_dashboard_counts_todays_readers_without_a_stage_text_and_why(
    client, municipality, texts, smtp, morning
):
    municipality.send_only_reviewed = True
    municipality.save()
    family(municipality, due=due_for(20))
    family(municipality, due=due_for(20))
    planner.plan_day(clock.today(), [municipality])
    dispatch.dispatch()
    [missing] = selectors.missing_stage_texts(None, clock.today())
    assert (missing.reason, missing.readers) == (NOT_REVIEWED, 2)
    operator = User.objects.create_superuser("ops", password="x")
    client.force_login(operator)
    page = client.get("/ops/").content.decode()
    assert "今日、段階の本文が届かなかった読者" in page and NOT_REVIEWED in page
    assert "妊娠21週" in page  # tomorrow onwards: the outlook
