"""/healthz for external monitors: every state it can report."""

import datetime
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine

from delivery import heartbeats, stats
from kizuna import clock
from tests.factories import MunicipalityFactory
from tests.fakes import free_port
from tests.operations.conftest import NOW, TODAY, deliveries

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def health(client):
    response = client.get("/healthz")
    assert response["Content-Type"] == "application/json"
    return response.status_code, json.loads(response.content)


def test_healthy_when_everything_answers_and_keeps_up(client, now):
    heartbeats.beat(heartbeats.TICK)
    status, body = health(client)
    assert status == 200
    assert body["status"] == "ok" and body["failing"] == []
    assert set(body["checks"]) == {"database", "redis", "planner", "backlog"}


def test_a_planner_that_never_ticked_is_unhealthy(client, now):
    status, body = health(client)
    assert status == 503
    assert body["failing"] == ["planner"]
    assert body["checks"]["planner"]["detail"] == "the planner has never ticked"


def test_a_stale_tick_is_unhealthy(client, now, settings):
    heartbeats.beat(heartbeats.TICK)
    with time_machine.travel(NOW + datetime.timedelta(seconds=301), tick=False):
        status, body = health(client)
    assert status == 503 and body["failing"] == ["planner"]
    assert "301 s ago (limit 300 s)" in body["checks"]["planner"]["detail"]


def test_an_old_backlog_is_unhealthy_unless_its_municipality_is_paused(client, now):
    heartbeats.beat(heartbeats.TICK)
    municipality = MunicipalityFactory()
    deliveries(municipality, TODAY, "planned", 2, next_attempt_at=NOW - datetime.timedelta(hours=2))
    stats.recount_open_days()
    status, body = health(client)
    assert status == 503 and body["failing"] == ["backlog"]
    detail = body["checks"]["backlog"]["detail"]
    assert detail == "2 unsent, oldest due waiting 7200 s (limit 3600 s)"
    municipality.paused = True
    municipality.save()
    assert health(client)[0] == 200


def test_a_long_backlog_is_unhealthy(client, now, settings):
    settings.KIZUNA_HEALTH_BACKLOG_MAX = 2
    heartbeats.beat(heartbeats.TICK)
    deliveries(MunicipalityFactory(), TODAY, "planned", 3)
    assert health(client)[0] == 200  # counted once a minute: not yet
    stats.recount_open_days()
    status, body = health(client)
    assert status == 503 and body["failing"] == ["backlog"]
    assert "(limit 2 deliveries)" in body["checks"]["backlog"]["detail"]


def test_redis_down_is_unhealthy_and_answers_quickly(client, now, settings):
    heartbeats.beat(heartbeats.TICK)
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    status, body = health(client)
    assert status == 503 and body["failing"] == ["redis"]
    assert "ConnectionError" in body["checks"]["redis"]["detail"]


def test_database_down_is_unhealthy_not_an_error_page():
    """A real process whose database refuses connections."""
    script = (
        "import django, json; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/healthz');"
        "print(r.status_code, r.content.decode())"
    )
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{free_port()}/kizuna",
        "DJANGO_SETTINGS_MODULE": "kizuna.settings",
        "DEBUG": "true",
        "ALLOWED_HOSTS": "testserver",
    }
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    status, _, body = result.stdout.strip().partition(" ")
    assert status == "503", result.stderr[-2000:]
    body = json.loads(body)
    assert "database" in body["failing"] and "redis" not in body["failing"]
    assert body["checks"]["database"]["ok"] is False


def test_healthz_reveals_no_settings(client, now):
    heartbeats.beat(heartbeats.TICK)
    text = client.get("/healthz").content.decode()
    assert "redis://" not in text and "postgres" not in text
    assert clock.today() == TODAY
