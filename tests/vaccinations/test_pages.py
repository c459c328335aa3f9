"""Parents record doses on the schedule page (signed link, session), and subscribe to the
child's calendar (.ics, RFC 5545, checked with the icalendar package)."""

import datetime

import icalendar
import pytest
import time_machine
from django.test import Client

from kizuna import clock
from subscribers import links as subscriber_links
from subscribers import services as subscriber_services
from tests.delivery.conftest import family
from vaccinations import links
from vaccinations.models import DoseRecord

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 12, 3)
BORN = datetime.date(2026, 9, 20)  # 2 months and 13 days old on Dec 3


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(datetime.datetime(2026, 12, 3, 10, 0, tzinfo=clock.TOKYO), tick=False):
        yield


def signed_in(reader) -> Client:
    client = Client(enforce_csrf_checks=False)
    page = client.get(f"/vaccinations/{subscriber_links.manage_token(reader)}/")
    assert page.status_code == 302 and page["Location"] == "/vaccinations/"
    return client


def test_the_schedule_page_shows_now_soon_and_lets_a_parent_record(municipality):
    reader = family(municipality, birth=BORN).subscriber
    client = signed_in(reader)
    page = client.get("/vaccinations/").content.decode()
    assert "いま受けられます" in page and "B型肝炎 1回目" in page
    assert "2026年9月20日生まれのお子さま" in page
    assert "期限を過ぎています" not in page

    child = reader.subscriptions.get().child
    answer = client.post(
        "/vaccinations/record/",
        {"child": child.pk, "dose": "hepb-1", "given_on": "2026-11-25"},
        follow=True,
    )
    page = answer.content.decode()
    assert "11月25日の接種として記録しました" in page
    record = DoseRecord.objects.get()
    assert (record.dose, record.given_on, record.recorded_by_id) == (
        "hepb-1",
        datetime.date(2026, 11, 25),
        reader.pk,
    )
    assert "接種済み（1）" in page
    # 27 days after Nov 25 is Dec 22: the 2nd dose is coming.
    assert "B型肝炎 2回目" in page and "2026年12月22日" in page


@pytest.mark.parametrize(
    ("dose", "given_on", "error"),
    [
        ("hepb-1", "2026-12-04", "未来の日付"),
        ("hepb-1", "2026-09-01", "生年月日より前"),
        ("dtpipvhib-1", "2026-11-01", "2026年11月20日から"),
        ("hepb-2", "2026-11-30", "前の回を先に記録"),
        ("nothing-1", "2026-11-30", "記録できません"),
        ("rsv-1", "2026-11-30", "出産前に"),
        ("hepb-1", "30/11/2026", "形が正しくありません"),
    ],
)
def test_a_wrong_record_is_refused_in_japanese_and_writes_nothing(
    municipality, dose, given_on, error
):
    reader = family(municipality, birth=BORN).subscriber
    child = reader.subscriptions.get().child
    page = signed_in(reader).post(
        "/vaccinations/record/",
        {"child": child.pk, "dose": dose, "given_on": given_on},
        follow=True,
    )
    assert page.status_code == 200
    assert error in page.content.decode()
    assert not DoseRecord.objects.exists()


def test_another_familys_child_cant_be_recorded(municipality):
    reader = family(municipality, birth=BORN).subscriber
    stranger = family(municipality, birth=BORN).child
    page = signed_in(reader).post(
        "/vaccinations/record/",
        {"child": stranger.pk, "dose": "hepb-1", "given_on": "2026-11-30"},
        follow=True,
    )
    assert "見つかりませんでした" in page.content.decode()
    assert not DoseRecord.objects.exists()


def test_without_the_signed_link_the_page_asks_for_a_new_one(municipality):
    assert Client().get("/vaccinations/").status_code == 403
    assert Client().get("/vaccinations/not-a-token/").status_code in (400, 403)


def test_taking_back_a_record_takes_back_the_doses_after_it(municipality):
    reader = family(municipality, birth=BORN).subscriber
    child = reader.subscriptions.get().child
    client = signed_in(reader)
    client.post(
        "/vaccinations/record/", {"child": child.pk, "dose": "hepb-1", "given_on": "2026-10-01"}
    )
    client.post(
        "/vaccinations/record/", {"child": child.pk, "dose": "hepb-2", "given_on": "2026-11-01"}
    )
    assert DoseRecord.objects.count() == 2
    page = client.post("/vaccinations/remove/", {"child": child.pk, "dose": "hepb-1"}, follow=True)
    assert "記録を取り消しました" in page.content.decode()
    assert not DoseRecord.objects.exists()


def events_of(body: bytes) -> dict[str, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(body)
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"]
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def test_the_calendar_is_valid_icalendar_with_stable_uids_that_follows_the_records(municipality):
    subscription = family(municipality, birth=BORN)
    reader, child = subscription.subscriber, subscription.child
    url = links.calendar_url(reader, child).removeprefix("http://testserver")
    url = url[url.index("/vaccinations/") :]
    first = Client().get(url)
    assert first.status_code == 200
    assert first["Content-Type"].startswith("text/calendar")
    events = events_of(first.content)
    uid = f"child-{child.pk}-hepb-1@vaccinations.kizuna"
    assert uid in events
    hepb = events[uid]
    assert str(hepb["SUMMARY"]) == "予防接種: B型肝炎 1回目"
    # An all-day event over the recommended window: Nov 20, 2026 (2 months) to Jun 19, 2027
    # (the day before 9 months), DTEND exclusive.
    assert hepb.decoded("DTSTART") == datetime.date(2026, 11, 20)
    assert hepb.decoded("DTEND") == datetime.date(2027, 6, 20)
    assert "2027年9月19日（日）まで" in str(hepb["DESCRIPTION"])
    for event in events.values():
        assert event["DTSTAMP"] and event["UID"]

    again = events_of(Client().get(url).content)
    assert set(again) == set(events)  # the same UIDs: an app updates, it doesn't add

    DoseRecord.objects.create(child=child, dose="hepb-1", given_on=datetime.date(2026, 11, 25))
    after = events_of(Client().get(url).content)
    assert uid not in after
    assert f"child-{child.pk}-hepb-2@vaccinations.kizuna" in after  # from Dec 22 now


def test_after_a_loss_the_calendar_is_empty_and_the_page_shows_nothing(municipality):
    subscription = family(municipality, birth=BORN)
    url = links.calendar_url(subscription.subscriber, subscription.child)
    url = url[url.index("/vaccinations/") :]
    subscriber_services.report_loss(subscription.child_id, "infant_death")
    assert events_of(Client().get(url).content) == {}
    page = signed_in(subscription.subscriber).get("/vaccinations/").content.decode()
    assert "B型肝炎" not in page
    assert "表示できるお子さまはいません" in page


def test_a_forged_calendar_address_is_not_found(municipality):
    assert Client().get("/vaccinations/calendar/forged.ics").status_code == 404
