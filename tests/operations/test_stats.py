"""The summary rows behind the dashboard: exact, refreshed while a day can change, then kept."""

import datetime

import pytest
from django.core.management import call_command

from delivery import planner, stats
from delivery.models import DayCount, Delivery, ForecastCount
from kizuna import clock
from tests.delivery.conftest import due_for, family
from tests.factories import MunicipalityFactory
from tests.operations.conftest import TODAY, deliveries

pytestmark = pytest.mark.django_db


def test_open_days_are_the_catch_up_window_and_days_with_unsent_rows(now):
    municipality = MunicipalityFactory()
    old = TODAY - datetime.timedelta(days=9)
    deliveries(municipality, old, "planned", 1)
    stats.recount_days([old])
    window = sorted(TODAY - datetime.timedelta(days=back) for back in range(4))
    assert stats.open_days(TODAY) == sorted([old, *window])
    # The last unsent row of that day goes out: one more recount, then the day is closed.
    Delivery.objects.filter(due_on=old).update(status="sent")
    stats.recount_open_days(TODAY)
    assert DayCount.objects.get(day=old).status == "sent"
    assert stats.open_days(TODAY) == window


def test_a_closed_day_keeps_its_counts_when_its_rows_are_erased(now):
    municipality = MunicipalityFactory()
    old = TODAY - datetime.timedelta(days=20)
    rows = deliveries(municipality, old, "sent", 3)
    stats.recount_days([old])
    Delivery.objects.filter(pk=rows[0].pk).delete()  # an erased reader's deliveries go
    stats.recount_open_days(TODAY)
    assert DayCount.objects.get(day=old).count == 3


def test_recount_replaces_rather_than_adds(now):
    municipality = MunicipalityFactory()
    deliveries(municipality, TODAY, "planned", 4)
    stats.recount_days([TODAY])
    stats.recount_days([TODAY])
    assert list(DayCount.objects.values_list("status", "count")) == [("planned", 4)]


def test_tallies_add_up_and_old_ones_are_pruned(now):
    municipality = MunicipalityFactory()
    stats.add_tally({(municipality.pk, "email", "sent"): 3})
    stats.add_tally({(municipality.pk, "email", "sent"): 4, (municipality.pk, "line", "retry"): 1})
    stats.add_tally({(municipality.pk, "email", "sent"): 9}, at=now - datetime.timedelta(days=8))
    assert stats.prune_tallies() == 1
    from delivery.models import SendTally

    assert sorted(SendTally.objects.values_list("channel", "outcome", "count")) == [
        ("email", "sent", 7),
        ("line", "retry", 1),
    ]


def test_the_stored_forecast_is_the_planners(municipality, texts, morning):
    for week in (10, 20, 30):
        family(municipality, due=due_for(week))
    call_command("forecast", days=14)
    expected = planner.forecast([municipality], clock.today() + datetime.timedelta(days=1), 14)
    stored = {(f.day, f.municipality_id, f.channel): f.count for f in ForecastCount.objects.all()}
    assert stored == {key: count for key, count in expected.items() if count}
    assert sum(stored.values()) == 6  # each family enters a new week twice in 14 days
