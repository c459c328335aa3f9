"""One message key reaches one reader once, whatever the channel and whenever the switch.

A reader who received today's message by mail and then switched to LINE (or the other way)
is not sent it again on the new channel by a repeated ``deliver --date``, a re-plan, a survey
sent again or an urgent notice queued again.
"""

import datetime

import pytest
import time_machine
from django.core.management import call_command

from content.stages import add_months
from delivery import dispatch, outbox, planner
from delivery.models import Delivery, SentMessage
from delivery.services import check_stages_sent_again, plan_event_message
from kizuna import clock
from municipalities.models import StaffMembership
from subscribers import services as subscriber_services
from subscribers.models import Subscriber
from surveys import services as survey_services
from tests.delivery.conftest import TODAY, due_for, family, line_user
from tests.staff.conftest import make_user
from tests.surveys.conftest import make_survey
from urgent_notices import services as urgent_services
from urgent_notices.models import UrgentNotice

pytestmark = pytest.mark.django_db

BOTH_WAYS = pytest.mark.parametrize("first", ["email", "line"])


def reader_on(municipality, first: str, **child):
    subscription = family(
        municipality, channel=first, line_user_id=line_user(5), email="hana@example.jp", **child
    )
    return Subscriber.objects.get(pk=subscription.subscriber_id)


def switch(reader: Subscriber) -> None:
    """The reader changes channel on their manage page (the event moves what is queued)."""
    other = "line" if reader.channel == "email" else "email"
    subscriber_services.update_settings(
        reader, nickname=reader.nickname, language=reader.language, channel=other
    )


def received(smtp, line, words: str) -> int:
    mails = [m for m in smtp.messages if words in str(m["Subject"])]
    texts = [t for user, t in line.received if user == line_user(5) and words in t]
    return len(mails) + len(texts)


@BOTH_WAYS
def test_a_stage_message_sent_before_a_switch_is_not_sent_again_by_deliver(
    municipality, texts, smtp, line, morning, capsys, first
):
    reader = reader_on(municipality, first, due=due_for(37))
    call_command("deliver", date=TODAY.isoformat())
    assert received(smtp, line, "妊娠37週") == 1
    switch(reader)
    call_command("deliver", date=TODAY.isoformat())  # documented as safe to repeat
    planner.plan_day(TODAY, [municipality])
    dispatch.dispatch()
    assert received(smtp, line, "妊娠37週") == 1
    assert Delivery.objects.filter(subscriber=reader).count() == 1


@BOTH_WAYS
def test_a_birthday_sent_before_a_switch_is_not_sent_again(
    municipality, texts, smtp, line, morning, first
):
    reader = reader_on(municipality, first, birth=add_months(TODAY, -12))
    planner.plan_day(TODAY, [municipality])
    dispatch.dispatch()
    assert received(smtp, line, "1歳") == 1
    switch(reader)
    call_command("deliver", date=TODAY.isoformat())
    assert received(smtp, line, "1歳") == 1


@BOTH_WAYS
def test_a_special_message_queued_again_after_a_switch_is_not_sent_again(
    municipality, texts, smtp, line, morning, first
):
    reader = reader_on(municipality, first, due=due_for(20))
    subscription = reader.subscriptions.get()
    plan_event_message("birth", [subscription])
    dispatch.dispatch()
    switch(reader)
    plan_event_message("birth", [reader.subscriptions.get()])
    dispatch.dispatch()
    key = str(outbox.MessageKey.for_special("birth", subscription.child_id))
    assert list(Delivery.objects.filter(message_key=key).values_list("status", flat=True)) == [
        "sent"
    ]
    assert received(smtp, line, "birth") == 1


