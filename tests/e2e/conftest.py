"""Real headless Chromium (Debian's /usr/bin/chromium) and a real SMTP server on loopback."""

import email
import email.policy
import os
import re
import socket
import threading
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


class Mailbox:
    """Collects what the SMTP server receives; tests wait for and read messages from it."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self._arrived = threading.Condition()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._arrived:
            self.messages.append(message)
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, to: str, count: int = 1, timeout: float = 10) -> email.message.EmailMessage:
        """The ``count``-th message to ``to``, waiting for it to arrive."""
        with self._arrived:
            found = self._arrived.wait_for(lambda: len(self.to(to)) >= count, timeout=timeout)
        assert found, f"no mail #{count} to {to}; got {[m['To'] for m in self.messages]}"
        return self.to(to)[count - 1]

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages if address in m["To"]]


def text_of(message: email.message.EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def link_in(message: email.message.EmailMessage, path_prefix: str) -> str:
    return re.search(rf"https?://\S+{re.escape(path_prefix)}\S+", text_of(message)).group(0)


@pytest.fixture
def mailbox(settings):
    box = Mailbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    yield box
    controller.stop()


@pytest.fixture(scope="module")
def browser(django_db_setup):
    """One Chromium per test module.

    Playwright's sync API keeps an event loop running in this thread while the browser is open;
    the ORM calls that tests make between browser steps are ordinary blocking calls, which Django
    must be told are fine, and only for as long as the loop runs.
    """
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make test`, which installs Debian's chromium")
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class PhonePage:
    """A 390×844 page that records console errors and failed responses."""

    def __init__(self, browser, base_url: str, **context_options) -> None:
        self.context = browser.new_context(viewport=PHONE, locale="ja-JP", **context_options)
        self.page = self.context.new_page()
        self.base_url = base_url
        self.problems: list[str] = []
        self.page.on(
            "console",
            lambda m: m.type == "error" and self.problems.append(f"console: {m.text}"),
        )
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.on(
            "response",
            lambda r: r.status >= 400 and self.problems.append(f"{r.status} {r.url}"),
        )

    def open(self, url: str):
        return self.page.goto(url if url.startswith("http") else self.base_url + url)

    def shot(self, name: str) -> None:
        if os.environ.get("KIZUNA_SCREENSHOTS"):
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def phone(browser, live_server):
    pages: list[PhonePage] = []

    def open_phone(**options) -> PhonePage:
        page = PhonePage(browser, live_server.url, **options)
        pages.append(page)
        return page

    yield open_phone
    problems = [problem for page in pages for problem in page.problems]
    for page in pages:
        page.close()
    assert problems == [], problems


@pytest.fixture(autouse=True)
def _parent_mail_runs_in_process(eager_tasks):
    """Signup and manage-link mail goes out through a task; here it runs where it is queued."""
