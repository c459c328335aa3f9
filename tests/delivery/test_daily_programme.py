"""The daily programme day by day, through whole programmes to the longest end.

A daily municipality (毎日（きずなメール型）), a weekly one (週1回) and one that switches cadence
both ways, all to 小学1年生の3月, with a generated pack of every stage (tests/content/daily_pack.py).
Every morning the families act (07:00), then beat plans and the senders send (08:00) through
the real code; each reader's received sequence must equal the one computed from the calendar
and the bands: one message a day, no text twice, no band's next text skipped.

Days on which, by the calendar, none of these families can enter a stage of any cadence, a
birthday or the programme's end are passed over (nothing to plan); every other day is planned.
"""

import datetime
from collections import Counter, defaultdict

import pytest
import time_machine

from content.programme import (
    ALL_PROGRAMME_STAGES,
    FINEST,
    PRESETS,
    Programme,
    anchor_wins,
    first_grade_end,
)
from content.services import load_pack
from content.stages import Track, add_years, stage_start
from delivery import dispatch, planner
from delivery.models import Delivery
from delivery.senders.base import Outcome, Result
from kizuna import clock
from municipalities.models import Municipality
from subscribers import services
from tests.content.daily_pack import write_daily_pack
from tests.factories import (
    ChildFactory,
    MunicipalityFactory,
    SubscriberFactory,
    SubscriptionFactory,
)

pytestmark = pytest.mark.django_db

DAILY, WEEKLY = PRESETS["daily"][1], PRESETS["weekly"][1]
# Born on 2 April: the longest programme (7歳11か月); 30 April: the month-end rule (10か月 on
# 29 February 2028), four weeks later so that the weekly steps share days (a shorter run); the
# school-year boundary (1 April) is tested in tests/content/test_programme.py.
BIRTHS = (datetime.date(2027, 4, 2), datetime.date(2027, 4, 30))
JOIN_AT_GESTATIONAL_DAY = 28  # 妊娠4週0日


class Recorder:
    """The outside seam: which delivery went out as a message, and on which day."""

    channel = "email"
    record_every = 1

    def __init__(self) -> None:
        self.received: list[tuple[int, datetime.date]] = []

    def send(self, messages):
        today = clock.today()
        self.received += [(m.delivery_id, today) for m in messages]
        yield [Result(m.delivery_id, Outcome.SENT, provider_message_id="x") for m in messages]


def _at(day: datetime.date, hour: int):
    moment = datetime.datetime.combine(day, datetime.time(hour), tzinfo=clock.TOKYO)
    return time_machine.travel(moment, tick=False)


def _programme(bands: dict) -> Programme:
    return Programme(**bands, to_first_grade=True)


def _set_cadence(municipality: Municipality, bands: dict) -> None:
    for band, cadence in bands.items():
        setattr(municipality, f"cadence_{band}", cadence.value)
    municipality.save()


WRITTEN = set(FINEST.stages())  # the generated pack: every stage of the finest programme


def _expected(birth, joins, cadence_on) -> list[tuple[str, datetime.date]]:
    """(key without the child, day) a family receives, from the calendar and the bands alone
    (the stages of the cadence in force that day that have a text, one a day, anchor first)."""
    due = birth
    end = first_grade_end(birth)
    expected = [("special:welcome", joins), ("special:birth", birth)]
    day = joins
    while day <= end:
        track = Track.PREGNANCY if day < birth else Track.CHILD
        entered = [
            stage
            for stage in cadence_on(day).stages()
            if stage.track == track
            and stage in WRITTEN
            and stage_start(stage, due if day < birth else birth) == day
        ]
        if entered:
            winner = entered[0]
            for stage in entered[1:]:
                winner = anchor_wins(winner, stage)
            expected.append((f"stage:{winner.key}", day))
        day += datetime.timedelta(days=1)
    expected += [
        (f"birthday:{age}", add_years(birth, age))
        for age in range(1, 8)
        if add_years(birth, age) <= end
    ]
    expected.append(("special:graduation", end))
    return sorted(expected, key=lambda item: (item[1], item[0]))


