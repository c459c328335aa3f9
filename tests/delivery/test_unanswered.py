"""A LINE request that LINE accepted but whose answer never came back is never a second message.

The retry key is stored on the deliveries before the request leaves, so whoever sends them
again (after a timeout, a 5xx, or a worker killed before it could record the answer) sends the
same recipients under the same key, however the next batch is made up.
"""

import datetime

import pytest
import time_machine

from delivery import channels, claim, dispatch, planner
from delivery.compose import Composer
from delivery.models import Delivery
from kizuna import clock
from tests.delivery.conftest import due_for, family, line_user

pytestmark = pytest.mark.django_db


def _line_family(municipality, n: int, week: int = 20):
    return family(
        municipality,
        due=due_for(week),
        channel="line",
        line_user_id=line_user(n),
        email=None,
        nickname="はな",
    )


def test_an_accepted_multicast_without_answer_is_retried_under_its_own_key(
    municipality, texts, line, morning, settings
):
    for n in range(3):
        _line_family(municipality, n)
    settings.LINE_TIMEOUT_SECONDS = 1
    line.faults.hang_seconds = 2
    line.faults.plan = ["accept-hang"]
    planner.plan_day(clock.today(), [municipality])
    assert dispatch.dispatch().outcomes == {"retry": 3}
    keys = set(Delivery.objects.values_list("retry_key", flat=True))
    assert len(keys) == 1 and None not in keys
    assert len(line.received) == 3  # LINE took it; we never heard

    # A fourth reader at the same stage joins: a new batch would group all four under a new key.
    _line_family(municipality, 3)
    planner.plan_day(clock.today(), [municipality])
    with time_machine.travel(clock.now() + datetime.timedelta(hours=2)):
        assert dispatch.dispatch().outcomes == {"sent": 4}
    assert sorted(user for user, _ in line.received) == [line_user(n) for n in range(4)]
    assert line.requests["/v2/bot/message/multicast"] == 2  # the retry got 409: not resent
    assert Delivery.objects.filter(status="sent").count() == 4


def test_a_worker_killed_between_lines_ok_and_its_record_sends_nothing_twice(
    municipality, texts, line, morning, settings
):
    for n in range(3):
        _line_family(municipality, n)
    settings.KIZUNA_CLAIM_LEASE_SECONDS = 60
    planner.plan_day(clock.today(), [municipality])
    ids = claim.claim(2)  # the dying worker's batch: two of the three
    deliveries = list(
        Delivery.objects.filter(pk__in=ids).select_related("subscriber", "child", "municipality")
    )
    composer = Composer()
    messages = [composer.compose(d).message for d in deliveries]
    sender = channels.senders_for(deliveries)["line"]
    next(iter(sender.send(messages)))  # LINE answered 200 … and the worker died right there
    assert len(line.received) == 2
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sending", "planned"}

    with time_machine.travel(clock.now() + datetime.timedelta(seconds=61)):
        assert dispatch.dispatch().outcomes == {"sent": 3}
    assert sorted(user for user, _ in line.received) == [line_user(n) for n in range(3)]


def test_a_reader_catching_up_gets_the_missed_days_in_order_within_one_batch(
    municipality, texts, line, settings
):
    """Reader A is a week ahead of B: A's first missed text is B's second, and so on."""
    settings.KIZUNA_CATCH_UP_DAYS = 3
    today = datetime.date(2026, 11, 24)
    a = _line_family(municipality, 1)
    b = _line_family(municipality, 2)
    # The test content is weekly: three planned days a week apart, all unsent, sent in one batch.
    a.child.due_date = due_for(20, today - datetime.timedelta(days=14))
    a.child.save()
    b.child.due_date = due_for(21, today - datetime.timedelta(days=14))
    b.child.save()
    with time_machine.travel(datetime.datetime(2026, 11, 24, 8, tzinfo=clock.TOKYO)):
        for back in (14, 7, 0):
            planner.plan_day(today - datetime.timedelta(days=back), [municipality])
        settings.KIZUNA_CATCH_UP_DAYS = 14
        assert dispatch.dispatch().outcomes == {"sent": 6}
    received = {}
    for user, text in line.received:
        received.setdefault(user, []).append(text[1:6])
    assert received[line_user(1)] == ["妊娠20週", "妊娠21週", "妊娠22週"]
    assert received[line_user(2)] == ["妊娠21週", "妊娠22週", "妊娠23週"]


def test_a_batch_left_by_a_dead_worker_counts_as_due_once_its_lease_ran_out(
    municipality, texts, morning, settings
):
    """Otherwise a tick that finds only such rows would start no dispatcher to take them up."""
    settings.KIZUNA_CLAIM_LEASE_SECONDS = 60
    for n in range(3):
        _line_family(municipality, n)
    planner.plan_day(clock.today(), [municipality])
    assert claim.due_count() == 3
    claim.claim(3)  # and the worker dies
    assert claim.due_count() == 0
    assert claim.due_count(clock.now() + datetime.timedelta(seconds=61)) == 3


def test_the_rows_of_an_unanswered_multicast_go_again_together_and_never_in_parts(
    municipality, texts, line, morning, settings
):
    """A part sent alone would spend the key: LINE would then answer 409 for the rest."""
    settings.KIZUNA_CLAIM_LEASE_SECONDS = 60
    for n in range(2):
        _line_family(municipality, n)
    line.faults.plan = ["500"]  # LINE took nothing, but we cannot know that
    planner.plan_day(clock.today(), [municipality])
    assert dispatch.dispatch().outcomes == {"retry": 2}
    first, second = Delivery.objects.order_by("pk")
    assert first.retry_key == second.retry_key
    assert first.next_attempt_at == second.next_attempt_at  # one wait per request

    later = clock.now() + datetime.timedelta(hours=2)
    with time_machine.travel(later):
        # Another worker holds the second row (its lease still runs): the first waits for it.
        Delivery.objects.filter(pk=second.pk).update(
            status="sending", claimed_until=later + datetime.timedelta(seconds=30)
        )
        ids = claim.claim(10)
        assert ids == [first.pk]
        assert dispatch.send_claimed(ids) == {}
        first.refresh_from_db()
        assert (first.status, first.attempts) == ("planned", 1)
        assert line.received == []

    with time_machine.travel(later + datetime.timedelta(seconds=31)):
        assert sorted(claim.claim(1)) == [first.pk, second.pk]  # a batch of one takes both
        Delivery.objects.update(status="planned", claimed_until=None)
        assert dispatch.dispatch().outcomes == {"sent": 2}
    assert sorted(user for user, _ in line.received) == [line_user(0), line_user(1)]
