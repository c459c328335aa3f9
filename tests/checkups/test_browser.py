"""The sessions page in a real browser at 1366 px: flags visible, nothing cut, confirming
lets the held invitations go; the screenshot goes to docs/screenshots/checks24-sessions.png
when KIZUNA_SCREENSHOT_DIR=docs/screenshots (as tests/staff/test_screenshots.py)."""

import datetime

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from playwright.sync_api import sync_playwright

from checkups import services
from checkups.models import Session
from delivery.models import Delivery
from kizuna.clock import TOKYO
from municipalities.models import StaffMembership
from tests.delivery.conftest import family
from tests.factories import MunicipalityFactory
from tests.staff.conftest import make_user
from tests.staff.layout import BAD_WRAPS_JS, OVERFLOWING_JS
from tests.staff.test_screenshots import CHROMIUM, CHROMIUM_ARGS, _png_size, shots  # noqa: F401

NOW = datetime.datetime(2026, 11, 24, 10, 0, tzinfo=TOKYO)


def _data(**changes):
    data = {
        "check_number": 2,
        "held_on": datetime.date(2026, 12, 8),
        "starts_at": datetime.time(13, 30),
        "venue": "城東保健相談所",
        "born_from": datetime.date(2026, 8, 1),
        "born_until": datetime.date(2026, 8, 31),
        "capacity": 30,
    } | changes
    return services.SessionData(**data)


@pytest.fixture
def koto(transactional_db):
    with time_machine.travel(NOW, tick=True):
        town = MunicipalityFactory(name="江東区", sender_email="kenshin@city.koto.example.jp")
        other = MunicipalityFactory(name="みどり町")
        followers = [
            family(town, birth=datetime.date(2026, 8, 1) + datetime.timedelta(days=n))
            for n in range(14)
        ]
        regular = services.create_session(municipality_id=town.pk, data=_data(), by=None)
        for n, follower in enumerate(followers):
            Delivery.objects.create(
                municipality=town,
                subscriber=follower.subscriber,
                child=follower.child,
                channel="email",
                message_key=f"c{follower.child_id}:checkinvite:{regular.pk}",
                due_on=NOW.date(),
                status="sent" if n < 13 else "failed",
            )
        services.create_session(
            municipality_id=town.pk,
            data=_data(held_on=datetime.date(2027, 1, 11), venue="江東区文化センター"),
            by=None,
        )  # 成人の日
        services.create_session(
            municipality_id=town.pk,
            data=_data(
                check_number=5,
                held_on=datetime.date(2026, 12, 15),
                starts_at=datetime.time(9, 30),
                venue="深川保健相談所",
                capacity=10,
            ),
            by=None,
        )  # 14 children in range, 10 places
        cancelled = services.create_session(
            municipality_id=town.pk,
            data=_data(check_number=6, held_on=datetime.date(2026, 12, 10), venue="城東保健相談所"),
            by=None,
        )
        services.cancel_session(session=cancelled, by=None)
        services.create_session(
            municipality_id=other.pk, data=_data(venue="みどり町保健センター"), by=None
        )
    return town


def test_sessions_page_at_1366(koto, live_server, shots):  # noqa: F811
    editor = make_user("koto-editor")
    StaffMembership.objects.create(user=editor, municipality=koto, role="editor")
    client = Client()
    client.force_login(editor)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    base = live_server.url
    with time_machine.travel(NOW, tick=True), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(
            locale="ja-JP", viewport={"width": 1366, "height": 900}, device_scale_factor=1
        )
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": base}])
        page = context.new_page()
        page.goto(f"{base}/staff/checkups/")
        rows = page.locator("table.kz-table tbody tr")
        assert rows.count() == 4  # the other municipality's session is not listed
        body = page.locator("table.kz-table").inner_text()
        assert "みどり町保健センター" not in body
        assert "祝日（成人の日）です" in body
        assert "対象のお子さん（14人）が定員を超えています" in body
        assert "中止" in body
        path = shots / "checks24-sessions.png"
        page.screenshot(path=path, full_page=True)
        assert _png_size(path)[0] == 1366
        assert page.evaluate(OVERFLOWING_JS, ".kz-page") == []
        assert page.evaluate(BAD_WRAPS_JS, "table.kz-table td") == []

        page.get_by_role("button", name="確認して案内する").first.click()
        page.wait_for_load_state()
        assert "確認しました" in page.content()
        browser.close()
    assert Session.objects.filter(confirmed_at__isnull=False).count() == 1
