"""Beat's planning tick never waits behind sending: it has a queue and a worker of its own.

Real Celery workers started as Procfile.dev starts them (one serving the default queue, one the
planning queue) on a Redis of their own: while a large send keeps the sending worker busy and
more sending tasks wait in its queue, a tick plans a municipality whose delivery time has come.
"""

import datetime
import subprocess
import sys
import time

import pytest

from delivery import planner
from delivery.models import Delivery, PlanRun
from kizuna import clock
from tests.delivery.conftest import family
from tests.delivery.test_faults import ROOT, Redis, _environment, _kill, _worker
from tests.factories import MunicipalityFactory
from tests.fakes import FakeLine, SmtpMailbox

pytestmark = pytest.mark.django_db(transaction=True)


def _call(environment: dict[str, str], task: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "celery", "-A", "kizuna", "call", task],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        check=True,
        timeout=60,
    )


def _wait_until(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def test_a_tick_during_a_large_send_plans_its_municipality_on_time(texts):
    today = clock.today()
    due = today + datetime.timedelta(days=280 - 20 * 7)
    sending = MunicipalityFactory(slug="sending", delivery_time=datetime.time(0, 0))
    for n in range(200):
        family(sending, due=due, email=f"reader{n}@example.jp")
    planner.plan_day(today, [sending])  # its day is planned: 200 mails to send, slowly
    waiting = MunicipalityFactory(slug="waiting", delivery_time=datetime.time(0, 0))
    family(waiting, due=due, email="next@example.jp")

    redis = Redis()
    redis.start()
    workers = []
    with SmtpMailbox(delay_seconds=0.05) as smtp, FakeLine(tokens=set()) as line:
        environment = {**_environment(redis, smtp, line), "KIZUNA_DISPATCH_BATCH_SIZE": "10"}
        try:
            workers = [
                _worker(environment, "sender", "celery"),
                _worker(environment, "planner", "planning"),
            ]
            for _ in range(3):  # one runs, two wait in the sending queue
                _call(environment, "delivery.tasks.send_due")
            assert _wait_until(lambda: len(smtp.messages) >= 10, timeout=60), "no send began"
            _call(environment, "delivery.tasks.tick")
            planned = _wait_until(
                lambda: PlanRun.objects.filter(municipality=waiting, day=today).exists(),
                timeout=8,
            )
            unsent = Delivery.objects.filter(municipality=sending).exclude(status="sent").count()
        finally:
            for worker in workers:
                _kill(worker)
            redis.kill()
    assert planned, "the tick waited behind the sending tasks"
    assert unsent > 0  # the send was still going when the tick planned
    assert Delivery.objects.filter(municipality=waiting, due_on=today).count() == 1
