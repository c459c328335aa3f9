"""The daily planner: the right stage on the right day, once, for exactly the right families."""

import datetime
import threading

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from content.models import BirthdayMessage
from content.stages import Stage, Track, Unit, stage_start
from delivery import planner, services
from delivery.models import Delivery, PlanRun, SentMessage
from kizuna import clock
from subscribers import services as subscriber_services
from subscribers.models import Child
from tests.delivery.conftest import due_for, stage_text
from tests.delivery.conftest import family as make_family
from tests.factories import MunicipalityFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

ON = datetime.date(2026, 11, 24)


@pytest.fixture
def weekly_content():
    for week in range(4, 43):
        stage_text("pregnancy", "week", week)
    for day in range(7):
        stage_text("child", "day", day)
    for week in range(1, 4):
        stage_text("child", "week", week)
    for month in range(1, 37):
        stage_text("child", "month", month)
    stage_text("child", "day", 100)
    BirthdayMessage.objects.create(age_years=1, subject="1歳", body="本文", published=True)


@pytest.fixture
def municipality():
    with time_machine.travel(datetime.datetime(2026, 1, 1, tzinfo=clock.TOKYO)):
        return MunicipalityFactory()


def _keys(**filters):
    return sorted(Delivery.objects.filter(**filters).values_list("message_key", flat=True))


def test_a_family_gets_the_stage_it_enters_today_and_nothing_in_between(
    municipality, weekly_content
):
    family = make_family(municipality, due=due_for(20))
    planner.plan_day(ON, [municipality])
    assert _keys() == [f"c{family.child_id}:stage:pregnancy:week:20"]
    delivery = Delivery.objects.get()
    assert (delivery.due_on, delivery.channel, delivery.status) == (ON, "email", "planned")
    planner.plan_day(ON + datetime.timedelta(days=1), [municipality])  # 20w1d: no message
    assert Delivery.objects.count() == 1


def test_planning_twice_adds_nothing(municipality, weekly_content):
    make_family(municipality, due=due_for(20))
    make_family(municipality, birth=ON - datetime.timedelta(days=3))
    first = planner.plan_day(ON, [municipality])
    second = planner.plan_day(ON, [municipality])
    assert first.total == 2
    assert second.total == 0
    assert Delivery.objects.count() == 2


def _planning_statements(on, municipality) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        planner.plan_day(on, [municipality])
    return [q["sql"] for q in queries if "INSERT INTO delivery_delivery" in q["sql"]]


def test_only_a_re_plan_probes_for_rows_already_queued_and_neither_duplicates(
    municipality, weekly_content
):
    families = [make_family(municipality, due=due_for(20)) for _ in range(3)]
    # A row already there on the first plan (queued by hand for one reader): kept as it is.
    first_key = f"c{families[0].child_id}:stage:pregnancy:week:20"
    Delivery.objects.create(
        municipality=municipality,
        subscriber_id=families[0].subscriber_id,
        channel="email",
        message_key=first_key,
        due_on=ON,
    )
    first = _planning_statements(ON, municipality)
    assert first and not any("EXISTS (SELECT 1 FROM delivery_delivery d" in sql for sql in first)
    assert Delivery.objects.count() == 3
    assert Delivery.objects.filter(message_key=first_key).count() == 1
    make_family(municipality, due=due_for(20))  # confirmed after the first plan
    again = _planning_statements(ON, municipality)
    assert all("EXISTS (SELECT 1 FROM delivery_delivery d" in sql for sql in again)
    assert Delivery.objects.count() == 4
    assert len(set(Delivery.objects.values_list("subscriber_id", "message_key"))) == 4


@pytest.mark.django_db(transaction=True)
def test_two_beats_planning_at_once_add_each_message_once(municipality, weekly_content):
    families = [make_family(municipality, due=due_for(20)) for _ in range(30)]
    errors = []

    def beat():
        try:
            planner.plan_day(ON, [municipality])
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=beat) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Delivery.objects.count() == len(families)


def test_every_family_member_gets_their_own_copy(municipality, weekly_content):
    mother = make_family(municipality, due=due_for(12))
    SubscriptionFactory(
        subscriber__municipality=municipality,
        subscriber__relationship="partner",
        child=mother.child,
        subscriber__confirmed_at=mother.subscriber.confirmed_at,
    )
    planner.plan_day(ON, [municipality])
    assert Delivery.objects.filter(child=mother.child).count() == 2


