"""Senders keep under the providers' rate limits, together, and honour a 429 that comes anyway.

The LINE and ESP fakes enforce a per-account limit over a sliding second, as the providers
count, and answer 429 with ``Retry-After`` beyond it.
"""

import multiprocessing
import os
import time

import pytest

from delivery import dispatch, pacing, planner
from delivery.models import Delivery
from kizuna import clock
from tests.delivery.conftest import LINE_TOKEN, due_for, family, line_user
from tests.delivery.pacing_client import post_paced
from tests.fakes import FakeLine

pytestmark = pytest.mark.django_db

MULTICAST = "/v2/bot/message/multicast"


def _pairs_with_different_texts(municipality, pairs: int) -> None:
    """Two LINE readers per nickname: one multicast per pair."""
    for n in range(pairs):
        for member in range(2):
            family(
                municipality,
                due=due_for(20),
                channel="line",
                line_user_id=line_user(n * 2 + member),
                email=None,
                nickname=f"なまえ{n}",
            )


def test_line_multicasts_keep_under_the_channels_limit(
    municipality, texts, line, morning, settings
):
    line.rate_limits = {MULTICAST: 10}
    settings.KIZUNA_LINE_MULTICAST_PER_SECOND = 9
    _pairs_with_different_texts(municipality, 15)
    planner.plan_day(clock.today(), [municipality])
    started = time.monotonic()
    assert dispatch.dispatch(batch_size=100).outcomes == {"sent": 30}
    assert line.rate_limited == 0
    assert line.requests[MULTICAST] == 15
    assert time.monotonic() - started >= 14 / 9 - 0.1  # paced, not bursting


def test_a_429_that_comes_anyway_holds_back_the_whole_channel_for_its_retry_after(
    municipality, texts, line, morning, settings
):
    line.rate_limits = {MULTICAST: 2}
    settings.KIZUNA_LINE_MULTICAST_PER_SECOND = 0  # unpaced: as if another system shared it
    _pairs_with_different_texts(municipality, 4)
    planner.plan_day(clock.today(), [municipality])
    started = time.monotonic()
    outcomes = dispatch.dispatch(batch_size=100).outcomes
    # The third multicast got 429; the fourth waited out its Retry-After instead of another
    # 429, and the third went again once its own wait was over.
    assert outcomes == {"sent": 8, "retry": 2}
    assert line.rate_limited == 1
    assert time.monotonic() - started >= 1.0
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}


@pytest.mark.parametrize(("per_request", "path"), [(1, "/email"), (2, "/email/batch")])
def test_email_keeps_under_the_esp_accounts_rate_and_recipients_per_call(
    municipality, texts, postmark, morning, settings, per_request, path
):
    postmark.rate_limits = {path: 5}
    postmark.batch_limit = 2  # recipients per call the account allows
    settings.KIZUNA_EMAIL_PER_SECOND = 4
    settings.KIZUNA_EMAIL_BATCH_SIZE = per_request
    for n in range(12):
        family(municipality, due=due_for(20), email=f"r{n}@example.jp")
    planner.plan_day(clock.today(), [municipality])
    started = time.monotonic()
    assert dispatch.dispatch().outcomes == {"sent": 12}
    assert postmark.rate_limited == 0
    requests = 12 // per_request
    assert postmark.requests[path] == requests
    assert time.monotonic() - started >= (requests - 1) / 4 - 0.1


@pytest.mark.parametrize("run", [1, 6])
def test_two_worker_processes_share_one_pace_through_redis(run):
    """Each process alone would keep under the limit; only a shared pace keeps both under it,
    whether each request reserves its own slot or a run of ``run`` slots is reserved at once."""
    assert os.environ.get("REDIS_URL")
    with FakeLine(tokens={LINE_TOKEN}) as line:
        line.rate_limits = {MULTICAST: 20}
        spawn = multiprocessing.get_context("spawn")
        results = spawn.Queue()
        workers = [
            spawn.Process(target=post_paced, args=(line.url, LINE_TOKEN, 18, 18, results, run))
            for _ in range(2)
        ]
        started = time.monotonic()
        for worker in workers:
            worker.start()
        statuses = results.get(timeout=60) + results.get(timeout=60)
        for worker in workers:
            worker.join(timeout=10)
        seconds = time.monotonic() - started
    assert statuses.count(200) == 36 and line.rate_limited == 0
    assert seconds >= 35 / 18 - 0.1


def test_an_unlimited_account_still_waits_out_a_providers_hold():
    pacing.hold_back("esp-account", 0.3)
    assert 0.2 < pacing.wait_for_slot("esp-account", 0) <= 0.3
    assert pacing.wait_for_slot("esp-account", 0) == 0
