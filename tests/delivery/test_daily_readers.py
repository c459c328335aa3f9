"""Who gets what on a day of the daily programme: variants, languages, late births, one message.

With a generated pack (every stage of the finest programme in Japanese, English for the weekly
and monthly anchors only) and a municipality on the daily programme.
"""

import datetime

import pytest
import time_machine

from content.services import load_pack
from content.stages import Stage, Track, Unit, add_years, stage_start
from delivery import dispatch, planner
from delivery.models import Delivery
from delivery.senders.base import Outcome, Result
from kizuna import clock
from subscribers import services
from tests.content.daily_pack import _write, write_daily_pack
from tests.factories import (
    ChildFactory,
    MunicipalityFactory,
    SubscriberFactory,
    SubscriptionFactory,
)

pytestmark = pytest.mark.django_db

DUE = datetime.date(2027, 6, 1)


class Recorder:
    channel = "email"
    record_every = 1

    def __init__(self) -> None:
        self.messages: list[tuple[datetime.date, object]] = []

    def send(self, messages):
        self.messages += [(clock.today(), m) for m in messages]
        yield [Result(m.delivery_id, Outcome.SENT, provider_message_id="x") for m in messages]

    def to(self, address: str) -> list[tuple[datetime.date, object]]:
        return [(on, m) for on, m in self.messages if m.to == address]


@pytest.fixture
def pack(tmp_path):
    write_daily_pack(tmp_path)
    partner_body = "## パートナーへ\npartner:pregnancy:week:20 の文面です。" + "え" * 200
    _write(tmp_path / "ja/partner/pregnancy/week-20.md", "妊娠20週：パートナーへ", partner_body)
    load_pack(root=tmp_path)


def _at(day: datetime.date, hour: int):
    moment = datetime.datetime.combine(day, datetime.time(hour), tzinfo=clock.TOKYO)
    return time_machine.travel(moment, tick=False)


def _reader(municipality, child, email, **fields):
    confirmed = datetime.datetime(2026, 1, 1, tzinfo=clock.TOKYO)
    reader = SubscriberFactory(
        municipality=municipality, email=email, confirmed_at=confirmed, **fields
    )
    SubscriptionFactory(subscriber=reader, child=child)
    return reader


def _run(days, recorder, municipality, events=None):
    for day in days:
        for action in (events or {}).get(day, ()):
            with _at(day, 7):
                action()
        with _at(day, 8):
            planner.plan_day(day, [municipality])
            dispatch.dispatch(senders={"email": recorder})


def _days(first: datetime.date, count: int) -> list[datetime.date]:
    return [first + datetime.timedelta(days=n) for n in range(count)]


def _stage_days(days: list[datetime.date], gestational_from: int) -> dict:
    return {day: gestational_from + n for n, day in enumerate(days)}


def test_an_english_reader_gets_the_weekly_texts_and_nothing_between(pack):
    with _at(DUE - datetime.timedelta(days=300), 0):
        municipality = MunicipalityFactory()
    child = ChildFactory(municipality=municipality, due_date=DUE)
    _reader(municipality, child, "en@example.jp", language="en")
    _reader(municipality, child, "ja@example.jp")
    first = stage_start(Stage(Track.PREGNANCY, Unit.WEEK, 10), DUE)
    recorder = Recorder()
    _run(_days(first, 21), recorder, municipality)

    english = recorder.to("en@example.jp")
    assert [(on, m.subject) for on, m in english] == [
        (first + datetime.timedelta(days=7 * n), f"Week {10 + n}: test") for n in range(3)
    ]
    assert not any("の文面です" in m.text for _, m in english)  # never a Japanese text between
    japanese = recorder.to("ja@example.jp")
    assert [on for on, _ in japanese] == _days(first, 21)
    assert japanese[1][1].subject == "妊娠10週1日：テスト"
    assert Delivery.objects.filter(subscriber__email="en@example.jp").count() == 3  # none planned


def test_a_partner_gets_the_partner_text_on_its_step_and_the_daily_text_between(pack):
    with _at(DUE - datetime.timedelta(days=300), 0):
        municipality = MunicipalityFactory()
    child = ChildFactory(municipality=municipality, due_date=DUE)
    _reader(municipality, child, "partner@example.jp", relationship="partner")
    first = stage_start(Stage(Track.PREGNANCY, Unit.WEEK, 20), DUE)
    recorder = Recorder()
    _run(_days(first - datetime.timedelta(days=1), 3), recorder, municipality)

    received = recorder.to("partner@example.jp")
    assert [on for on, _ in received] == _days(first - datetime.timedelta(days=1), 3)  # one a day
    assert [m.subject for _, m in received] == [
        "妊娠19週6日：テスト",
        "妊娠20週：パートナーへ",  # the variant wins on its step, over the text for everyone
        "妊娠20週1日：テスト",  # between variants, the daily text for everyone
    ]