def test_who_gets_nothing(municipality, weekly_content):
    due = due_for(20)
    make_family(municipality, due=due, confirmed_at=None)
    make_family(municipality, due=due, unsubscribed_at=clock.now())
    make_family(municipality, due=due, channel_stopped_at=clock.now())
    lost = make_family(municipality, due=due)
    Child.objects.filter(pk=lost.child_id).update(status="lost", loss="miscarriage")
    born = make_family(municipality, due=due)
    Child.objects.filter(pk=born.child_id).update(status="born", birth_date=ON)
    other_municipality = make_family(MunicipalityFactory(), due=due)
    planner.plan_day(ON, [municipality])
    # Only the baby born today gets its day-0 message; nobody else here gets anything.
    assert _keys() == [f"c{born.child_id}:stage:child:day:0"]
    assert not Delivery.objects.filter(child=other_municipality.child).exists()


@pytest.mark.parametrize(
    ("birth", "on", "stage"),
    [
        (datetime.date(2027, 1, 31), datetime.date(2027, 2, 28), "child:month:1"),
        (datetime.date(2027, 1, 29), datetime.date(2027, 2, 28), "child:month:1"),
        (datetime.date(2028, 1, 29), datetime.date(2028, 2, 29), "child:month:1"),
        (datetime.date(2027, 1, 31), datetime.date(2027, 3, 31), "child:month:2"),
        (datetime.date(2027, 1, 1), datetime.date(2027, 4, 11), "child:day:100"),
        (datetime.date(2027, 1, 1), datetime.date(2027, 1, 22), "child:week:3"),
    ],
)
def test_month_ends_and_milestones(municipality, weekly_content, birth, on, stage):
    family = make_family(municipality, birth=birth)
    planner.plan_day(on, [municipality])
    assert _keys() == [f"c{family.child_id}:stage:{stage}"]


def test_without_a_reported_birth_the_child_track_starts_after_the_grace_period(
    municipality, weekly_content, settings
):
    settings.KIZUNA_BIRTH_GRACE_DAYS = 15
    due = ON
    family = make_family(municipality, due=due)
    key = f"c{family.child_id}"
    planner.plan_day(due + datetime.timedelta(days=14), [municipality])
    assert _keys() == [f"{key}:stage:pregnancy:week:42"]
    planner.plan_day(due + datetime.timedelta(days=15), [municipality])
    assert f"{key}:special:birth-check" in _keys()
    planner.plan_day(due + datetime.timedelta(days=21), [municipality])
    assert f"{key}:stage:child:week:3" in _keys()
    # Planning the birth-check day again sends no second question.
    planner.plan_day(due + datetime.timedelta(days=15), [municipality])
    assert _keys().count(f"{key}:special:birth-check") == 1


def test_birthdays_graduation_and_the_end_of_the_programme(municipality, weekly_content):
    one = make_family(municipality, birth=datetime.date(2025, 11, 24))
    three = make_family(municipality, birth=datetime.date(2023, 11, 24))
    older = make_family(municipality, birth=datetime.date(2023, 11, 20))
    planner.plan_day(ON, [municipality])
    assert _keys(child=one.child) == [
        f"c{one.child_id}:birthday:1",
        f"c{one.child_id}:stage:child:month:12",
    ]
    assert _keys(child=three.child) == [
        f"c{three.child_id}:special:graduation",
        f"c{three.child_id}:stage:child:month:36",
    ]
    assert _keys(child=older.child) == []
    older.child.refresh_from_db()
    assert older.child.status == "graduated"
    three.child.refresh_from_db()
    assert three.child.status == "born"  # graduates tomorrow, after today's last message


def test_a_shorter_programme_stops_earlier(weekly_content):
    municipality = MunicipalityFactory(programme_months=12)
    family = make_family(municipality, birth=datetime.date(2025, 10, 24))
    planner.plan_day(ON, [municipality])  # 13 months old today
    assert _keys() == []
    family.child.refresh_from_db()
    assert family.child.status == "graduated"


def test_dry_run_counts_what_would_be_written_and_writes_nothing(municipality, weekly_content):
    for week in (8, 20, 20, 36):
        make_family(municipality, due=due_for(week))
    dry = planner.plan_day(ON, [municipality], dry_run=True)
    assert Delivery.objects.count() == 0
    assert not PlanRun.objects.exists()
    assert dry.by_channel == {(municipality.pk, "email"): 4}
    real = planner.plan_day(ON, [municipality])
    assert real.total == dry.total == 4
    assert planner.plan_day(ON, [municipality], dry_run=True).total == 0


