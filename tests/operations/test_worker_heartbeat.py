"""/ops/ counts the workers that are running, whatever the broker: each worker records a
heartbeat in the database, and removes it when it stops."""

import datetime
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import time_machine
from django.conf import settings
from django.test import Client

from delivery import heartbeats
from delivery.models import Heartbeat
from kizuna import clock
from municipalities.models import OPERATORS_GROUP
from operations import heartbeat
from tests.staff.conftest import make_user

ROOT = Path(__file__).resolve().parents[2]


def _operator_client() -> Client:
    client = Client()
    client.force_login(make_user("operator", groups=[OPERATORS_GROUP]))
    return client


def _wait_for(condition, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.5)
    return False


def test_a_worker_on_the_filesystem_broker_is_counted_and_forgotten_when_it_stops(
    transactional_db, tmp_path
):
    database = settings.DATABASES["default"]
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}  # `make run`'s broker
    env.update(
        DEBUG="true",
        KIZUNA_VAR_DIR=str(tmp_path / "var"),
        DATABASE_URL=f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/"
        f"{database['NAME']}",
        KIZUNA_WORKER_HEARTBEAT_SECONDS="2",
    )
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "kizuna",
            "worker",
            "--pool=solo",
            "-n",
            "demo@test",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    client = _operator_client()
    try:
        assert _wait_for(lambda: Heartbeat.objects.filter(name="worker:demo@test").exists())
        page = client.get("/ops/workers/").content.decode()
        assert "demo@test" in page
        assert "動いているワーカーはありません" not in page
        beat = Heartbeat.objects.get(name="worker:demo@test").at
        assert _wait_for(lambda: Heartbeat.objects.get(name="worker:demo@test").at > beat, 20)
    finally:
        worker.send_signal(signal.SIGTERM)
        _, errors = worker.communicate(timeout=60)
    assert not Heartbeat.objects.filter(name="worker:demo@test").exists(), errors
    assert "動いているワーカーはありません" in client.get("/ops/workers/").content.decode()


def test_a_worker_silent_for_three_intervals_is_no_longer_counted(db, settings):
    settings.KIZUNA_WORKER_HEARTBEAT_SECONDS = 30
    now = datetime.datetime(2026, 11, 24, 10, 0, tzinfo=clock.TOKYO)
    with time_machine.travel(now - datetime.timedelta(seconds=89), tick=False):
        heartbeats.beat(heartbeat.heartbeat_name("alive@host"))
    with time_machine.travel(now - datetime.timedelta(seconds=91), tick=False):
        heartbeats.beat(heartbeat.heartbeat_name("gone@host"))
    heartbeats.beat(heartbeats.TICK)  # the planner's heartbeat is not a worker
    assert heartbeat.live_workers(now) == ["alive@host"]
