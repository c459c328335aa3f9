"""Nicknames against multicasts on LINE: the municipality chooses, and the forecast shows what
each choice costs in requests (LINE counts the same messages either way)."""

import datetime

import pytest
from django.core.management import call_command

from delivery import dispatch, planner, stats
from delivery.models import ForecastCount
from operations import selectors
from tests.delivery.conftest import TODAY, due_for, family, line_user

pytestmark = pytest.mark.django_db


def thirty_line_readers(municipality, on=TODAY):
    """30 readers at one stage, a third of them with a nickname of their own."""
    for n in range(30):
        family(
            municipality,
            due=due_for(20, on=on),
            channel="line",
            line_user_id=line_user(n),
            email=None,
            nickname=f"ママ{n}" if n % 3 == 0 else "",
        )


def test_with_nicknames_each_named_reader_costs_a_push(municipality, texts, line, morning):
    thirty_line_readers(municipality)
    planner.plan_day(TODAY, [municipality])
    assert dispatch.dispatch().outcomes == {"sent": 30}
    assert dict(line.requests) == {"/v2/bot/message/multicast": 1, "/v2/bot/message/push": 10}
    assert any("ママ0" in text for _, text in line.received)


def test_one_multicast_per_stage_when_the_municipality_chooses_it(
    municipality, texts, line, morning
):
    municipality.line_nicknames = False
    municipality.save()
    thirty_line_readers(municipality)
    planner.plan_day(TODAY, [municipality])
    assert dispatch.dispatch().outcomes == {"sent": 30}
    assert dict(line.requests) == {"/v2/bot/message/multicast": 1}
    assert len(line.received) == 30
    assert not any("ママ" in text for _, text in line.received)


def test_mail_keeps_the_nickname_whatever_the_line_setting(municipality, texts, smtp, morning):
    municipality.line_nicknames = False
    municipality.save()
    family(municipality, due=due_for(20), nickname="はな")
    planner.plan_day(TODAY, [municipality])
    dispatch.dispatch()
    [mail] = smtp.messages
    assert "はな" in mail.get_body(preferencelist=("plain",)).get_content()


def test_the_forecast_shows_the_requests_of_both_ways_and_stores_the_chosen_one(
    municipality, texts, morning, capsys
):
    tomorrow = TODAY + datetime.timedelta(days=1)
    thirty_line_readers(municipality, on=tomorrow)
    call_command("forecast", days=2)
    out = capsys.readouterr().out
    assert "江東区 2日間の合計: メール 0 通、LINE 30 通" in out
    assert "ニックネームで呼びかけると 11 回、時期ごとにまとめて送信すると 1 回" in out
    assert "現在の設定: ニックネーム" in out
    assert ForecastCount.objects.get(day=tomorrow, channel="line").requests == 11

    municipality.line_nicknames = False
    municipality.save()
    stats.refresh_forecast(tomorrow, 2)
    assert ForecastCount.objects.get(day=tomorrow, channel="line").requests == 1
    forecast = selectors.forecast([municipality.pk])
    assert (forecast.line_total, forecast.line_requests) == (30, 1)