def test_forecast_counts_each_coming_day(municipality, weekly_content):
    make_family(
        municipality,
        due=due_for(20, on=ON + datetime.timedelta(days=3)),
        channel="line",
        line_user_id="U" + "1" * 32,
    )
    counts = planner.forecast([municipality], ON, days=7)
    assert counts == {(ON + datetime.timedelta(days=3), municipality.pk, "line"): 1}


@pytest.mark.parametrize(
    ("clock_time", "planned_today"),
    [(datetime.time(7, 29), False), (datetime.time(7, 30), True)],
)
def test_today_is_planned_once_the_delivery_time_has_come(
    municipality, weekly_content, clock_time, planned_today
):
    make_family(municipality, due=due_for(20))
    with time_machine.travel(datetime.datetime.combine(ON, clock_time, tzinfo=clock.TOKYO)):
        planner.plan_due()
    assert PlanRun.objects.filter(municipality=municipality, day=ON).exists() is planned_today
    assert Delivery.objects.exists() is planned_today


def test_catch_up_after_downtime_plans_missed_days_in_order_within_the_window(
    municipality, weekly_content, settings
):
    settings.KIZUNA_CATCH_UP_DAYS = 3
    families = {
        offset: make_family(municipality, due=due_for(20, on=ON - datetime.timedelta(days=offset)))
        for offset in range(6)
    }  # each enters week 20 on a different one of the last six days
    PlanRun.objects.create(
        municipality=municipality,
        day=ON - datetime.timedelta(days=6),
        started_at=clock.now(),
        finished_at=clock.now(),
    )
    with time_machine.travel(datetime.datetime.combine(ON, datetime.time(8), tzinfo=clock.TOKYO)):
        planner.plan_due()
    planned_days = sorted(PlanRun.objects.values_list("day", flat=True))
    assert planned_days[1:] == [ON - datetime.timedelta(days=n) for n in (3, 2, 1, 0)]
    got = {f.pk for f in families.values() if Delivery.objects.filter(child=f.child).exists()}
    assert got == {families[n].pk for n in range(4)}  # 4 and 5 days ago: beyond the window
    # In order: the older missed day was written first.
    due_days = list(Delivery.objects.order_by("pk").values_list("due_on", flat=True))
    assert due_days == sorted(due_days)


def test_catch_up_never_sends_a_new_reader_what_fell_due_before_they_joined(
    municipality, weekly_content
):
    yesterday = ON - datetime.timedelta(days=1)
    family = make_family(municipality, due=due_for(20, on=yesterday))
    family.subscriber.confirmed_at = datetime.datetime.combine(
        ON, datetime.time(6), tzinfo=clock.TOKYO
    )
    family.subscriber.save()
    planner.plan_day(yesterday, [municipality])
    assert not Delivery.objects.exists()


def test_stage_start_and_planner_agree_for_every_week(municipality, weekly_content):
    """A whole pregnancy, day by day: each week's message exactly once, on its first day."""
    due = datetime.date(2027, 3, 1)
    family = make_family(municipality, due=due)
    day = stage_start(Stage(Track.PREGNANCY, Unit.WEEK, 4), due)
    while day < due + datetime.timedelta(days=15):
        planner.plan_day(day, [municipality])
        day += datetime.timedelta(days=1)
    rows = Delivery.objects.filter(child=family.child).order_by("due_on")
    assert [r.message_key.rsplit(":", 1)[1] for r in rows] == [str(w) for w in range(4, 43)]
    for row in rows:
        week = int(row.message_key.rsplit(":", 1)[1])
        assert row.due_on == stage_start(Stage(Track.PREGNANCY, Unit.WEEK, week), due)


def test_each_stage_is_planned_once_whatever_the_number_of_languages(municipality, weekly_content):
    stage_text("pregnancy", "week", 20, language="en")
    stage_text("pregnancy", "week", 20, audience="partner")
    assert planner.stages_with_messages().count(Stage(Track.PREGNANCY, Unit.WEEK, 20)) == 1
    make_family(municipality, due=due_for(20))
    assert planner.plan_day(ON, [municipality], dry_run=True).total == 1


def _rows_postgres_knows_of() -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = 'delivery_delivery'::regclass")
        return cursor.fetchone()[0]


