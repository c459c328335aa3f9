"""Staff reach the admin, the staff pages, the dashboard and exports only after a second factor."""

import datetime
import re

import pytest
import time_machine
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEvent
from kizuna import clock
from municipalities.models import OPERATORS_GROUP, StaffMembership
from tests.factories import MunicipalityFactory
from tests.staff.conftest import make_user

pytestmark = pytest.mark.django_db

PROTECTED = ["/admin/", "/staff/", "/ops/", "/ops/audit.csv", "/staff/surveys/"]


def code_for(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


@pytest.fixture
def operator():
    return make_user("night-operator", groups=[OPERATORS_GROUP])


def unverified(user) -> Client:
    client = Client()
    client.force_login(user, second_factor=False)
    return client


def test_without_a_device_a_staff_user_reaches_only_enrolment(operator):
    municipality = MunicipalityFactory()
    editor = make_user("editor")
    StaffMembership.objects.create(user=editor, municipality=municipality, role="editor")
    export = f"/staff/adoption/{municipality.pk}/export/"
    for user, paths in ((operator, PROTECTED), (editor, [*PROTECTED, export])):
        client = unverified(user)
        for path in paths:
            response = client.get(path)
            assert response.status_code == 302, path
            assert response["Location"].startswith("/account/2fa/?next="), path
        page = client.get("/account/2fa/").content.decode()
        assert "二要素認証の設定" in page and 'src="data:image/svg+xml' in page


def test_enrolment_with_a_code_from_the_app_opens_everything(operator):
    client = unverified(operator)
    client.get("/account/2fa/?next=/ops/")
    device = TOTPDevice.objects.get(user=operator, confirmed=False)
    wrong = client.post("/account/2fa/", {"token": "000000", "next": "/ops/"})
    assert "確認コードが正しくありません" in wrong.content.decode()
    with time_machine.travel(clock.now() + datetime.timedelta(seconds=3)):  # after the throttle
        done = client.post("/account/2fa/", {"token": code_for(device), "next": "/ops/"})
    codes = re.findall(r"<li><code>(\w+)</code></li>", done.content.decode())
    assert len(codes) == 10
    device.refresh_from_db()
    assert device.confirmed
    for path in PROTECTED:
        assert client.get(path).status_code == 200, path
    assert AuditEvent.objects.filter(action="2fa", username="night-operator").exists()


def test_verification_with_the_app_or_a_recovery_code_once(operator):
    setup = unverified(operator)
    setup.get("/account/2fa/")
    device = TOTPDevice.objects.get(user=operator)
    page = setup.post("/account/2fa/", {"token": code_for(device)}).content.decode()
    codes = re.findall(r"<li><code>(\w+)</code></li>", page)

    later = unverified(operator)
    assert later.get("/ops/").status_code == 302
    bad = later.post("/account/2fa/", {"token": "123456"})
    assert "確認コードが正しくありません" in bad.content.decode()
    assert AuditEvent.objects.filter(action="2fa_failed").count() == 1
    # Each failure makes the next try wait (django-otp's throttling): come back a little later.
    with time_machine.travel(clock.now() + datetime.timedelta(seconds=3)):
        used = later.post("/account/2fa/", {"token": codes[0], "next": "/ops/"})
        assert used["Location"] == "/ops/"
        assert later.get("/ops/").status_code == 200
    with time_machine.travel(clock.now() + datetime.timedelta(seconds=10)):
        again = unverified(operator)
        again.post("/account/2fa/", {"token": codes[0]})
        assert again.get("/ops/").status_code == 302  # a recovery code works once


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", "/\\evil.example"],
)
def test_next_never_leaves_the_site(operator, target):
    client = unverified(operator)
    client.get("/account/2fa/")
    device = TOTPDevice.objects.get(user=operator)
    client.post("/account/2fa/", {"token": code_for(device)})
    response = client.get("/account/2fa/", {"next": target})
    assert response["Location"] == "/admin/"
    login = Client().post("/admin/login/?next=" + target, {"username": "x", "password": "y"})
    assert "evil.example" not in login.get("Location", "")


def test_the_requirement_is_a_setting(operator, settings):
    settings.KIZUNA_REQUIRE_2FA = False
    assert unverified(operator).get("/ops/").status_code == 200


def test_a_full_login_with_password_then_code(operator):
    operator.set_password("a long passphrase for tests")
    operator.save()
    TOTPDevice.objects.create(user=operator, name="app", confirmed=True)
    device = TOTPDevice.objects.get(user=operator)
    client = Client()
    response = client.post(
        "/admin/login/?next=/ops/",
        {"username": "night-operator", "password": "a long passphrase for tests", "next": "/ops/"},
    )
    assert response.status_code == 302
    assert client.get("/ops/")["Location"].startswith("/account/2fa/")
    client.post("/account/2fa/", {"token": code_for(device), "next": "/ops/"})
    assert client.get("/ops/").status_code == 200
    assert AuditEvent.objects.filter(action="login", username="night-operator").exists()


def test_idle_sessions_end_after_thirty_minutes(operator):
    start = datetime.datetime(2026, 11, 25, 9, 0, tzinfo=clock.TOKYO)
    with time_machine.travel(start, tick=False):
        client = Client()
        client.force_login(operator)
        assert client.get("/ops/").status_code == 200
    with time_machine.travel(start + datetime.timedelta(minutes=29), tick=False):
        assert client.get("/ops/").status_code == 200  # activity keeps the session
    with time_machine.travel(start + datetime.timedelta(minutes=58), tick=False):
        assert client.get("/ops/").status_code == 200
    with time_machine.travel(start + datetime.timedelta(minutes=89), tick=False):
        response = client.get("/ops/")
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
