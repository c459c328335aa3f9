"""Structured logs: JSON lines with each planning run's and send batch's counts and durations."""

import json
import logging

import pytest

from delivery import dispatch, heartbeats, planner, tasks
from delivery.models import Heartbeat
from kizuna import clock
from kizuna.logs import JsonFormatter
from tests.delivery.conftest import due_for, family

pytestmark = pytest.mark.django_db


def test_json_lines_carry_the_extra_fields():
    record = logging.makeLogRecord(
        {"name": "delivery.planner", "levelname": "INFO", "msg": "planned %d", "args": (3,)}
    )
    record.event, record.planned, record.seconds = "plan_day", {"stage": 3}, 0.25
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "planned 3"
    assert (line["event"], line["planned"], line["seconds"]) == ("plan_day", {"stage": 3}, 0.25)
    assert line["level"] == "INFO" and line["logger"] == "delivery.planner"


def test_planning_and_sending_log_their_counts_and_durations(
    municipality, texts, smtp, morning, caplog
):
    family(municipality, due=due_for(20))
    family(municipality, due=due_for(21))
    with caplog.at_level("INFO"):
        planner.plan_day(clock.today(), [municipality])
        dispatch.dispatch()
    events = {getattr(r, "event", None): r for r in caplog.records}
    plan = events["plan_day"]
    assert plan.total == 2 and plan.planned["stage"] == 2 and plan.seconds >= 0
    batch = events["send_batch"]
    assert batch.size == 2 and batch.outcomes == {"sent": 2} and batch.seconds >= 0
    formatted = json.loads(JsonFormatter().format(batch))
    assert formatted["event"] == "send_batch" and formatted["outcomes"] == {"sent": 2}


def test_the_tick_leaves_a_heartbeat_with_its_counts(municipality, texts, morning, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    tasks.tick()
    beat = Heartbeat.objects.get(name=heartbeats.TICK)
    assert beat.detail["planned"] == 0 and beat.at == clock.now().replace(
        microsecond=beat.at.microsecond
    )


def test_json_logging_is_chosen_by_setting():
    from django.conf import settings

    assert settings.LOGGING["formatters"]["json"]["()"] == "kizuna.logs.JsonFormatter"