def test_a_plan_that_adds_a_large_share_of_the_table_refreshes_its_statistics_at_once(
    municipality, weekly_content
):
    """Stale statistics would make every claim sort the whole day until autovacuum came round."""
    for _ in range(planner.ANALYZE_AFTER_ROWS + 10):
        make_family(municipality, due=due_for(20))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE delivery_delivery")  # the table as it was before the plan: empty
    assert _rows_postgres_knows_of() == 0
    with time_machine.travel(datetime.datetime.combine(ON, datetime.time(8), tzinfo=clock.TOKYO)):
        planner.plan_due()
    assert Delivery.objects.count() == planner.ANALYZE_AFTER_ROWS + 10
    assert _rows_postgres_knows_of() == planner.ANALYZE_AFTER_ROWS + 10

    # A plan adding less than autovacuum's own threshold leaves the statistics to autovacuum.
    make_family(municipality, due=due_for(20, on=ON + datetime.timedelta(days=1)))
    next_morning = datetime.datetime.combine(
        ON + datetime.timedelta(days=1), datetime.time(8), tzinfo=clock.TOKYO
    )
    with time_machine.travel(next_morning):
        planner.plan_due()
    assert Delivery.objects.count() == planner.ANALYZE_AFTER_ROWS + 11
    assert _rows_postgres_knows_of() == planner.ANALYZE_AFTER_ROWS + 10
    assert planner.refresh_statistics(0) is False


def _sent_long_ago(subscription, key: str, day: datetime.date) -> None:
    """A stage that went out and whose row the roll-up has since replaced by its record."""
    SentMessage.objects.create(
        subscriber=subscription.subscriber, due_on=day, channel="email", message_key=key
    )


def test_a_stage_sent_before_the_due_date_moved_later_is_not_sent_again(
    municipality, weekly_content
):
    reader = make_family(municipality, due=due_for(22))
    partner = SubscriptionFactory(
        child=reader.child,
        subscriber__municipality=municipality,
        subscriber__confirmed_at=datetime.datetime(2026, 1, 1, tzinfo=clock.TOKYO),
    )
    key = f"c{reader.child_id}:stage:pregnancy:week:20"
    _sent_long_ago(reader, key, ON - datetime.timedelta(weeks=2))
    child = reader.child
    moved_from, child.due_date = child.due_date, child.due_date + datetime.timedelta(weeks=2)
    child.save()

    # Today the family enters week 20 again. Only the partner, who never had it, gets it.
    assert services.check_stages_sent_again(
        child, moved_from, child.due_date, today=ON
    ) == ON + datetime.timedelta(weeks=2)
    planner.plan_day(ON, [municipality])
    assert list(Delivery.objects.values_list("subscriber_id", "message_key")) == [
        (partner.subscriber_id, key)
    ]

    # The record is what stopped it: without the check the reader would have had it twice.
    Delivery.objects.all().delete()
    Child.objects.update(stages_checked_until=None)
    planner.plan_day(ON, [municipality])
    assert Delivery.objects.filter(subscriber=reader.subscriber).exists()


def test_a_birth_reported_after_the_child_messages_began_by_the_due_date_repeats_none(
    municipality, weekly_content
):
    # Past the due date and its grace, week 3 went out by the due date nine days ago.
    reader = make_family(municipality, due=ON - datetime.timedelta(days=30))
    key = f"c{reader.child_id}:stage:child:week:3"
    _sent_long_ago(reader, key, ON - datetime.timedelta(days=9))
    # Born ten days after the due date, reported today: by the birth date, week 3 is tomorrow.
    with time_machine.travel(datetime.datetime.combine(ON, datetime.time(9), tzinfo=clock.TOKYO)):
        subscriber_services.report_birth(reader.child_id, ON - datetime.timedelta(days=20))
    tomorrow = ON + datetime.timedelta(days=1)
    planner.plan_day(tomorrow, [municipality])
    assert not Delivery.objects.filter(message_key=key).exists()


def test_staff_moving_a_due_date_in_the_admin_turns_the_check_on(municipality, weekly_content):
    from tests.staff.conftest import make_user
    from tests.staff.test_isolation import form_data

    reader = make_family(municipality, due=due_for(22))
    client = Client()
    client.force_login(make_user("root", is_superuser=True))
    url = f"/admin/subscribers/child/{reader.child_id}/change/"
    with time_machine.travel(datetime.datetime.combine(ON, datetime.time(9), tzinfo=clock.TOKYO)):
        data = form_data(client.get(url))
        data["due_date"] = (reader.child.due_date + datetime.timedelta(days=10)).isoformat()
        response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    reader.child.refresh_from_db()
    assert reader.child.stages_checked_until == ON + datetime.timedelta(days=10)
