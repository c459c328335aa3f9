import os

import pytest
from django.conf import settings


def pytest_collection_modifyitems(config, items) -> None:
    """``KIZUNA_TEST_SHARD=1/2``: only the first of two shares of the test files (`make test`
    runs the shares side by side, each on its own database and Redis database)."""
    shard = os.environ.get("KIZUNA_TEST_SHARD", "")
    if not shard:
        return
    index, total = (int(part) for part in shard.split("/"))
    files = sorted({item.path for item in items})
    mine = {path for number, path in enumerate(files) if number % total == index - 1}
    config.hook.pytest_deselected(items=[item for item in items if item.path not in mine])
    items[:] = [item for item in items if item.path in mine]


def pytest_sessionstart(session) -> None:
    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" not in engine or not settings.REDIS_URL:
        raise pytest.UsageError(
            "Kizuna's tests run on PostgreSQL and Redis: use `make test`, or set "
            "DATABASE_URL=postgres://postgres@127.0.0.1:5432/kizuna and "
            "REDIS_URL=redis://127.0.0.1:6379/15 (see README.md)."
        )


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the shared Redis cache: start every test from zero."""
    from django.core.cache import cache

    cache.clear()
    # The published stage set is kept per process; each test's texts are its own.
    from content import published

    published.forget()
    yield


def pass_second_factor(client, user) -> None:
    """Mark ``client``'s session as having passed ``user``'s second factor (a confirmed TOTP
    device), as the real verification page does with django_otp.login."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device, _ = TOTPDevice.objects.get_or_create(
        user=user, confirmed=True, defaults={"name": "テスト用"}
    )
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


@pytest.fixture(autouse=True)
def _staff_logins_pass_two_factor(monkeypatch):
    """``force_login`` of a staff account stands for a full login, password and second factor.

    Tests of the second factor itself log in through the real pages, or with
    ``client.force_login(user, second_factor=False)``.
    """
    from django.test import Client

    original = Client.force_login

    def force_login(self, user, backend=None, *, second_factor=True):
        original(self, user, backend)
        if second_factor and user.is_staff:
            pass_second_factor(self, user)

    monkeypatch.setattr(Client, "force_login", force_login)


@pytest.fixture
def eager_tasks(settings):
    """Celery tasks run in the caller, as a worker would run them: for tests of pages whose
    mail goes out through a task (signup, manage link) and that read it from the mailbox."""
    from kizuna.celery import app

    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = False
