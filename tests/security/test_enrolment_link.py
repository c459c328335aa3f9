"""A staff account without an authenticator cannot be enrolled by whoever knows its password:
after its first day, only through an enrolment link an operator created for it."""

import datetime
import re

import pytest
import time_machine
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEvent
from kizuna import clock
from municipalities.models import OPERATORS_GROUP
from tests.security.test_two_factor import code_for, unverified
from tests.staff.conftest import make_user

pytestmark = pytest.mark.django_db

CREATED = datetime.datetime(2026, 11, 1, 9, 0, tzinfo=clock.TOKYO)
LATER = CREATED + datetime.timedelta(days=3)


@pytest.fixture
def dormant():
    """An account made three days ago whose owner never enrolled."""
    with time_machine.travel(CREATED, tick=False):
        return make_user("dormant-editor")


@pytest.fixture
def operator():
    return make_user("night-operator", groups=[OPERATORS_GROUP])


def _operator_client(operator) -> Client:
    client = Client()
    client.force_login(operator)
    return client


def _issue_link(operator, user) -> str:
    page = _operator_client(operator).post("/ops/enrolment/", {"user": user.pk})
    assert page.status_code == 200
    return re.search(r"https?://[^\s<]+/account/2fa/enrol/[^\s<\"]+/", page.content.decode())[0]


def _path(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def test_a_password_alone_cannot_enrol_an_old_account(dormant):
    with time_machine.travel(LATER, tick=False):
        client = unverified(dormant)  # the password was enough to sign in
        page = client.get("/account/2fa/")
        assert page.status_code == 403
        text = page.content.decode()
        assert "運用担当者が発行する設定用リンク" in text and "data:image/svg" not in text
        assert client.post("/account/2fa/", {"token": "123456"}).status_code == 403
        assert not TOTPDevice.objects.filter(user=dormant).exists()  # no secret was shown
        assert client.get("/admin/").status_code == 302  # and nothing else opens
        assert AuditEvent.objects.filter(
            action="2fa_failed", username="dormant-editor", detail__change="enrolment refused"
        ).exists()


def test_a_new_account_enrols_itself_within_its_first_day(settings):
    assert settings.KIZUNA_ENROLMENT_WINDOW_HOURS == 24
    with time_machine.travel(CREATED, tick=False):
        fresh = make_user("new-editor")
    with time_machine.travel(CREATED + datetime.timedelta(hours=23), tick=False):
        assert unverified(fresh).get("/account/2fa/").status_code == 200
    with time_machine.travel(CREATED + datetime.timedelta(hours=25), tick=False):
        assert unverified(fresh).get("/account/2fa/").status_code == 403


def test_an_operators_link_lets_the_account_enrol(dormant, operator):
    with time_machine.travel(LATER, tick=True):
        link = _issue_link(operator, dormant)
        assert AuditEvent.objects.filter(
            action="2fa", username="night-operator", target_id="dormant-editor"
        ).exists()
        client = unverified(dormant)
        assert client.get(_path(link)).url == "/account/2fa/"
        page = client.get("/account/2fa/")
        assert page.status_code == 200 and "data:image/svg" in page.content.decode()
        device = TOTPDevice.objects.get(user=dormant, confirmed=False)
        assert client.post("/account/2fa/", {"token": code_for(device)}).status_code == 200
        assert client.get("/admin/").status_code == 200
        # Once enrolled, the account no longer waits for a link.
        page = _operator_client(operator).get("/ops/enrolment/").content.decode()
        assert "dormant-editor" not in page


def test_links_are_for_one_account_expire_and_cannot_be_forged(dormant, operator, settings):
    with time_machine.travel(LATER, tick=False):
        link = _issue_link(operator, dormant)
        with time_machine.travel(CREATED, tick=False):
            other = make_user("someone-else")
        with time_machine.travel(LATER + datetime.timedelta(hours=1), tick=False):
            stranger = unverified(other)  # another account, past its own first day
            assert stranger.get(_path(link)).status_code == 400
            assert stranger.get("/account/2fa/").status_code == 403
        tampered = _path(link)[:-3] + "xx/"
        assert unverified(dormant).get(tampered).status_code == 400
    late = LATER + datetime.timedelta(hours=settings.KIZUNA_ENROLMENT_LINK_HOURS, minutes=1)
    with time_machine.travel(late, tick=False):
        client = unverified(dormant)
        response = client.get(_path(link))
        assert response.status_code == 410 and "有効期限" in response.content.decode()
        assert client.get("/account/2fa/").status_code == 403
    assert Client().get(_path(link)).status_code == 302  # signed out: to the login first


def test_only_operators_create_enrolment_links(dormant):
    editor = make_user("editor")
    client = Client()
    client.force_login(editor)
    assert client.get("/ops/enrolment/").status_code == 403
    assert client.post("/ops/enrolment/", {"user": dormant.pk}).status_code == 403
