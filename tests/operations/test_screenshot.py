"""The dashboard in a real browser, after thirty days of the demo municipality's real deliveries.

The screenshot goes to docs/screenshots/ with KIZUNA_SCREENSHOT_DIR=docs/screenshots (see
tests/staff/test_screenshots.py).
"""

import datetime

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from playwright.sync_api import sync_playwright

from content.services import load_pack
from delivery import claim, dispatch, heartbeats, planner, stats
from kizuna import clock
from operations.demo import load_demo
from subscribers.models import Subscriber
from tests.delivery.conftest import due_for, family, line_user
from tests.fakes import FakeLine, SmtpMailbox
from tests.staff.test_screenshots import CHROMIUM, CHROMIUM_ARGS, shots  # noqa: F401

LINE_TOKEN = "demo-line-token"
FIRST_DAY = datetime.date(2026, 10, 27)
LAST_DAY = datetime.date(2026, 11, 25)


@pytest.fixture
def month_of_deliveries(transactional_db, monkeypatch, settings):
    monkeypatch.setenv("LINE_CHANNEL_ACCESS_TOKEN_DEMO", LINE_TOKEN)
    refused = {"typo@demo.example.jp": "550 5.1.1 No such user"}
    with SmtpMailbox(refuse=refused) as smtp, FakeLine(tokens={LINE_TOKEN}) as line:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp.port
        settings.LINE_API_BASE_URL = line.url
        with time_machine.travel(datetime.datetime(2026, 10, 1, 9, tzinfo=clock.TOKYO)):
            load_pack()
            municipality, _login = load_demo()
            municipality.line_enabled = True
            municipality.line_monthly_quota = 200
            municipality.created_at = clock.now()
            municipality.save()
            for n in range(40):
                due = due_for(6 + n % 34, FIRST_DAY) + datetime.timedelta(days=n % 7)
                family(municipality, due=due, confirmed_at=clock.now())
            for n in range(25):
                family(
                    municipality,
                    due=due_for(8 + n % 30, FIRST_DAY) + datetime.timedelta(days=n % 7),
                    channel="line",
                    line_user_id=line_user(n),
                    email=None,
                    confirmed_at=clock.now(),
                )
        with time_machine.travel(datetime.datetime(2026, 11, 20, 12, tzinfo=clock.TOKYO)):
            # A mistyped address, signed up last week: its first message fails.
            family(
                municipality,
                due=due_for(12, FIRST_DAY),
                email="typo@demo.example.jp",
                confirmed_at=clock.now(),
            )
        day = FIRST_DAY
        while day <= LAST_DAY:
            morning = datetime.datetime.combine(day, municipality.delivery_time, clock.TOKYO)
            with time_machine.travel(morning + datetime.timedelta(minutes=1), tick=False):
                planner.plan_due()
                if day < LAST_DAY:
                    dispatch.dispatch()
                    stats.recount_open_days()
            day += datetime.timedelta(days=1)
        with time_machine.travel(
            datetime.datetime.combine(LAST_DAY, datetime.time(7, 45), clock.TOKYO), tick=False
        ):
            # Today: half the morning has gone out when the screenshot is taken.
            from delivery.models import Delivery

            half = Delivery.objects.filter(due_on=LAST_DAY).order_by("pk")
            dispatch.send_claimed(claim.claim(half.count() // 2))
            stats.recount_open_days()
            stats.refresh_forecast()
            heartbeats.beat(heartbeats.TICK, planned=0, due=0, dispatchers=0)
    assert Subscriber.objects.filter(channel_stopped_at__isnull=False).count() == 1
    return municipality


def test_dashboard_screenshot_with_demo_data(month_of_deliveries, live_server, shots):  # noqa: F811
    admin = get_user_model().objects.get(username="admin")
    client = Client()
    client.force_login(admin)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    base = live_server.url
    at = datetime.datetime.combine(LAST_DAY, datetime.time(7, 45), clock.TOKYO)
    with time_machine.travel(at, tick=True), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(
            locale="ja-JP", viewport={"width": 1280, "height": 1000}, device_scale_factor=1
        )
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base}])
        page = context.new_page()
        problems = []
        page.on("console", lambda m: m.type == "error" and problems.append(m.text))
        page.on("response", lambda r: r.status >= 400 and problems.append(f"{r.status} {r.url}"))
        page.goto(f"{base}/ops/")
        assert page.get_by_role("heading", name="いまの状態").is_visible()
        assert page.locator("text=SMTP [550]").count() >= 1  # the refused address
        assert page.frame_locator("iframe.kz-workers-frame").locator("body").is_visible()
        page.screenshot(path=str(shots / "operations-dashboard.png"), full_page=True)
        browser.close()
    assert problems == []
