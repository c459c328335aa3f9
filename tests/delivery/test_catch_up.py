"""Catching up after downtime, across the 00:00 UTC (09:00 JST) and 00:00 JST boundaries.

Beat, planner and workers are down for a while, then come back. Within the catch-up window
(``KIZUNA_CATCH_UP_DAYS``) every family receives each message it missed, once, oldest first;
what fell due before the window is dropped and the family goes on at today's stage; a stage it
has passed meanwhile (a pregnancy message after a reported birth, anything after a loss) never
goes out. Judged by what a real SMTP server and the LINE fake received, in arrival order.
"""

import datetime
import re

import pytest
import time_machine

from content.models import SpecialMessage, StageMessage
from delivery import dispatch, planner
from delivery.models import Delivery, PlanRun
from kizuna import clock
from subscribers import services
from tests.delivery.conftest import family, line_user
from tests.factories import SubscriptionFactory

pytestmark = pytest.mark.django_db

D = datetime.date(2026, 11, 20)  # the last day beat ran before the outage
STAGE = re.compile(r"(?:妊娠|生後)\d+日目|special-\w+")


@pytest.fixture
def daily_texts():
    """A message for every day: gestational days 140–200 and the first ten days of life."""
    for day in range(140, 201):
        StageMessage.objects.create(
            track="pregnancy", unit="day", number=day, subject=f"妊娠{day}日目",
            body="## きょうのあかちゃん\n本文です。", published=True,
        )  # fmt: skip
    for day in range(11):
        StageMessage.objects.create(
            track="child", unit="day", number=day, subject=f"生後{day}日目",
            body="## きょうのあかちゃん\n本文です。", published=True,
        )  # fmt: skip
    for kind in ("birth", "loss"):
        SpecialMessage.objects.create(
            kind=kind, subject=f"special-{kind}", body="## お知らせ\n本文です。", published=True
        )


def _due_on_day(gestational_day: int, on: datetime.date) -> datetime.date:
    return on + datetime.timedelta(days=280 - gestational_day)


def _at(day: datetime.date, time: datetime.time):
    moment = datetime.datetime.combine(day, time, tzinfo=clock.TOKYO)
    return time_machine.travel(moment, tick=False)


def _tick() -> None:
    """What beat's tick does, with the workers sending everything due."""
    planner.plan_due()
    dispatch.dispatch()


def _received(smtp, line) -> dict[str, list[str]]:
    """Per reader (address or LINE id), the stage or special of each arrival, in order."""
    arrivals: dict[str, list[str]] = {}
    for message in smtp.messages:
        arrivals.setdefault(message["To"], []).append(STAGE.search(message["Subject"]).group(0))
    for user, text in line.received:
        arrivals.setdefault(user, []).append(STAGE.search(text).group(0))
    return arrivals


def _planned_until_the_day_before(municipality) -> None:
    """Beat ran every day before D: only D itself is left to plan on D."""
    at = datetime.datetime.combine(D, datetime.time(), tzinfo=clock.TOKYO)
    PlanRun.objects.bulk_create(
        PlanRun(municipality=municipality, day=D - datetime.timedelta(days=back),
                started_at=at, finished_at=at)
        for back in range(1, 6)
    )  # fmt: skip


def _readers(municipality, gestational_day: int = 150):
    """An email reader and a LINE reader, both at ``gestational_day`` on D."""
    due = _due_on_day(gestational_day, D)
    mail = family(municipality, due=due, email="mail@example.jp")
    line_reader = family(
        municipality, due=due, channel="line", line_user_id=line_user(1), email=None
    )
    return mail, line_reader


def _days(first: int, last: int) -> list[str]:
    return [f"妊娠{day}日目" for day in range(first, last + 1)]


