"""The national check reminder: planned set-based with the day, on the right day, folded into
the stage text when one goes out that day, a message of its own otherwise, never after a loss."""

import datetime

import pytest

from checkups.models import CheckupSettings
from delivery import dispatch, planner
from delivery.models import Delivery
from kizuna import clock
from subscribers import services as subscriber_services
from subscribers.models import Child
from tests.delivery.conftest import TODAY, family

pytestmark = pytest.mark.django_db

LOSS = Child.Loss.values[-1]


def _settings(municipality, **fields):
    return CheckupSettings.objects.create(municipality=municipality, reminders_on=True, **fields)


def _text(message):
    return message.get_body(preferencelist=("plain",)).get_content()


def test_reminder_is_planned_lead_days_before_the_window(municipality, smtp, morning):
    _settings(municipality, lead_days=7, checks=[2])
    # 3 months after 2026-09-01 is 2026-12-01, seven days after today.
    due = family(municipality, birth=datetime.date(2026, 9, 1))
    family(municipality, birth=datetime.date(2026, 9, 2))  # one day too young
    family(municipality, birth=datetime.date(2026, 8, 31))  # one day too old
    dry = planner.plan_day(clock.today(), [municipality], dry_run=True)
    assert dry.planned["checkup"] == 1 and not Delivery.objects.exists()

    planned = planner.plan_day(clock.today(), [municipality])
    assert planned.planned["checkup"] == 1
    [row] = Delivery.objects.filter(message_key__contains=":checkup:")
    assert row.message_key == f"c{due.child_id}:checkup:2"
    assert row.due_on == TODAY
    assert planner.plan_day(clock.today(), [municipality]).planned["checkup"] == 0

    assert dispatch.dispatch().outcomes == {"sent": 1}
    [message] = smtp.messages
    assert message["Subject"].strip() == "3〜4か月児健診の時期が近づいています"
    assert "12月1日（火）から1月31日（日）ごろまで" in _text(message)


def test_reminder_folds_into_the_stage_text_of_the_same_day(municipality, texts, smtp, morning):
    _settings(municipality, lead_days=0, checks=[2], note="予約は保健センター（03-0000-0000）へ。")
    # Born 2026-08-24: 3 months old today, the day of the 生後3か月 stage text.
    family(municipality, birth=datetime.date(2026, 8, 24))
    planned = planner.plan_day(clock.today(), [municipality])
    assert planned.planned["checkup"] == 1 and planned.planned["stage"] == 1
    assert dispatch.dispatch().outcomes == {"sent": 1}
    [message] = smtp.messages
    assert message["Subject"].strip().startswith("生後")
    text = _text(message)
    assert text.index("保健センターへどうぞ") < text.index("3〜4か月児健診の時期が近づいています")
    assert "予約は保健センター（03-0000-0000）へ。" in text
    folded = Delivery.objects.get(message_key__contains=":checkup:")
    assert folded.provider_message_id.startswith("folded-into:")


def test_reminders_off_or_check_not_chosen_plan_nothing(municipality, morning):
    CheckupSettings.objects.create(municipality=municipality, reminders_on=False, lead_days=7)
    family(municipality, birth=datetime.date(2026, 9, 1))
    assert planner.plan_day(clock.today(), [municipality]).planned["checkup"] == 0
    CheckupSettings.objects.filter(municipality=municipality).update(reminders_on=True, checks=[5])
    assert planner.plan_day(clock.today(), [municipality]).planned["checkup"] == 0


def test_no_reminder_is_planned_after_a_loss(municipality, morning):
    _settings(municipality, lead_days=7, checks=[2])
    followed = family(municipality, birth=datetime.date(2026, 9, 1))
    subscriber_services.report_loss(followed.child_id, LOSS)
    assert planner.plan_day(clock.today(), [municipality]).planned["checkup"] == 0


def test_a_reminder_planned_before_a_loss_is_never_sent(municipality, smtp, morning):
    _settings(municipality, lead_days=7, checks=[2])
    followed = family(municipality, birth=datetime.date(2026, 9, 1))
    planner.plan_day(clock.today(), [municipality])
    # Lost after planning, without the outbox's own cancelling (a report racing the send):
    # compose still refuses it.
    Child.objects.filter(pk=followed.child_id).update(status=Child.Status.LOST, loss=LOSS)
    dispatch.dispatch()
    assert not any("健診" in m["Subject"] for m in smtp.messages)
    row = Delivery.objects.get(message_key__contains=":checkup:")
    assert row.status == Delivery.Status.SKIPPED
