"""Group sessions: each child in the range invited by name with an .ics, a reminder the day
before, one correction per change, holidays and over-capacity held for staff, nothing after a
loss."""

import base64
import datetime
import email
from email import policy

import icalendar
import pytest
import time_machine
from django.test import Client

from checkups import personal_data, services
from checkups.links import calendar_token
from checkups.models import CheckupSettings, Session
from delivery import dispatch, planner
from delivery.models import Delivery
from kizuna import clock
from subscribers.models import Child
from tests.delivery.conftest import MORNING, TODAY, family, line_user

pytestmark = pytest.mark.django_db

HELD_ON = TODAY + datetime.timedelta(days=14)  # 2026-12-08, a Tuesday
DATA = services.SessionData(
    check_number=2,
    held_on=HELD_ON,
    starts_at=datetime.time(13, 30),
    venue="保健センター",
    born_from=datetime.date(2026, 8, 1),
    born_until=datetime.date(2026, 8, 31),
    capacity=30,
)


def _plan(municipality):
    return planner.plan_day(clock.today(), [municipality]).planned


def _parts(message):
    text = message.get_body(preferencelist=("plain",)).get_content()
    calendars = [
        part.get_content()
        for part in message.iter_attachments()
        if part.get_content_type() == "text/calendar"
    ]
    return text, calendars


def _event(raw):
    data = raw if isinstance(raw, bytes) else raw.encode()
    calendar = icalendar.Calendar.from_ical(data)
    [event] = calendar.walk("VEVENT")
    return calendar, event


def _session(municipality, **changes):
    data = DATA.__class__(**{**DATA.__dict__, **changes})
    return services.create_session(municipality_id=municipality.pk, data=data, by=None)


def test_each_child_in_range_is_invited_with_an_ics(municipality, smtp, morning):
    invited = family(municipality, birth=datetime.date(2026, 8, 15), nickname="はな")
    family(municipality, birth=datetime.date(2026, 9, 1))  # outside the range
    session = _session(municipality)
    assert _plan(municipality)["checkinvite"] == 1
    assert _plan(municipality)["checkinvite"] == 0  # a re-plan adds nothing

    assert dispatch.dispatch().outcomes == {"sent": 1}
    [message] = smtp.messages
    assert message["To"] == invited.subscriber.email
    text, [ics] = _parts(message)
    assert "はなさん、お子さんの3〜4か月児健診は12月8日（火）13:30から、保健センターです。" in text
    calendar, event = _event(ics)
    assert (
        event["UID"]
        == f"checkup-session-{session.pk}-child-{invited.child_id}@city.koto.example.jp"
    )
    assert event.decoded("DTSTART") == datetime.datetime(
        2026, 12, 8, 13, 30, tzinfo=event.decoded("DTSTART").tzinfo
    )
    assert event.decoded("DTSTART").utcoffset() == datetime.timedelta(hours=9)
    assert str(event["LOCATION"]) == "保健センター"
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert int(event["SEQUENCE"]) == 0


def test_invitations_wait_until_n_days_before(municipality, morning):
    family(municipality, birth=datetime.date(2026, 8, 15))
    _session(municipality, held_on=TODAY + datetime.timedelta(days=15))
    assert _plan(municipality)["checkinvite"] == 0
    CheckupSettings.objects.create(municipality=municipality, invitation_lead_days=15)
    assert _plan(municipality)["checkinvite"] == 1


