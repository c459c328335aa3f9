"""Reminders planned with the day's messages: on the right day, folded into the stage text or
alone, stopped once the dose is recorded, and never after a loss."""

import datetime

import pytest

from delivery import dispatch, planner
from delivery.models import Delivery
from kizuna import clock
from subscribers import services as subscriber_services
from tests.delivery.conftest import TODAY, due_for, family
from vaccinations import services
from vaccinations.models import DoseRecord, ReminderSettings

from .conftest import NOTE

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
# 生後2か月 on Dec 1, 2026 = TODAY (Nov 24) + 7 days.
TWO_MONTHS_NEXT_WEEK = datetime.date(2026, 10, 1)
# The day before the first birthday (B型肝炎, BCG) is Dec 24 = TODAY + 30 days.
ONE_YEAR_IN_A_MONTH = datetime.date(2025, 12, 25)


def plan(on=None, municipality=None, **kwargs):
    return planner.plan_day(on or clock.today(), [municipality], **kwargs)


def body_of(message):
    return message.get_body(preferencelist=("plain",)).get_content()


def test_the_week_before_two_months_a_reminder_goes_alone(
    municipality, texts, smtp, morning, reminders_on
):
    reader = family(municipality, birth=TWO_MONTHS_NEXT_WEEK)
    assert plan(TODAY - DAY, municipality).planned["vaccine"] == 0
    dry = plan(municipality=municipality, dry_run=True)
    assert dry.planned["vaccine"] == 1 and not Delivery.objects.exists()
    assert plan(municipality=municipality).planned["vaccine"] == 1
    assert plan(municipality=municipality).total == 0  # planned once
    assert plan(TODAY + DAY, municipality).planned["vaccine"] == 0

    assert dispatch.dispatch().outcomes == {"sent": 1}
    [message] = smtp.messages
    assert message["Subject"] == "来週から受けられる予防接種"
    text = body_of(message)
    for name in (
        "B型肝炎 1回目",
        "ロタウイルス（1価または5価） 1回目",
        "五種混合",
        "小児肺炎球菌 初回 1回目",
    ):
        assert name in text
    assert "BCG" not in text  # its standard time starts at 5 months
    assert "12月1日（火）から" in text
    assert "かかりつけの小児科" in text and NOTE in text
    assert "/vaccinations/" in text
    delivery = Delivery.objects.get()
    assert delivery.child_id == reader.child_id


def test_a_reminder_due_with_a_stage_text_is_a_section_of_it(
    municipality, texts, smtp, morning, reminders_on
):
    # 妊娠27週0日 today: the RSV vaccine opens in a week, at 28週0日.
    family(municipality, due=due_for(27))
    assert +plan(municipality=municipality).planned == {"stage": 1, "vaccine": 1}
    assert dispatch.dispatch().outcomes == {"sent": 1}
    [message] = smtp.messages
    assert message["Subject"].startswith("妊娠27週")
    text = body_of(message)
    assert text.index("保健センター") < text.index("RSウイルスワクチンの定期接種")
    assert "妊婦健診を受けている医療機関" in text
    vaccine = Delivery.objects.get(message_key__contains=":vaccine:")
    assert vaccine.provider_message_id.startswith("folded-into:")


def test_a_month_before_the_last_day_the_deadline_reminder(
    municipality, texts, smtp, morning, reminders_on
):
    family(municipality, birth=ONE_YEAR_IN_A_MONTH)
    assert plan(municipality=municipality).planned["vaccine"] == 1
    dispatch.dispatch()
    [message] = smtp.messages
    assert message["Subject"].strip() == "B型肝炎などの接種期限まであと1か月"
    text = body_of(message)
    assert "2026年12月24日（木）まで" in text
    assert "BCG" in text


def test_recorded_doses_stop_their_reminders(municipality, texts, smtp, morning, reminders_on):
    reader = family(municipality, birth=ONE_YEAR_IN_A_MONTH)
    child = reader.child
    for dose, day in [
        ("hepb-1", datetime.date(2026, 2, 25)),
        ("hepb-2", datetime.date(2026, 3, 25)),
        ("hepb-3", datetime.date(2026, 8, 25)),
    ]:
        services.record_dose(child=child, dose=dose, given_on=day, by=reader.subscriber)
    assert plan(municipality=municipality).planned["vaccine"] == 1  # BCG is left
    services.record_dose(
        child=child, dose="bcg-1", given_on=datetime.date(2026, 6, 1), by=reader.subscriber
    )
    # Recorded after the plan, before sending: the reminder is skipped, nothing goes out.
    assert dispatch.dispatch().outcomes == {"skipped": 1}
    assert smtp.messages == []
    assert "記録済み" in Delivery.objects.get().last_error


