"""Signup and the manage-link request send their mail from a task after the commit: the page
answers the same, in the same time, whether the address is known and whether the mail server
is up; a mail server that is down costs a retry, never an error page or the mail."""

import socket
import statistics
import threading
import time

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_retry
from django.test import Client

from kizuna.celery import app
from subscribers.models import Subscriber
from tests.factories import MunicipalityFactory, SubscriberFactory
from tests.fakes import SmtpMailbox

pytestmark = pytest.mark.django_db(transaction=True)  # mail is queued on commit


class HangingSmtp:
    """A mail server that accepts connections and never says a word."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.held: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            self.held.append(connection)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.close()
        for connection in self.held:
            connection.close()


@pytest.fixture
def koto():
    return MunicipalityFactory(slug="koto", service_name="こんにちは赤ちゃんメール")


def _signup(client: Client, email: str):
    return client.post(
        "/m/koto/",
        {
            "email": email,
            "situation": "expecting",
            "due_date": "2027-04-01",
            "relationship": "self",
            "nickname": "はな",
            "language": "ja",
            "consent": "on",
        },
    )


def _timed(request) -> tuple[object, float]:
    started = time.perf_counter()
    response = request()
    return response, time.perf_counter() - started


def test_known_and_unknown_addresses_get_the_same_answer_in_the_same_time(koto, settings):
    SubscriberFactory(municipality=koto, email="known@example.jp")  # confirmed, active
    with HangingSmtp() as smtp:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", smtp.port, 5
        for ask, sent_page in (
            (
                lambda email: Client().post("/m/koto/manage/", {"email": email}),
                "/m/koto/sent/?for=manage",
            ),
            (lambda email: _signup(Client(), email), "/m/koto/sent/"),
        ):
            timings: dict[str, list[float]] = {"known": [], "unknown": []}
            answers = {}
            for n in range(3):  # the per-address limit allows 3 signups an hour
                for who, email in (
                    ("known", "known@example.jp"),
                    ("unknown", f"new{n}@example.jp"),
                ):
                    response, seconds = _timed(lambda: ask(email))  # noqa: B023
                    timings[who].append(seconds)
                    answers.setdefault(who, set()).add((response.status_code, response["Location"]))
            assert answers["known"] == answers["unknown"] == {(302, sent_page)}
            known, unknown = (statistics.median(timings[w]) for w in ("known", "unknown"))
            # The mail server hangs for 5 s a call: a page that waited for it would show it.
            assert known < 1.0 and unknown < 1.0, timings
    sent_page = Client().get("/m/koto/sent/").content
    assert b"known@example.jp" not in sent_page


def test_with_the_mail_server_down_signup_succeeds_and_the_mail_follows_on_retry(koto, settings):
    mailbox = SmtpMailbox()  # its port, still closed: the mail server is down
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", mailbox.port, 2
    settings.KIZUNA_RETRY_BACKOFF_SECONDS = 1.0
    settings.SITE_URL = "https://kizuna.example.jp"
    retried = threading.Event()

    def on_retry(sender=None, **kwargs) -> None:
        if sender is not None and sender.name == "subscribers.tasks.send_parent_mail":
            retried.set()

    task_retry.connect(on_retry, weak=False)
    with start_worker(app, perform_ping_check=False, shutdown_timeout=30):
        response = _signup(Client(), "hana@example.jp")
        assert response.status_code == 302 and response["Location"] == "/m/koto/sent/"
        assert Subscriber.objects.filter(email="hana@example.jp", confirmed_at=None).exists()
        assert retried.wait(timeout=20)  # the first attempt met a closed port
        with mailbox, mailbox.arrived:  # the mail server comes back
            mailbox.arrived.wait_for(lambda: mailbox.messages, timeout=20)
    task_retry.disconnect(on_retry)
    [mail] = mailbox.messages
    assert mail["To"] == "hana@example.jp"
    assert "https://kizuna.example.jp/confirm/" in mail.get_body(("plain",)).get_content()
