"""The overview's counts: taken at most a few minutes ago, per municipality, and dated."""

import re
from datetime import datetime, timedelta

import pytest
import time_machine
from django.test import Client

from kizuna.clock import TOKYO
from subscribers.family_overview import COUNTS_MAX_AGE
from tests.factories import SubscriptionFactory

COUNTED_AT = datetime(2026, 11, 2, 9, 0, tzinfo=TOKYO)


def overview(user, municipality) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(f"/staff/municipalities/{municipality.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def readers_shown(page: str) -> int:
    found = re.search(r'kz-stat-num">(\d+)</span><span class="kz-stat-label">読者', page)
    assert found, "no reader count on the page"
    return int(found.group(1))


@pytest.fixture
def clock():
    with time_machine.travel(COUNTED_AT, tick=False) as traveller:
        yield traveller


def test_the_page_says_when_its_counts_were_taken(world, clock):
    page = overview(world.users["editor"], world.own)
    assert "2026年11月2日 09:00時点の人数です（5分ごとに数え直します）" in page


def test_new_readers_show_once_the_counts_are_taken_again(world, clock):
    assert readers_shown(overview(world.users["editor"], world.own)) == 1
    SubscriptionFactory(subscriber__municipality=world.own)

    clock.shift(COUNTS_MAX_AGE - timedelta(seconds=1))
    page = overview(world.users["editor"], world.own)
    assert readers_shown(page) == 1 and "09:00時点" in page

    clock.shift(timedelta(seconds=1))
    page = overview(world.users["editor"], world.own)
    assert readers_shown(page) == 2 and "09:05時点" in page


def test_each_municipality_is_counted_on_its_own(world, clock):
    SubscriptionFactory.create_batch(2, subscriber__municipality=world.other)
    operator = world.users["operator"]
    assert readers_shown(overview(operator, world.own)) == 1
    assert readers_shown(overview(operator, world.other)) == 3
    assert readers_shown(overview(world.users["editor"], world.own)) == 1


def test_counts_kept_for_another_municipality_stay_out_of_reach(world, clock):
    overview(world.users["operator"], world.other)  # the other town's counts now kept
    editor = Client()
    editor.force_login(world.users["editor"])
    assert editor.get(f"/staff/municipalities/{world.other.pk}/").status_code == 404


def test_a_new_day_is_counted_afresh(world, clock):
    overview(world.users["editor"], world.own)
    SubscriptionFactory(subscriber__municipality=world.own)
    clock.move_to(datetime(2026, 11, 3, 0, 1, tzinfo=TOKYO))
    assert readers_shown(overview(world.users["editor"], world.own)) == 2
