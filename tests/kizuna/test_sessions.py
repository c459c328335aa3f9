"""A session is written when it changes, or when its idle expiry needs pushing on: not on every
request (kizuna.sessions). The idle timeout still counts from the last request."""

import datetime

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client

from kizuna.sessions import refresh_seconds
from subscribers import links
from tests.factories import MunicipalityFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 24, 1, 0, tzinfo=datetime.UTC)


@pytest.fixture
def parent():
    """A browser holding a reader's session, opened from the manage link at NOW."""
    with time_machine.travel(NOW, tick=False):
        reader = SubscriptionFactory(
            subscriber__municipality=MunicipalityFactory(slug="koto"),
            child__due_date=datetime.date(2027, 4, 13),
        ).subscriber
        browser = Client()
        assert browser.get(f"/manage/{links.manage_token(reader)}/").status_code == 302
    return browser


def _stored(browser: Client) -> Session:
    return Session.objects.get(session_key=browser.cookies[settings.SESSION_COOKIE_NAME].value)


def test_pages_that_change_nothing_do_not_write_the_session(parent):
    written = _stored(parent)
    for second in (1, 5, 30):
        with time_machine.travel(NOW + datetime.timedelta(seconds=second), tick=False):
            page = parent.get("/manage/")
        assert page.status_code == 200
        assert settings.SESSION_COOKIE_NAME not in page.cookies  # no new cookie either
    again = _stored(parent)
    assert (again.expire_date, again.session_data) == (written.expire_date, written.session_data)


def test_a_request_after_the_refresh_interval_pushes_the_idle_expiry_on(parent):
    later = NOW + datetime.timedelta(seconds=refresh_seconds())
    with time_machine.travel(later, tick=False):
        page = parent.get("/manage/")
    assert page.status_code == 200
    assert page.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == settings.SESSION_COOKIE_AGE
    expected = later + datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    assert _stored(parent).expire_date == expected


def test_a_reader_who_keeps_reading_stays_signed_in_past_the_idle_time(parent):
    for minutes in range(10, 91, 10):  # a page every 10 minutes for an hour and a half
        with time_machine.travel(NOW + datetime.timedelta(minutes=minutes), tick=False):
            assert parent.get("/manage/").status_code == 200


def test_the_idle_time_still_ends_the_session(parent):
    with time_machine.travel(NOW + datetime.timedelta(minutes=10), tick=False):
        assert parent.get("/manage/").status_code == 200
    idle = datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    with time_machine.travel(NOW + datetime.timedelta(minutes=10) + idle, tick=False):
        assert parent.get("/manage/").status_code == 403


def test_a_change_is_written_at_once(parent):
    with time_machine.travel(NOW + datetime.timedelta(seconds=1), tick=False):
        child_id = parent.get("/manage/").context["cards"][0][0].child.pk
        parent.post(f"/manage/children/{child_id}/invite/")
        assert "invite_url" in _stored(parent).get_decoded()
        page = parent.get("/manage/")  # shows the link once, and forgets it at once
        assert "招待リンクができました" in page.content.decode()
        assert "invite_url" not in _stored(parent).get_decoded()


def test_a_request_without_a_session_creates_none(db):
    browser = Client()
    assert browser.get("/manage/").status_code == 403
    assert not Session.objects.exists()
