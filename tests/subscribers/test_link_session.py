"""A parent's manage link is exchanged for a short session on first use (issue 21.14).

The signed token would otherwise sit in access logs, the browser history and the Referer of
every link the page has; after the first request the pages run on a session (which ends after
KIZUNA_SESSION_IDLE_MINUTES idle) at URLs without the token.
"""

import datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from municipalities.models import StaffMembership
from subscribers import links
from subscribers.models import Subscriber
from tests.factories import MunicipalityFactory, SubscriptionFactory
from tests.staff.conftest import make_user

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 24, 1, 0, tzinfo=datetime.UTC)


@pytest.fixture
def reader():
    with time_machine.travel(NOW, tick=False):
        return SubscriptionFactory(
            subscriber__municipality=MunicipalityFactory(slug="koto"),
            child__due_date=datetime.date(2027, 4, 13),
        ).subscriber


def test_the_token_is_exchanged_and_the_browser_sent_to_a_url_without_it(reader):
    token = links.manage_token(reader)
    parent = Client()
    with time_machine.travel(NOW, tick=False):
        first = parent.get(f"/manage/{token}/")
        assert first.status_code == 302 and first["Location"] == "/manage/"
        page = parent.get("/manage/")
        assert page.status_code == 200
        html = page.content.decode()
        assert token not in html  # no form, link or Referer carries it
        assert 'action="/manage/settings/"' in html
        parent.post("/manage/settings/", {"nickname": "ママ", "language": "ja", "channel": "email"})
        assert Subscriber.objects.get(pk=reader.pk).nickname == "ママ"
        for path in ("data", "leave"):
            moved = parent.get(f"/manage/{token}/{path}/")
            assert moved["Location"] == f"/manage/{path}/"

    # Without the session (another browser), the bare URLs show nothing and change nothing.
    stranger = Client()
    assert stranger.get("/manage/").status_code == 403
    stranger.post("/manage/settings/", {"nickname": "他人", "language": "ja", "channel": "email"})
    assert Subscriber.objects.get(pk=reader.pk).nickname == "ママ"
    # The session is short: after the idle time the page asks for the link again.
    with time_machine.travel(NOW + datetime.timedelta(minutes=31), tick=False):
        ended = parent.get("/manage/")
        assert ended.status_code == 403
        assert "もう一度リンクを開いてください" in ended.content.decode()


def test_a_tampered_token_gets_no_session(reader):
    parent = Client()
    token = links.manage_token(reader)
    assert parent.get(f"/manage/{token[:-2]}xx/").status_code == 400
    assert parent.get("/manage/").status_code == 403


def test_staff_filters_list_only_the_members_municipalities(db, reader):
    aoba = MunicipalityFactory(name="あおば市")
    midori = MunicipalityFactory(name="みどり町")
    MunicipalityFactory(name="ひみつ町")
    editor = make_user("aoba-editor")
    StaffMembership.objects.create(user=editor, municipality=aoba, role="editor")
    StaffMembership.objects.create(user=editor, municipality=midori, role="viewer")
    staff = Client()
    staff.force_login(editor)
    for url in ("admin:surveys_survey_changelist",):
        page = staff.get(reverse(url)).content.decode()
        assert "あおば市" in page and "みどり町" in page
        assert "ひみつ町" not in page and "江東区" not in page
