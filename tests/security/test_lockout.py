"""Repeated failed logins lock the account from that address until an operator unlocks it."""

import pytest
from django.test import Client

from audit.models import AuditEvent
from municipalities.models import OPERATORS_GROUP
from tests.staff.conftest import make_user

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"


def login(client, password):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": "hanako", "password": password, "next": "/admin/"},
        REMOTE_ADDR="203.0.113.7",
    )


def test_five_failures_lock_and_an_operator_unlocks(settings):
    user = make_user("hanako")
    user.set_password(PASSWORD)
    user.save()
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login(client, "wrong password").status_code == 200
    assert login(client, "wrong password").status_code == 429  # the fifth failure locks
    locked = login(client, PASSWORD)
    assert locked.status_code == 429
    assert "一時的にロックされています" in locked.content.decode()
    assert AuditEvent.objects.filter(action="login_failed", username="hanako").count() >= 5
    assert not AuditEvent.objects.filter(action="login", username="hanako").exists()

    operator = Client()
    operator.force_login(make_user("operator", groups=[OPERATORS_GROUP]))
    page = operator.get("/ops/lockouts/").content.decode()
    assert "hanako" in page and "ロック中" in page
    from axes.models import AccessAttempt

    attempt = AccessAttempt.objects.get(username="hanako")
    operator.post("/ops/lockouts/", {"attempt": attempt.pk})
    assert not AccessAttempt.objects.exists()
    assert AuditEvent.objects.filter(action="unlock", target_id="hanako").exists()
    assert login(client, PASSWORD).status_code == 302


def test_municipality_staff_cannot_unlock():
    editor = make_user("editor")
    client = Client()
    client.force_login(editor)
    assert client.get("/ops/lockouts/").status_code == 403


def test_passwords_need_twelve_characters():
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        validate_password("short-pass1")
    validate_password("a much longer passphrase")
