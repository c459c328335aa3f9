"""1,000 families day by day through whole programmes, checked against the stage calendar.

Early, late and unreported births, losses, unsubscribes, second children and partners: every
day the families act first (at 07:00), then the planner and the senders run (at 08:00) through
the real code, with a recording transport at the outside seam. Each reader's received sequence
is compared with one computed independently from ``content.stages``.
"""

import datetime
import os
import random
from collections import Counter, defaultdict
from dataclasses import dataclass

import pytest
import time_machine
from django.db import connection

from content.stages import Stage, Track, Unit, add_months, add_years, stage_start
from delivery import dispatch, planner
from delivery.models import Delivery
from delivery.senders.base import Outcome, Result
from kizuna import clock
from subscribers import services
from subscribers.models import Subscription
from tests.factories import ChildFactory, MunicipalityFactory, SubscriberFactory

pytestmark = pytest.mark.django_db

START = datetime.date(2027, 1, 4)
PROGRAMME_MONTHS = 12  # a municipality's whole programme: pregnancy to the first birthday
GRACE = 15
FAMILIES = int(os.environ.get("SIM_FAMILIES", "1000"))

PREGNANCY_STAGES = [Stage(Track.PREGNANCY, Unit.WEEK, w) for w in range(4, 43)]
CHILD_STAGES = [Stage(Track.CHILD, Unit.DAY, d) for d in range(7)] + [
    Stage(Track.CHILD, Unit.MONTH, m) for m in range(1, 37)
]  # the `texts` fixture's content


@dataclass
class Reader:
    relationship: str
    leaves: datetime.date | None = None
    pk: int | None = None


@dataclass
class Follow:
    reader: Reader
    joins: datetime.date


@dataclass
class Pregnancy:
    due: datetime.date
    follows: list[Follow]
    birth: datetime.date | None = None
    reported: datetime.date | None = None
    loss: datetime.date | None = None
    pk: int | None = None


def _script(rng: random.Random) -> list[Pregnancy]:
    pregnancies = []
    for _ in range(FAMILIES):
        joins = START + datetime.timedelta(days=rng.randrange(60))
        due = joins + datetime.timedelta(days=280 - 7 * rng.randint(6, 30))
        mother = Reader("self")
        pregnancy = Pregnancy(due, [Follow(mother, joins)])
        fate = rng.choices(["early", "on_time", "late", "unreported", "loss"], [25, 30, 25, 12, 8])[
            0
        ]
        if fate == "loss":
            pregnancy.loss = joins + datetime.timedelta(
                days=rng.randrange(1, (due - joins).days - 20)
            )
        elif fate != "unreported":
            offset = {"early": -rng.randint(1, 21), "on_time": 0, "late": rng.randint(1, 10)}[fate]
            pregnancy.birth = due + datetime.timedelta(days=offset)
            pregnancy.reported = pregnancy.birth + datetime.timedelta(days=rng.randint(0, 5))
        if rng.random() < 0.2:  # a partner joins before the birth (or the loss)
            latest = (min(pregnancy.loss or due, pregnancy.birth or due) - joins).days
            partner_joins = joins + datetime.timedelta(days=rng.randrange(max(latest, 1)))
            pregnancy.follows.append(Follow(Reader("partner"), partner_joins))
        if rng.random() < 0.05:
            mother.leaves = joins + datetime.timedelta(days=rng.randrange(20, 300))
        pregnancies.append(pregnancy)
        if fate != "loss" and mother.leaves is None and rng.random() < 0.03:
            second = due + datetime.timedelta(days=rng.randrange(300, 400))
            pregnancies.append(
                Pregnancy(
                    second,
                    [Follow(mother, second - datetime.timedelta(days=280 - 8 * 7))],
                    birth=second,
                    reported=second,
                )
            )
    return pregnancies


def _expected(pregnancies: list[Pregnancy]) -> set[tuple[int, str, datetime.date]]:
    """What each reader should receive, from the stage calendar and the programme's rules."""
    expected = set()
    for p in pregnancies:
        child = f"c{p.pk}"
        presumed_from = p.due + datetime.timedelta(days=GRACE)
        anchor = p.birth if p.reported else p.due
        child_from = p.reported or presumed_from
        programme_end = add_months(anchor, PROGRAMME_MONTHS)
        for follow in p.follows:
            reader = follow.reader
            stop = min(d for d in (reader.leaves, p.loss, datetime.date.max) if d)

            def add(key, day, joins=follow.joins, stop=stop, reader=reader):
                if joins <= day < stop:
                    expected.add((reader.pk, key, day))

            for stage in PREGNANCY_STAGES:
                day = stage_start(stage, p.due)
                if day < presumed_from and (p.reported is None or day < p.reported):
                    add(f"{child}:stage:{stage.key}", day)
            if p.loss is not None:
                if reader.leaves is None or p.loss < reader.leaves:
                    expected.add((reader.pk, f"{child}:special:loss", p.loss))
                continue
            for stage in CHILD_STAGES:
                day = stage_start(stage, anchor)
                if child_from <= day <= programme_end:
                    add(f"{child}:stage:{stage.key}", day)
            if p.reported:  # birthdays and graduation only for a birth someone reported
                add(f"{child}:special:birth", p.reported)
                if p.reported > p.birth:  # reported late: the birth message carries 生後0日
                    add(f"{child}:stage:child:day:0", p.reported)
                add(f"{child}:birthday:1", add_years(anchor, 1))
                add(f"{child}:special:graduation", programme_end)
            if p.reported is None or p.reported > presumed_from:
                add(f"{child}:special:birth-check", presumed_from)
    first_joins: dict[int, datetime.date] = {}
    for p in pregnancies:
        for follow in p.follows:
            pk = follow.reader.pk
            first_joins[pk] = min(first_joins.get(pk, follow.joins), follow.joins)
    expected |= {(pk, "special:welcome", day) for pk, day in first_joins.items()}
    return expected