def test_line_readers_get_a_signed_link_to_the_calendar_file(municipality, line, morning):
    reader = family(
        municipality, birth=datetime.date(2026, 8, 15), channel="line", line_user_id=line_user(1)
    )
    session = _session(municipality)
    _plan(municipality)
    assert dispatch.dispatch().outcomes == {"sent": 1}
    [(user, text)] = line.received
    assert user == line_user(1)
    assert "12月8日（火）13:30から、保健センターです" in text
    token = text.split("/kenshin/calendar/")[1].split("/")[0]
    response = Client().get(f"/kenshin/calendar/{token}/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    _, event = _event(response.content)
    assert event["UID"].startswith(f"checkup-session-{session.pk}-child-{reader.child_id}@")
    # A forged token, or one for another reader's child, finds nothing.
    other = calendar_token(reader.subscriber_id + 999, session.pk, reader.child_id)
    assert Client().get(f"/kenshin/calendar/{other}/").status_code == 404
    assert Client().get(f"/kenshin/calendar/{token[:-3]}xyz/").status_code == 404


def test_a_reminder_goes_out_the_day_before(municipality, smtp, morning):
    family(municipality, birth=datetime.date(2026, 8, 15))
    _session(municipality)
    _plan(municipality)
    dispatch.dispatch()
    eve = datetime.datetime.combine(HELD_ON - datetime.timedelta(days=1), MORNING.timetz())
    with time_machine.travel(eve, tick=True):
        planned = _plan(municipality)
        assert planned["checkeve"] == 1
        assert dispatch.dispatch().outcomes == {"sent": 1}
    subject = smtp.messages[-1]["Subject"].strip()
    assert subject == "明日は3〜4か月児健診です"
    text, [ics] = _parts(smtp.messages[-1])
    assert _event(ics)[1]["UID"].startswith("checkup-session-")
    assert "明日12月8日（火）13:30から、保健センターで3〜4か月児健診があります。" in text


def test_a_move_sends_one_correction_per_change_and_never_twice(municipality, smtp, morning):
    sent = family(municipality, birth=datetime.date(2026, 8, 15))
    session = _session(municipality)
    _plan(municipality)
    assert dispatch.dispatch().outcomes == {"sent": 1}
    sent_to = sent.subscriber_id
    # Registered since: invited today, not yet sent, so the invitation itself will be current.
    family(municipality, birth=datetime.date(2026, 8, 20))
    assert _plan(municipality)["checkinvite"] == 1

    moved = DATA.__class__(**{**DATA.__dict__, "starts_at": datetime.time(14, 0)})
    first = services.update_session(session=session, data=moved, by=None)
    assert first is not None
    # Saving the same thing again (a double click, a reload) is no change and sends nothing.
    assert services.update_session(session=session, data=moved, by=None) is None
    assert Delivery.objects.filter(message_key__contains=":checkfix:").count() == 1
    second = services.update_session(
        session=session, data=DATA.__class__(**{**moved.__dict__, "venue": "区民館"}), by=None
    )
    assert second is not None
    cancelled = services.cancel_session(session=session, by=None)
    assert services.cancel_session(session=session, by=None) is None
    corrections = Delivery.objects.filter(message_key__contains=":checkfix:")
    assert sorted(corrections.values_list("message_key", flat=True)) == sorted(
        f"c{sent.child_id}:checkfix:{change.pk}" for change in (first, second, cancelled)
    )
    assert {d.subscriber_id for d in corrections} == {sent_to}

    smtp.messages.clear()
    # The second family's invitation is skipped: the session was cancelled before it went.
    assert dispatch.dispatch().outcomes == {"sent": 3, "skipped": 1}
    subjects = sorted(m["Subject"].strip() for m in smtp.messages)
    assert subjects == [
        "【中止】3〜4か月児健診のご案内",
        "【変更】3〜4か月児健診のご案内",
        "【変更】3〜4か月児健診のご案内",
    ]
    moved_texts = [_parts(m) for m in smtp.messages if "変更" in m["Subject"]]
    assert any("14:00から、保健センター" in text for text, _ in moved_texts)
    cancel_mail = next(m for m in smtp.messages if "中止" in m["Subject"])
    calendar, event = _event(_parts(cancel_mail)[1][0])
    assert str(calendar["METHOD"]) == "CANCEL" and str(event["STATUS"]) == "CANCELLED"
    assert int(event["SEQUENCE"]) == 3

    # Planning again never sends the cancelled session's invitation or reminder.
    assert _plan(municipality)["checkinvite"] == 0


def test_a_holiday_session_is_held_until_staff_confirm(municipality, morning):
    family(municipality, birth=datetime.date(2026, 8, 15))
    CheckupSettings.objects.create(municipality=municipality, invitation_lead_days=60)
    session = _session(municipality, held_on=datetime.date(2027, 1, 11))  # 成人の日
    assert _plan(municipality)["checkinvite"] == 0
    services.confirm_session(session=session, by=None)
    assert _plan(municipality)["checkinvite"] == 1


def test_more_invited_than_places_is_held_until_staff_confirm(municipality, morning):
    family(municipality, birth=datetime.date(2026, 8, 15))
    family(municipality, birth=datetime.date(2026, 8, 16))
    session = _session(municipality, capacity=1)
    assert _plan(municipality)["checkinvite"] == 0
    Session.objects.filter(pk=session.pk).update(capacity=2)
    assert _plan(municipality)["checkinvite"] == 2


def test_nothing_about_a_session_after_a_loss(municipality, smtp, morning):
    lost = family(municipality, birth=datetime.date(2026, 8, 15))
    _session(municipality)
    Child.objects.filter(pk=lost.child_id).update(status=Child.Status.LOST, loss="infant_death")
    assert _plan(municipality)["checkinvite"] == 0

    other = family(municipality, birth=datetime.date(2026, 8, 16))
    _plan(municipality)
    Child.objects.filter(pk=other.child_id).update(status=Child.Status.LOST, loss="infant_death")
    dispatch.dispatch()
    assert smtp.messages == []
    assert Delivery.objects.get(child_id=other.child_id).status == Delivery.Status.SKIPPED


def test_the_raw_ics_is_rfc_5545(municipality, smtp, morning):
    family(municipality, birth=datetime.date(2026, 8, 15))
    _session(municipality, venue="こども家庭センター（本庁舎3階、子育て支援課の隣の多目的室）")
    _plan(municipality)
    dispatch.dispatch()
    raw = email.message_from_bytes(smtp.messages[0].as_bytes(), policy=policy.default)
    [ics] = [p.get_payload(decode=True) for p in raw.iter_attachments()]
    # Mail carries text parts with the wire's line ends; each line stays within 75 octets.
    lines = ics.replace(b"\r\n", b"\n").split(b"\n")
    assert max(len(line) for line in lines) <= 75 and len(lines) > 20
    assert any(line.startswith(b" ") for line in lines)  # the long venue was folded
    assert lines[-2] == b"END:VCALENDAR"
    _, event = _event(ics)
    assert str(event["LOCATION"]).startswith("こども家庭センター（本庁舎3階")


def test_postmark_carries_the_ics_too(municipality, postmark, morning):
    family(municipality, birth=datetime.date(2026, 8, 15))
    _session(municipality)
    _plan(municipality)
    assert dispatch.dispatch().outcomes == {"sent": 1}
    [sent] = postmark.received
    [attachment] = sent["Attachments"]
    assert attachment["Name"] == "kenshin.ics"
    assert attachment["ContentType"] == "text/calendar"
    _, event = _event(base64.b64decode(attachment["Content"]))
    assert str(event["LOCATION"]) == "保健センター"


def test_the_data_download_names_the_session(municipality, smtp, morning):
    reader = family(municipality, birth=datetime.date(2026, 8, 15))
    _session(municipality)
    _plan(municipality)
    dispatch.dispatch()
    [entry] = personal_data.export(reader.subscriber)["health_checks"]
    assert entry == {
        "message": "集団健診のご案内",
        "check": "3〜4か月児健診",
        "held_on": "2026-12-08",
        "venue": "保健センター",
        "status": "送信済み",
    }