@pytest.mark.parametrize(
    ("delivery_time", "back_at", "back_on_day"),
    [
        # Delivery at 09:00 JST (00:00 UTC): back just after it, and just before it.
        (datetime.time(9, 0), datetime.time(9, 0, 10), 3),
        (datetime.time(9, 0), datetime.time(8, 59, 50), 3),
        # Delivery at 00:00 JST (15:00 UTC): back just after midnight, and just before it.
        (datetime.time(0, 0), datetime.time(0, 0, 10), 3),
        (datetime.time(0, 0), datetime.time(23, 59, 50), 2),
    ],
    ids=["09:00:10-jst", "08:59:50-jst", "00:00:10-jst", "23:59:50-jst"],
)
def test_an_outage_within_the_window_is_caught_up_in_order_across_the_day_boundaries(
    municipality, daily_texts, smtp, line, settings, delivery_time, back_at, back_on_day
):
    settings.KIZUNA_CATCH_UP_DAYS = 3
    municipality.delivery_time = delivery_time
    municipality.save()
    _planned_until_the_day_before(municipality)
    _readers(municipality)
    with _at(D, datetime.time(23, 59, 59) if delivery_time.hour == 0 else datetime.time(10)):
        _tick()  # the last day before the outage: day 150 goes out
    assert _received(smtp, line) == {
        "mail@example.jp": _days(150, 150),
        line_user(1): _days(150, 150),
    }

    back = datetime.datetime.combine(
        D + datetime.timedelta(days=back_on_day), back_at, tzinfo=clock.TOKYO
    )
    with time_machine.travel(back, tick=False):
        _tick()
    today = back.date()
    caught_up = 150 + (today - D).days - (back.time() < delivery_time)
    assert _received(smtp, line) == {
        "mail@example.jp": _days(150, caught_up),
        line_user(1): _days(150, caught_up),
    }
    with time_machine.travel(back + datetime.timedelta(seconds=20), tick=False):
        _tick()  # the delivery time passes (or has passed): today's message, once
    last = 150 + (clock_date(back + datetime.timedelta(seconds=20)) - D).days
    assert _received(smtp, line) == {
        "mail@example.jp": _days(150, last),
        line_user(1): _days(150, last),
    }
    assert not Delivery.objects.exclude(status="sent").exists()


def clock_date(moment: datetime.datetime) -> datetime.date:
    return moment.astimezone(clock.TOKYO).date()


def test_beyond_the_window_older_days_are_dropped_and_the_family_resumes_at_todays_stage(
    municipality, daily_texts, smtp, line, settings
):
    settings.KIZUNA_CATCH_UP_DAYS = 3
    _planned_until_the_day_before(municipality)
    _readers(municipality)
    with _at(D, datetime.time(8)):
        planner.plan_due()  # day 150 is planned, but the workers are already down
    with _at(D + datetime.timedelta(days=6), datetime.time(8)):
        _tick()
    # Days 151 and 152 (before the window) are never planned; day 150's row is too old to send.
    expected = _days(153, 156)
    assert _received(smtp, line) == {"mail@example.jp": expected, line_user(1): expected}
    stale = Delivery.objects.get(message_key__endswith=":pregnancy:day:150", channel="email")
    assert stale.status == "skipped" and "日がたちすぎた" in stale.last_error
    with _at(D + datetime.timedelta(days=7), datetime.time(8)):
        _tick()
    assert _received(smtp, line)["mail@example.jp"][-1] == "妊娠157日目"


def test_a_birth_or_a_loss_during_the_outage_stops_the_stages_they_passed(
    municipality, daily_texts, smtp, line, settings
):
    settings.KIZUNA_CATCH_UP_DAYS = 3
    _planned_until_the_day_before(municipality)
    born = family(municipality, due=_due_on_day(190, D), email="born@example.jp")
    lost = family(municipality, due=_due_on_day(150, D), email="lost@example.jp")
    SubscriptionFactory(
        child=lost.child,
        subscriber__municipality=municipality,
        subscriber__channel="line",
        subscriber__line_user_id=line_user(2),
        subscriber__email=None,
        subscriber__relationship="partner",
        subscriber__confirmed_at=datetime.datetime(2026, 1, 1, tzinfo=clock.TOKYO),
    )
    carrying_on = family(municipality, due=_due_on_day(150, D), email="on@example.jp")
    with _at(D, datetime.time(8)):
        planner.plan_due()  # planned, never sent: the workers are down
    with _at(D + datetime.timedelta(days=1), datetime.time(12)):
        services.report_birth(born.child_id, D + datetime.timedelta(days=1))
        services.report_loss(lost.child_id, "miscarriage")
    with _at(D + datetime.timedelta(days=3), datetime.time(8)):
        _tick()
    received = _received(smtp, line)
    # Born on D+1: day 190 of the pregnancy (planned before) is not sent after the report;
    # the birth message carrying 生後0日 (one message that day), then the next days, in order.
    assert received["born@example.jp"] == ["special-birth", "生後1日目", "生後2日目"]
    assert Delivery.objects.get(
        subscriber=born.subscriber, message_key=f"c{born.child_id}:stage:child:day:0"
    ).provider_message_id.startswith("folded-into:")
    assert received["lost@example.jp"] == ["special-loss"]
    assert received[line_user(2)] == ["special-loss"]
    assert received["on@example.jp"] == _days(150, 153)
    assert not Delivery.objects.filter(
        subscriber=carrying_on.subscriber, status__in=["planned", "sending", "failed"]
    ).exists()