@BOTH_WAYS
def test_a_survey_sent_again_after_a_switch_reaches_nobody_twice(
    municipality, texts, smtp, line, morning, first
):
    reader = reader_on(municipality, first, due=due_for(20))
    survey = make_survey(municipality, opens_on=TODAY)
    assert survey_services.send_survey(survey).added == 1
    dispatch.dispatch()
    switch(reader)
    assert survey_services.pending_count(survey) == 0
    assert survey_services.send_survey(survey).added == 0  # 「配信する」 pressed again
    dispatch.dispatch()
    assert Delivery.objects.filter(message_key=f"survey:{survey.pk}").count() == 1
    assert received(smtp, line, survey.title) == 1


@BOTH_WAYS
def test_an_urgent_notice_queued_again_after_a_switch_reaches_nobody_twice(
    municipality, texts, smtp, line, morning, settings, first
):
    settings.KIZUNA_URGENT_APPROVAL_REQUIRED = False
    reader = reader_on(municipality, first, due=due_for(20))
    author = make_user("koto-author")

    StaffMembership.objects.create(user=author, municipality=municipality, role="editor")
    notice = UrgentNotice.objects.create(
        municipality=municipality,
        created_by=author,
        title="台風の接近に伴う健診の中止",
        body="明日の健診は中止します。",
    )
    urgent_services.submit(notice.pk, by=author)
    dispatch.dispatch()
    switch(reader)
    urgent_services.queue(UrgentNotice.objects.get(pk=notice.pk))
    dispatch.dispatch()
    assert received(smtp, line, "台風") == 1


def test_a_message_queued_before_a_switch_goes_once_on_the_new_channel(
    municipality, texts, smtp, line, morning
):
    reader = reader_on(municipality, "email", due=due_for(30))
    planner.plan_day(TODAY, [municipality])
    switch(reader)  # before the worker took it
    call_command("deliver", date=TODAY.isoformat())
    assert [t for user, t in line.received if "妊娠30週" in t] and not smtp.messages
    assert received(smtp, line, "妊娠30週") == 1


def test_sent_records_after_the_roll_up_stop_a_resend_on_the_new_channel(
    municipality, texts, smtp, line, morning
):
    """A date moved later brings stages round again: the slim sent record (written by mail)
    stops it on LINE too."""
    reader = reader_on(municipality, "email", due=due_for(30))
    child = reader.subscriptions.get().child
    earlier = TODAY - datetime.timedelta(days=7)
    planner.plan_day(earlier, [municipality])  # 妊娠29週 a week ago, by mail
    dispatch.dispatch(due_on=earlier)
    for delivery in Delivery.objects.filter(due_on=earlier, status="sent"):
        SentMessage.objects.create(
            subscriber_id=delivery.subscriber_id,
            due_on=delivery.due_on,
            channel=delivery.channel,
            message_key=delivery.message_key,
        )
    Delivery.objects.filter(due_on=earlier).delete()  # rolled up
    switch(reader)
    # Staff move the due date a week later: today the family enters 妊娠29週 again.
    new_due = child.due_date + datetime.timedelta(days=7)
    check_stages_sent_again(child, child.due_date, new_due, today=TODAY)
    type(child).objects.filter(pk=child.pk).update(due_date=new_due)
    planner.plan_day(TODAY, [municipality])
    dispatch.dispatch()
    assert received(smtp, line, "妊娠29週") == 1
    assert clock.today() == TODAY


def test_a_message_line_may_have_taken_stays_on_line_after_a_switch_to_mail(
    municipality, texts, smtp, line, morning
):
    """LINE took the request but its answer was lost; the reader then switches to mail. The
    retry goes to LINE under the same key (409: it arrived) and no mail repeats it."""
    reader = reader_on(municipality, "line", due=due_for(33), nickname="はな")
    line.faults.plan = ["accept-500"]
    planner.plan_day(TODAY, [municipality])
    assert dispatch.dispatch().outcomes == {"retry": 1}
    switch(reader)
    with time_machine.travel(clock.now() + datetime.timedelta(minutes=5)):
        assert dispatch.dispatch().outcomes == {"sent": 1}
    assert received(smtp, line, "妊娠33週") == 1
    assert Delivery.objects.get(subscriber=reader).channel == "line"