def test_all_recorded_before_the_plan_nothing_is_planned(
    municipality, texts, morning, reminders_on
):
    reader = family(municipality, birth=ONE_YEAR_IN_A_MONTH)
    for dose, day in [
        ("hepb-1", datetime.date(2026, 2, 25)),
        ("hepb-2", datetime.date(2026, 3, 25)),
        ("hepb-3", datetime.date(2026, 8, 25)),
        ("bcg-1", datetime.date(2026, 6, 1)),
    ]:
        services.record_dose(child=reader.child, dose=dose, given_on=day, by=reader.subscriber)
    assert plan(municipality=municipality).planned["vaccine"] == 0


def test_a_recorded_first_dose_brings_the_next_on_its_interval(
    municipality, texts, smtp, morning, reminders_on
):
    # B型肝炎 1回目 on Nov 4: the 2nd may be given 27 days later, Dec 1 = TODAY + 7.
    reader = family(municipality, birth=datetime.date(2026, 8, 1))
    services.record_dose(
        child=reader.child, dose="hepb-1", given_on=datetime.date(2026, 11, 4), by=reader.subscriber
    )
    assert plan(municipality=municipality).planned["vaccine"] == 1
    dispatch.dispatch()
    [message] = smtp.messages
    text = body_of(message)
    assert "B型肝炎 2回目" in text and "B型肝炎 1回目" not in text


def test_a_late_first_dose_moves_the_reminder_of_the_next(
    municipality, texts, morning, reminders_on
):
    reader = family(municipality, birth=datetime.date(2026, 8, 1))
    services.record_dose(
        child=reader.child,
        dose="hepb-1",
        given_on=datetime.date(2026, 11, 10),
        by=reader.subscriber,
    )
    assert plan(municipality=municipality).planned["vaccine"] == 0
    # Nov 10 + 27 days = Dec 7: reminded on Nov 30.
    assert plan(datetime.date(2026, 11, 30), municipality).planned["vaccine"] == 1


def test_reminders_are_off_until_the_municipality_turns_them_on(municipality, texts, morning):
    family(municipality, birth=TWO_MONTHS_NEXT_WEEK)
    assert plan(municipality=municipality).planned["vaccine"] == 0
    settings = ReminderSettings.of(municipality)
    assert settings.reminders_on is False
    settings.reminders_on = True
    settings.opens_lead_days = 14
    settings.save()
    assert plan(municipality=municipality).planned["vaccine"] == 0  # two weeks ahead now
    assert plan(TODAY - 7 * DAY, municipality).planned["vaccine"] == 1


def test_after_a_childs_death_nothing_about_vaccinations_is_planned_or_sent(
    municipality, texts, smtp, morning, reminders_on
):
    reader = family(municipality, birth=TWO_MONTHS_NEXT_WEEK)
    other = family(municipality, birth=TWO_MONTHS_NEXT_WEEK)
    assert plan(municipality=municipality).planned["vaccine"] == 2
    subscriber_services.report_loss(reader.child_id, "infant_death")
    dispatch.dispatch()
    to_reader = [m for m in smtp.messages if m["To"] == reader.subscriber.email]
    to_other = [m for m in smtp.messages if m["To"] == other.subscriber.email]
    assert [m["Subject"] for m in to_reader] == ["loss"]  # the message written for a loss only
    assert not any("予防接種" in body_of(m) for m in to_reader)
    assert [m["Subject"] for m in to_other] == ["来週から受けられる予防接種"]
    lost = Delivery.objects.get(child=reader.child, message_key__contains=":vaccine:")
    assert lost.status != "sent"
    # Never planned again, and nothing can be recorded for the child.
    Delivery.objects.filter(child=reader.child).delete()
    assert plan(TODAY + 30 * DAY, municipality).planned["vaccine"] == 0
    with pytest.raises(services.RecordError):
        services.record_dose(
            child=reader.child, dose="hepb-1", given_on=TODAY, by=reader.subscriber
        )
    assert not DoseRecord.objects.exists()


def test_no_rsv_reminder_after_a_pregnancy_loss(municipality, texts, smtp, morning, reminders_on):
    reader = family(municipality, due=due_for(27))
    subscriber_services.report_loss(reader.child_id, "stillbirth")
    assert plan(municipality=municipality).planned["vaccine"] == 0
    # Planned before the loss was reported: skipped at sending.
    other = family(municipality, due=due_for(27))
    assert plan(municipality=municipality).planned["vaccine"] == 1
    subscriber_services.report_loss(other.child_id, "stillbirth")
    dispatch.dispatch()
    assert not any("RSウイルス" in body_of(m) for m in smtp.messages)
