"""The send gate: where a municipality sends only reviewed texts, an unapproved text never goes out."""

import datetime

import pytest
import time_machine
from django.contrib.auth.models import Group, User

from content.models import SpecialMessage, StageMessage
from delivery import dispatch, planner
from delivery.messages import NOT_REVIEWED
from delivery.models import Delivery
from kizuna import clock
from municipalities.models import CONTENT_EDITORS_GROUP
from reviews import services
from reviews.models import TextVersion
from tests.delivery.conftest import due_for, family, line_user
from tests.reviews.conftest import make_reviewer

pytestmark = pytest.mark.django_db


def approve(text) -> None:
    """Through the real review: an editor submits, a midwife and an obstetrician approve."""
    editor = User.objects.filter(username="gate-editor").first()
    if editor is None:
        editor = User.objects.create_user("gate-editor", is_staff=True)
        editor.groups.add(Group.objects.get_or_create(name=CONTENT_EDITORS_GROUP)[0])
        make_reviewer("gate-midwife", "midwife")
        make_reviewer("gate-obstetrician", "obstetrician")
    version = TextVersion.objects.get(
        text_type__model=text._meta.model_name, text_id=text.pk, current=True
    )
    if version.state == TextVersion.State.DRAFT:
        version = services.submit(version, user=editor)
    for name in ("gate-midwife", "gate-obstetrician"):
        version = services.decide(version, user=User.objects.get(username=name), approve=True)
    assert version.state == TextVersion.State.APPROVED


def week(number: int, audience: str = "everyone") -> StageMessage:
    return StageMessage.objects.get(
        track="pregnancy", unit="week", number=number, audience=audience, language="ja"
    )


def send(municipality):
    planner.plan_day(clock.today(), [municipality])
    return dispatch.dispatch()


@pytest.fixture
def gated(municipality):
    municipality.send_only_reviewed = True
    municipality.save()
    return municipality


def test_an_unapproved_text_is_never_sent_where_approval_is_required(
    gated, texts, smtp, line, morning
):
    family(gated, due=due_for(20))
    family(gated, due=due_for(20), channel="line", line_user_id=line_user(1), email=None)
    report = send(gated)
    assert report.outcomes == {"skipped": 2}
    assert smtp.messages == [] and line.received == []
    assert set(Delivery.objects.values_list("status", "last_error")) == {("skipped", NOT_REVIEWED)}


def test_an_approved_text_is_sent(gated, texts, smtp, morning):
    approve(week(20))
    family(gated, due=due_for(20))
    assert send(gated).outcomes == {"sent": 1}
    assert smtp.messages[0]["Subject"].startswith("妊娠20週")


def test_an_edit_after_approval_is_not_sent_until_it_is_approved_again(gated, texts, smtp, morning):
    text = week(20)
    approve(text)
    text.body = text.body + "\n## 追記\n承認後に書き足した一文。"
    text.save()
    family(gated, due=due_for(20))
    assert send(gated).outcomes == {"skipped": 1}
    assert smtp.messages == []
    approve(text)
    Delivery.objects.update(status="planned", last_error="")
    assert dispatch.dispatch().outcomes == {"sent": 1}
    assert "承認後に書き足した一文" in smtp.messages[0].get_body(("plain",)).get_content()


def test_an_edit_between_planning_and_sending_is_caught_when_composing(gated, texts, smtp, morning):
    text = week(20)
    approve(text)
    family(gated, due=due_for(20))
    planner.plan_day(clock.today(), [gated])
    StageMessage.objects.filter(pk=text.pk).update(body=text.body + "\n書き換え")
    assert dispatch.dispatch().outcomes == {"skipped": 1}
    assert smtp.messages == []


def test_a_partner_gets_the_approved_text_for_everyone_not_their_unapproved_variant(
    gated, texts, smtp, morning
):
    approve(week(20))
    partner = family(gated, relationship="partner", due=due_for(20))
    assert send(gated).outcomes == {"sent": 1}
    [message] = smtp.messages
    assert message["To"] == partner.subscriber.email
    assert "支えてあげてください" not in message.get_body(("plain",)).get_content()