class Recorder:
    """The outside seam: what a mailbox would receive, and on which day."""

    channel = "email"
    record_every = 1

    def __init__(self) -> None:
        self.received: list[tuple[int, datetime.date]] = []

    def send(self, messages):
        today = clock.today()
        self.received += [(m.delivery_id, today) for m in messages]
        yield [
            Result(m.delivery_id, Outcome.SENT, provider_message_id=m.message_id) for m in messages
        ]


def _at(day: datetime.date, hour: int):
    return time_machine.travel(
        datetime.datetime.combine(day, datetime.time(hour), tzinfo=clock.TOKYO), tick=False
    )


def test_a_thousand_families_receive_exactly_their_sequences(texts, settings):
    settings.KIZUNA_BIRTH_GRACE_DAYS = GRACE
    pregnancies = _script(random.Random(20261124))
    with _at(START, 0):
        municipality = MunicipalityFactory(programme_months=PROGRAMME_MONTHS)

    events: dict[datetime.date, list] = defaultdict(list)
    for p in pregnancies:
        for follow in p.follows:
            events[follow.joins].append(("join", p, follow.reader))
            if follow.reader.leaves and follow is p.follows[0]:
                events[follow.reader.leaves].append(("leave", p, follow.reader))
        if p.reported:
            events[p.reported].append(("birth", p, None))
        if p.loss:
            events[p.loss].append(("loss", p, None))
    last_day = max(
        add_months(p.due + datetime.timedelta(days=GRACE), PROGRAMME_MONTHS) for p in pregnancies
    )

    recorder = Recorder()
    day = START
    while day <= last_day + datetime.timedelta(days=1):
        with _at(day, 7):
            for kind, p, reader in events.get(day, ()):
                _apply(kind, p, reader, municipality)
        with _at(day, 8):
            planner.plan_due()
            dispatch.dispatch(senders={"email": recorder})
        if day.day == 1:
            # What autovacuum does in production; the test's open transaction hides the rows
            # from it, and without statistics PostgreSQL plans the joins as if tables were empty.
            with connection.cursor() as cursor:
                cursor.execute(
                    "ANALYZE delivery_delivery, subscribers_child, subscribers_subscription,"
                    " subscribers_subscriber"
                )
        day += datetime.timedelta(days=1)

    keys = dict(Delivery.objects.values_list("pk", "message_key"))
    owners = dict(Delivery.objects.values_list("pk", "subscriber_id"))
    messages = [(owners[pk], keys[pk], on) for pk, on in recorder.received]
    received = messages + _parts_carried(recorder)
    assert len(received) == len(set(received)), "a message went out twice"
    _assert_one_message_a_day(messages)
    expected = _expected(pregnancies)
    missing, extra = expected - set(received), set(received) - expected
    assert not missing and not extra, (sorted(missing)[:10], sorted(extra)[:10])
    assert len(received) > 30 * FAMILIES
    assert not Delivery.objects.filter(status__in=["planned", "sending", "failed"]).exists()


def _parts_carried(recorder: Recorder) -> list[tuple[int, str, datetime.date]]:
    """Messages that went out as parts of another one of the same day, on that one's day."""
    sent_on = dict(recorder.received)
    folded = Delivery.objects.filter(provider_message_id__startswith="folded-into:")
    return [
        (owner, key, sent_on[int(lead.removeprefix("folded-into:"))])
        for owner, key, lead in folded.values_list(
            "subscriber_id", "message_key", "provider_message_id"
        )
    ]


def _assert_one_message_a_day(messages: list[tuple[int, str, datetime.date]]) -> None:
    """A reader gets one message a day about a child (the welcome and a loss stand apart)."""
    per_day = Counter(
        (reader, key.split(":")[0], on)
        for reader, key, on in messages
        if key.startswith("c") and not key.endswith(":special:loss")
    )
    doubled = [day for day, count in per_day.items() if count > 1]
    assert not doubled, doubled[:5]


def _apply(kind: str, p: Pregnancy, reader: Reader | None, municipality) -> None:
    if kind == "join":
        if reader.pk is None:
            reader.pk = SubscriberFactory(
                municipality=municipality, relationship=reader.relationship, confirmed_at=None
            ).pk
        if p.pk is None:
            p.pk = ChildFactory(municipality=municipality, due_date=p.due).pk
        Subscription.objects.get_or_create(subscriber_id=reader.pk, child_id=p.pk)
        services.confirm(reader.pk, p.pk)
    elif kind == "leave":
        services.unsubscribe(reader.pk)
    elif kind == "birth":
        services.report_birth(p.pk, p.birth)
    elif kind == "loss":
        services.report_loss(p.pk, "miscarriage")