def test_a_birth_reported_two_days_late_brings_the_first_day_in_the_birth_message(pack):
    with _at(DUE - datetime.timedelta(days=300), 0):
        municipality = MunicipalityFactory()
    child = ChildFactory(municipality=municipality, due_date=DUE)
    _reader(municipality, child, "late@example.jp")
    born = DUE - datetime.timedelta(days=3)
    reported = born + datetime.timedelta(days=2)
    recorder = Recorder()
    events = {reported: [lambda: services.report_birth(child.pk, born)]}
    _run(_days(born - datetime.timedelta(days=1), 6), recorder, municipality, events)

    received = recorder.to("late@example.jp")
    assert [on for on, _ in received] == _days(born - datetime.timedelta(days=1), 6)  # one a day
    on, birth_message = received[3]
    assert on == reported and birth_message.subject == "special:birth"
    # The birth message carries 生後0日 and today's 生後2日, in that order; 生後1日 has passed.
    text = birth_message.text
    assert text.index("child:day:0の文面です") < text.index("child:day:2の文面です")
    assert "child:day:1の" not in "".join(m.text for _, m in received)
    assert received[4][1].subject == "生後3日：テスト"


def test_a_birth_reported_after_todays_message_comes_with_tomorrows(pack):
    with _at(DUE - datetime.timedelta(days=300), 0):
        municipality = MunicipalityFactory()
    child = ChildFactory(municipality=municipality, due_date=DUE)
    _reader(municipality, child, "noon@example.jp")
    born = DUE - datetime.timedelta(days=1)
    recorder = Recorder()
    _run([born], recorder, municipality)  # the pregnancy text of the day went out at 08:00
    with _at(born, 12):
        services.report_birth(child.pk, born)
        dispatch.dispatch(senders={"email": recorder})
    _run([born + datetime.timedelta(days=1)], recorder, municipality)

    received = recorder.to("noon@example.jp")
    assert [(on, m.subject) for on, m in received] == [
        (born, "妊娠39週6日：テスト"),
        (born + datetime.timedelta(days=1), "special:birth"),
    ]
    text = received[1][1].text
    assert text.index("child:day:0の文面です") < text.index("child:day:1の文面です")


def test_the_birthday_the_stage_and_the_graduation_of_one_day_are_one_message(pack):
    born = datetime.date(2024, 5, 10)
    with _at(born, 0):
        municipality = MunicipalityFactory(programme_months=36)
    child = ChildFactory(municipality=municipality, due_date=born, birth_date=born, status="born")
    _reader(municipality, child, "three@example.jp")
    recorder = Recorder()
    third = add_years(born, 3)
    _run([third], recorder, municipality)

    [(_on, message)] = recorder.to("three@example.jp")
    assert message.subject == "birthday:3"
    text = message.text
    assert text.index("う" * 20) < text.index("child:month:36の文面です") < text.index("い" * 20)
    keys = set(Delivery.objects.values_list("message_key", flat=True))
    assert keys == {
        f"c{child.pk}:birthday:3",
        f"c{child.pk}:stage:child:month:36",
        f"c{child.pk}:special:graduation",
    }
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}


def test_the_forecast_follows_the_cadence(pack):
    from content.programme import PRESETS

    with _at(DUE - datetime.timedelta(days=300), 0):
        daily = MunicipalityFactory()
        light = MunicipalityFactory(
            **{f"cadence_{b}": c.value for b, c in PRESETS["light"][1].items()}
        )
    for place in (daily, light):
        _reader(place, ChildFactory(municipality=place, due_date=DUE), f"{place.slug}@example.jp")
    start = DUE - datetime.timedelta(days=100)
    with _at(start, 6):
        counts = planner.forecast([daily, light], start, days=28)
    per_place = {place.pk: 0 for place in (daily, light)}
    for (_day, municipality_id, _channel), count in counts.items():
        per_place[municipality_id] += count
    assert per_place == {daily.pk: 28, light.pk: 4}