def test_the_message_after_a_loss_is_gated_like_any_other(gated, texts, smtp, morning):
    from subscribers import services as subscriber_services

    subscription = family(gated, due=due_for(20))
    subscriber_services.report_loss(subscription.child_id, "miscarriage")
    assert dispatch.dispatch().outcomes == {"skipped": 1}
    assert Delivery.objects.get().last_error == NOT_REVIEWED
    approve(SpecialMessage.objects.get(kind="loss"))
    Delivery.objects.update(status="planned", last_error="")
    assert dispatch.dispatch().outcomes == {"sent": 1}


def test_a_municipality_that_chose_to_send_unreviewed_texts_sends_them(
    municipality, texts, smtp, morning
):
    assert municipality.send_only_reviewed is False  # chosen (DEBUG in tests), and recorded
    family(municipality, due=due_for(20))
    assert send(municipality).outcomes == {"sent": 1}


def test_a_daily_municipality_sends_the_approved_weekly_anchor_and_nothing_on_an_unapproved_day(
    gated, texts, smtp, morning
):
    # The daily programme (the factory's cadence): between the weekly anchors, a text a day.
    from content.programme import programme_from
    from content.stages import Stage, Track, Unit
    from tests.delivery.conftest import stage_text

    assert Stage(Track.PREGNANCY, Unit.DAY, 143) in programme_from(gated).stages()
    for day in range(141, 147):  # 妊娠20週1日 … 20週6日
        stage_text("pregnancy", "day", day)
    approve(week(20))
    approve(StageMessage.objects.get(track="pregnancy", unit="day", number=141))
    on_anchor = family(gated, due=due_for(20))  # enters 20週0日 today
    on_approved_step = family(gated, due=due_for(20) - datetime.timedelta(days=1))  # 20週1日
    on_unapproved_step = family(gated, due=due_for(20) - datetime.timedelta(days=3))  # 20週3日

    assert send(gated).outcomes == {"sent": 2, "skipped": 1}
    by_reader = {d.subscriber_id: d for d in Delivery.objects.all()}
    assert by_reader[on_anchor.subscriber_id].message_key.endswith(":pregnancy:week:20")
    assert by_reader[on_approved_step.subscriber_id].status == "sent"
    skipped = by_reader[on_unapproved_step.subscriber_id]
    assert skipped.message_key.endswith(":pregnancy:day:143")
    assert (skipped.status, skipped.last_error) == ("skipped", NOT_REVIEWED)
    # The unapproved day's reader got neither that text nor another day's: nothing, with a reason
    # the dashboard counts; the week's text they already had on 20週0日.
    assert {m["To"] for m in smtp.messages} == {
        on_anchor.subscriber.email,
        on_approved_step.subscriber.email,
    }

    # Four days on, the unapproved family enters 21週0日: the approved anchor goes out.
    approve(week(21))
    with time_machine.travel(clock.now() + datetime.timedelta(days=4), tick=True):
        send(gated)
        latest = Delivery.objects.filter(subscriber_id=on_unapproved_step.subscriber_id).latest(
            "due_on"
        )
        assert latest.message_key.endswith(":pregnancy:week:21")
        assert latest.status == "sent"


def test_the_outlook_follows_the_cadence_a_weekly_municipality_never_enters_the_daily_steps(
    gated, texts, morning
):
    from reviews import selectors
    from tests.delivery.conftest import stage_text
    from tests.factories import WEEKLY_THEN_MONTHLY, MunicipalityFactory

    for day in range(141, 147):
        stage_text("pregnancy", "day", day)
    for number in range(4, 43):
        approve(week(number))
    weekly = MunicipalityFactory(send_only_reviewed=True, **WEEKLY_THEN_MONTHLY)
    family(gated, due=due_for(20) - datetime.timedelta(days=3))  # 20週3日 today: unapproved
    family(weekly, due=due_for(20) - datetime.timedelta(days=3))
    [today] = selectors.held_back_forecast(None, clock.today(), days=1)
    assert today.stages == [("妊娠20週3日", 1)]
    assert selectors.held_back_forecast([weekly.pk], clock.today()) == []
