"""The questionnaire goes out on its stage, folded into the day's message, once; never after a
loss in the family."""

import datetime
import re

import pytest

from delivery import dispatch, planner
from delivery.models import Delivery
from followups.demo import EIGHT_MONTHS
from followups.models import Response
from followups.services import import_questionnaire, submit_answers
from kizuna import clock
from subscribers import services as subscriber_services
from tests.delivery.conftest import due_for, family, line_user
from tests.factories import SubscriptionFactory

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://\S+/q/[^/\s]+/")


@pytest.fixture
def questionnaire(municipality):
    return import_questionnaire(municipality, EIGHT_MONTHS)  # 妊娠30週0日


def keys():
    return sorted(Delivery.objects.values_list("message_key", "status"))


def test_sent_on_its_stage_inside_the_stage_message_with_the_familys_own_link(
    municipality, texts, smtp, morning, questionnaire
):
    due = family(municipality, due=due_for(30), nickname="はな")
    family(municipality, due=due_for(29))  # enters week 29: the stage text only
    family(municipality, due=due_for(31))

    dry = planner.plan_day(clock.today(), [municipality], dry_run=True)
    assert dry.planned["questionnaire"] == 1 and not Delivery.objects.exists()
    planned = planner.plan_day(clock.today(), [municipality])
    assert planned.planned["questionnaire"] == 1 and planned.planned["stage"] == 3
    assert planner.plan_day(clock.today(), [municipality]).total == 0  # once

    assert dispatch.dispatch().outcomes == {"sent": 3}
    mail = next(m for m in smtp.messages if m["To"] == due.subscriber.email)
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert mail["Subject"].startswith("妊娠30週")  # the stage text leads the one message
    assert "8か月アンケート" in text and "保健師" in text
    [link] = LINK.findall(text)
    row = Delivery.objects.get(message_key=f"c{due.child_id}:questionnaire:{questionnaire.pk}")
    assert row.provider_message_id.startswith("folded-into:")

    # The next day it is not planned again, and other families never get it.
    tomorrow = clock.today() + datetime.timedelta(days=1)
    assert planner.plan_day(tomorrow, [municipality]).planned["questionnaire"] == 0
    assert Delivery.objects.filter(message_key__contains=":questionnaire:").count() == 1
    assert link.startswith("http")


def test_on_line_the_text_carries_the_link(municipality, texts, line, morning, questionnaire):
    reader = family(
        municipality, due=due_for(30), channel="line", line_user_id=line_user(1), email=None
    )
    planner.plan_day(clock.today(), [municipality])
    assert dispatch.dispatch().outcomes == {"sent": 1}
    [(user, text)] = line.received
    assert user == reader.subscriber.line_user_id
    assert "8か月アンケート" in text and LINK.search(text)


def test_not_planned_for_a_family_after_a_loss_nor_for_its_other_child(
    municipality, texts, smtp, morning, questionnaire
):
    lost = family(municipality, due=due_for(30))
    subscriber_services.report_loss(lost.child_id, "miscarriage")
    # A parent who lost one pregnancy and follows another child at the stage: nothing either.
    twin_parent = family(municipality, due=due_for(12))
    subscriber_services.report_loss(twin_parent.child_id, "miscarriage")
    SubscriptionFactory(
        subscriber=twin_parent.subscriber,
        child__municipality=municipality,
        child__due_date=due_for(30),
        child__status="expecting",
    )
    planned = planner.plan_day(clock.today(), [municipality])
    assert planned.planned["questionnaire"] == 0
    assert not Delivery.objects.filter(message_key__contains=":questionnaire:").exists()


def test_a_loss_reported_after_planning_skips_the_queued_questionnaire(
    municipality, texts, smtp, morning, questionnaire
):
    reader = family(municipality, due=due_for(30))
    planner.plan_day(clock.today(), [municipality])
    subscriber_services.report_loss(reader.child_id, "stillbirth")
    queued = Delivery.objects.get(message_key__contains=":questionnaire:")
    assert queued.status == Delivery.Status.SKIPPED
    dispatch.dispatch()
    sent = "".join(m.as_string() for m in smtp.messages)
    assert "questionnaire" not in sent and "/q/" not in sent


def test_a_family_that_has_answered_is_not_sent_it_again_after_a_date_change(
    municipality, texts, smtp, morning, questionnaire
):
    reader = family(municipality, due=due_for(30))
    submit_answers(questionnaire, reader.subscriber, reader.child, {})
    assert Response.objects.count() == 1
    assert planner.plan_day(clock.today(), [municipality]).planned["questionnaire"] == 0


def test_child_stage_questionnaires_follow_the_birth_date(municipality, texts, smtp, morning):
    two_weeks = import_questionnaire(
        municipality,
        {
            "title": "生後2週のアンケート",
            "stage": {"track": "child", "unit": "day", "number": 14},
            "questions": [{"kind": "text", "text": "いかがですか", "required": False}],
        },
    )
    born = family(municipality, birth=clock.today() - datetime.timedelta(days=14))
    family(municipality, birth=clock.today() - datetime.timedelta(days=13))
    # Expecting with that due date (no birth reported): not a child stage yet.
    family(municipality, due=clock.today() - datetime.timedelta(days=14))
    assert planner.plan_day(clock.today(), [municipality]).planned["questionnaire"] == 1
    assert Delivery.objects.filter(
        message_key=f"c{born.child_id}:questionnaire:{two_weeks.pk}"
    ).exists()
