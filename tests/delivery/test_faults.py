"""Real Celery workers against a real Redis and PostgreSQL, while things go wrong.

A worker is killed with SIGKILL in the middle of a batch, Redis is restarted empty (as after a
FLUSHALL), and beat fires twice at each step. Judged by what the SMTP server and the LINE fake
received: every due message exactly once, none missing.
"""

import datetime
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from delivery import compose
from delivery.models import Delivery
from tests.delivery.conftest import LINE_SECRET, LINE_TOKEN, family, line_user
from tests.factories import MunicipalityFactory
from tests.fakes import FakeLine, SmtpMailbox, free_port

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
REDIS = shutil.which("redis-server")


class Redis:
    """A Redis of our own on a spare port, so it can be killed without disturbing anyone."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process = None

    def start(self) -> None:
        assert REDIS, "redis-server is missing: apt-get install redis-server (make test says so)"
        self.process = subprocess.Popen(
            [
                REDIS,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(50):
            ping = subprocess.run(
                ["redis-cli", "-p", str(self.port), "ping"], capture_output=True, text=True
            )
            if ping.stdout.strip() == "PONG":
                return
            time.sleep(0.1)
        raise RuntimeError("redis did not start")

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


def _environment(redis: Redis, smtp: SmtpMailbox, line: FakeLine) -> dict[str, str]:
    database = connection.settings_dict
    return {
        **os.environ,
        "DEBUG": "true",
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        "REDIS_URL": redis.url,
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}",
        "LINE_API_BASE_URL": line.url,
        "LINE_CHANNEL_ACCESS_TOKEN_FAULTY": LINE_TOKEN,
        "LINE_CHANNEL_SECRET_FAULTY": LINE_SECRET,
        "KIZUNA_CLAIM_LEASE_SECONDS": "3",
        "KIZUNA_DISPATCH_BATCH_SIZE": "5",  # small batches, so both workers are mid-batch
    }


def _worker(environment: dict[str, str], name: str, queue: str = "") -> subprocess.Popen:
    """A worker of one process; ``queue``: only that one (else every queue, as without -Q)."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "kizuna",
            "worker",
            "--pool",
            "solo",
            *(["-Q", queue] if queue else []),
            "-n",
            f"{name}@%h",
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _fire_beat(environment: dict[str, str], times: int = 2) -> None:
    """What beat does each minute, fired ``times`` at once (two beats running by mistake)."""
    calls = [
        subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "kizuna", "call", "delivery.tasks.tick"],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(times)
    ]
    for call in calls:
        call.wait(timeout=60)


def _kill(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _wait_until(condition, timeout: float, step=None, pause: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        if step:
            step()
        time.sleep(pause)
    return condition()


def test_killed_worker_redis_restart_and_double_beat_still_send_everything_exactly_once(texts):
    from kizuna import clock

    municipality = MunicipalityFactory(
        slug="faulty",
        delivery_time=datetime.time(0, 0),
        line_enabled=True,
        sender_email="kizuna@faulty.example.jp",
    )
    today = clock.today()
    due = today + datetime.timedelta(days=280 - 20 * 7)
    for n in range(120):
        family(municipality, due=due, email=f"reader{n}@example.jp", nickname=f"n{n}")
    for n in range(30):
        family(
            municipality,
            due=due,
            channel="line",
            line_user_id=line_user(n),
            email=None,
            nickname=f"l{n}",
        )

    redis = Redis()
    redis.start()
    workers = []
    with SmtpMailbox(delay_seconds=0.05) as smtp, FakeLine(tokens={LINE_TOKEN}) as line:
        line.faults.delay_seconds = 0.05
        environment = _environment(redis, smtp, line)
        try:
            workers = [_worker(environment, "w1"), _worker(environment, "w2")]
            _fire_beat(environment)
            victim = workers[0]

            def victim_mid_batch() -> bool:
                # Three of its five still to send: the kill lands before it can finish them.
                return (
                    Delivery.objects.filter(
                        status="sending", claimed_by__endswith=f":{victim.pid}"
                    ).count()
                    >= 3
                )

            found = _wait_until(
                lambda: len(smtp.messages) >= 10 and victim_mid_batch(), timeout=20, pause=0.02
            )
            assert found, "the worker to kill never held a batch"
            _kill(victim)  # mid-batch: its claimed rows stay "sending" until the lease ends
            in_flight = Delivery.objects.filter(
                status="sending", claimed_by__endswith=f":{victim.pid}"
            ).count()

            redis.kill()  # queued tasks are lost, as after a FLUSHALL
            redis.start()
            workers.append(_worker(environment, "w3"))
            _fire_beat(environment)

            def all_sent() -> bool:
                return not Delivery.objects.exclude(status="sent").exists()

            assert _wait_until(all_sent, timeout=120, step=lambda: _fire_beat(environment))
        finally:
            for worker in workers:
                _kill(worker)
            redis.kill()

        copies = smtp.by_message_id()
        emails = Delivery.objects.filter(channel="email").select_related("municipality")
        assert set(copies) == {compose.message_id(delivery) for delivery in emails}
        # A mailbox shows one message per Message-ID; at most the one message in flight when
        # the worker died may have reached the server twice, with the same Message-ID.
        assert sum(copies.values()) - len(copies) <= 1
        assert sorted(user for user, _ in line.received) == sorted(line_user(n) for n in range(30))
        assert Delivery.objects.filter(status="sent").count() == 150
        assert in_flight > 0  # the kill really did leave a batch behind
        assert Delivery.objects.filter(attempts__gt=1).exists()  # and it was taken up again