def test_daily_weekly_and_switching_municipalities_through_whole_programmes(tmp_path, settings):
    settings.KIZUNA_BIRTH_GRACE_DAYS = 15
    write_daily_pack(tmp_path)
    load_pack(root=tmp_path)
    start = min(BIRTHS) - datetime.timedelta(days=280 - JOIN_AT_GESTATIONAL_DAY)
    with _at(start - datetime.timedelta(days=1), 0):
        places = {
            name: MunicipalityFactory(programme_to_first_grade=True, delivery_time=datetime.time(8))
            for name in ("daily", "weekly", "switching")
        }
    _set_cadence(places["weekly"], WEEKLY)
    # The switching municipality goes weekly in the pregnancy, daily again in the first 100
    # days, weekly in the first year, daily (every 14 days) at 2 and weekly at 3.
    switches = {
        start + datetime.timedelta(days=120): WEEKLY,
        BIRTHS[0] + datetime.timedelta(days=40): DAILY,
        BIRTHS[0] + datetime.timedelta(days=200): WEEKLY,
        BIRTHS[0] + datetime.timedelta(days=800): DAILY,
        BIRTHS[0] + datetime.timedelta(days=1200): WEEKLY,
    }

    def cadence_on(name):
        def on(day):
            if name != "switching":
                return _programme(DAILY if name == "daily" else WEEKLY)
            bands = DAILY
            for switched_on, to in sorted(switches.items()):
                if switched_on <= day:
                    bands = to
            return _programme(bands)

        return on

    families = []  # (municipality name, subscriber id, child id, birth, joins)
    joining = defaultdict(list)
    for name, municipality in places.items():
        for birth in BIRTHS:
            joins = birth - datetime.timedelta(days=280 - JOIN_AT_GESTATIONAL_DAY)
            joining[joins].append((name, municipality, birth))
    births = defaultdict(list)
    last_day = max(first_grade_end(b) for b in BIRTHS) + datetime.timedelta(days=1)

    recorder = Recorder()
    stages = planner.stages_with_messages()
    something_due = set(joining) | {b for b in BIRTHS} | set(switches)
    for birth in BIRTHS:
        something_due |= {stage_start(stage, birth) for stage in ALL_PROGRAMME_STAGES}
        something_due |= {add_years(birth, age) for age in range(1, 8)} | {first_grade_end(birth)}
    day = start
    while day <= last_day:
        with _at(day, 7):
            for name, municipality, birth in joining.get(day, ()):
                reader = SubscriberFactory(municipality=municipality, confirmed_at=None)
                child = ChildFactory(municipality=municipality, due_date=birth)
                SubscriptionFactory(subscriber=reader, child=child)
                services.confirm(reader.pk, child.pk)
                families.append((name, reader.pk, child.pk, birth, day))
                births[birth].append(child.pk)
            for child_id in births.get(day, ()):
                services.report_birth(child_id, day)
            if day in switches:
                _set_cadence(places["switching"], switches[day])
        if day not in something_due:
            day += datetime.timedelta(days=1)
            continue
        with _at(day, 8):
            # What beat's plan_due does at 08:00, without its bookkeeping of planned days.
            planned = sum(
                planner.plan_day(day, group, stages=stages).total
                for group in planner.groups_by_programme(
                    Municipality.objects.filter(pk__in=[m.pk for m in places.values()])
                )
            )
            if planned or day in births or day in joining:
                dispatch.dispatch(senders={"email": recorder})
        day += datetime.timedelta(days=1)

    keys = dict(Delivery.objects.values_list("pk", "message_key"))
    sent_on = dict(recorder.received)
    assert len(sent_on) == len(recorder.received), "a delivery went out twice"
    carried = Delivery.objects.filter(provider_message_id__startswith="folded-into:")
    received: dict[int, list[tuple[str, datetime.date]]] = defaultdict(list)
    messages_a_day: Counter = Counter()
    owners = dict(Delivery.objects.values_list("pk", "subscriber_id"))
    for pk, on in recorder.received:
        received[owners[pk]].append((keys[pk], on))
        if keys[pk] != "special:welcome":
            messages_a_day[(owners[pk], on)] += 1
    for row in carried:
        lead = int(row.provider_message_id.removeprefix("folded-into:"))
        received[row.subscriber_id].append((row.message_key, sent_on[lead]))
    assert max(messages_a_day.values()) == 1, "two messages on one day"

    counts = {}
    for name, reader_id, child_id, birth, joins in families:
        got = sorted(
            ((key.removeprefix(f"c{child_id}:"), on) for key, on in received[reader_id]),
            key=lambda item: (item[1], item[0]),
        )
        want = _expected(birth, joins, cadence_on(name))
        assert got == want, (name, birth, sorted(set(got) ^ set(want))[:10])
        stage_days = Counter(on for key, on in got if key.startswith("stage:"))
        assert max(stage_days.values()) == 1  # one stage text a day
        assert len({key for key, _ in got}) == len(got)  # no text twice
        counts[(name, birth)] = sum(1 for key, _ in got if key.startswith("stage:"))
    # The daily family born on 2 April gets the whole finest programme; a weekly one a subset.
    longest = BIRTHS[0]
    assert counts[("daily", longest)] > 560 and counts[("weekly", longest)] < 300
    assert counts[("weekly", longest)] < counts[("switching", longest)] < counts[("daily", longest)]
    print("stage texts received per family:", counts)
