"""The manage page's 「次のメッセージ」: the first published stage of the municipality's cadence
after today, found near today (subscribers.selectors.next_stage) rather than by computing the
start of every stage; and the published stage set kept per process, re-read after a write."""

import datetime
import itertools

import pytest

from content import published
from content.programme import FINEST, PRESETS, Programme
from content.stages import Stage, Track, Unit, add_months, add_years, stage_start
from subscribers.selectors import SLACK_DAYS, Upcoming, next_stage, nominal_days


def _text(**fields):
    from content.models import StageMessage

    return StageMessage.objects.create(subject="件名", body="本文", **fields)


def _walk(stages, anchor, today, end):
    """The plain definition: every stage's start, the first after today (and by the end)."""
    upcoming = [(stage_start(s, anchor), s) for s in stages]
    upcoming = [(on, s) for on, s in upcoming if on > today and (end is None or on <= end)]
    return min(upcoming) if upcoming else None


def _upcoming(stages):
    pairs = sorted((nominal_days(s), s) for s in stages)
    return Upcoming(tuple(d for d, _ in pairs), tuple(s for _, s in pairs))


def test_calendar_months_and_years_stay_within_the_slack_of_their_nominal_length():
    start = datetime.date(2024, 1, 1)
    for birth in (start + datetime.timedelta(days=n) for n in range(0, 4 * 366, 3)):
        for months in range(1, 96):
            exact = (add_months(birth, months) - birth).days
            assert abs(exact - nominal_days(Stage(Track.CHILD, Unit.MONTH, months))) < SLACK_DAYS
        for years in range(1, 8):
            exact = (add_years(birth, years) - birth).days
            assert abs(exact - nominal_days(Stage(Track.CHILD, Unit.YEAR, years))) < SLACK_DAYS


@pytest.mark.parametrize(
    "programme",
    [FINEST, Programme(**PRESETS["weekly"][1]), Programme(**PRESETS["light"][1], months=24)],
    ids=["finest", "weekly", "light-24"],
)
def test_the_next_stage_is_the_one_a_walk_through_every_stage_finds(programme):
    stages = [*programme.stages(), Stage(Track.CHILD, Unit.YEAR, 2)]  # one no cadence knows
    by_track = {track: [s for s in stages if s.track == track] for track in Track}
    today = datetime.date(2026, 12, 3)
    for days in itertools.chain(range(-20, 300, 1), range(300, 3000, 7)):
        due = today + datetime.timedelta(days=280 - days)  # pregnancies, then beyond the due date
        pregnancy = by_track[Track.PREGNANCY]
        assert next_stage(_upcoming(pregnancy), due, today, None) == _walk(
            pregnancy, due, today, None
        )
        birth = today - datetime.timedelta(days=days)
        end = programme.end(birth)
        child = by_track[Track.CHILD]
        assert next_stage(_upcoming(child), birth, today, end) == _walk(child, birth, today, end)


@pytest.mark.django_db
def test_the_published_set_is_read_again_after_a_text_is_written():
    text = _text(track="pregnancy", unit="week", number=20, published=True)
    first = published.published_stages()
    assert Stage(Track.PREGNANCY, Unit.WEEK, 20) in first
    assert published.published_stages() is first  # kept: no query for the next page
    text.published = False
    text.save()
    assert Stage(Track.PREGNANCY, Unit.WEEK, 20) not in published.published_stages()
    _text(track="pregnancy", unit="week", number=21, published=True)
    assert Stage(Track.PREGNANCY, Unit.WEEK, 21) in published.published_stages()
    text.delete()
    assert published.published_stages() == (Stage(Track.PREGNANCY, Unit.WEEK, 21),)


@pytest.mark.django_db
def test_the_pack_loader_refreshes_the_published_set():
    from django.core.management import call_command

    assert published.published_stages() == ()
    call_command("load_content", verbosity=0)
    assert Stage(Track.PREGNANCY, Unit.WEEK, 20) in published.published_stages()


@pytest.mark.django_db
def test_a_write_in_another_process_is_seen_within_the_maximum_age(monkeypatch):
    from content.models import StageMessage

    assert published.published_stages() == ()
    _text(track="child", unit="month", number=3, published=True)
    published.published_stages()
    # Another process's write sends no signal here: the copy is re-read once it is old.
    StageMessage.objects.update(published=False)
    clock = [published.time.monotonic() + published.MAX_AGE_SECONDS + 1]
    monkeypatch.setattr(published.time, "monotonic", lambda: clock[0])
    assert published.published_stages() == ()
