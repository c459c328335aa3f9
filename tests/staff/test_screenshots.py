"""The staff pages in a real browser (Chromium via Playwright) against a live server.

Checks what staff see, and takes the screenshots in docs/screenshots/: they are written there
when KIZUNA_SCREENSHOT_DIR names that folder, e.g.

    KIZUNA_SCREENSHOT_DIR=docs/screenshots make test

and to a temporary folder otherwise, so an ordinary test run leaves the repository alone.
"""

import os
import struct
from datetime import date, datetime
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from playwright.sync_api import sync_playwright

from content import pack_checks
from content.models import StageMessage
from content.pack import iter_pack_files, read_text
from content.services import load_pack
from kizuna.clock import TOKYO
from municipalities.models import ConsultationContact, StaffMembership
from subscribers.models import Child
from tests.content.factories import LocalNoticeFactory
from tests.factories import (
    WEEKLY_THEN_MONTHLY,
    ChildFactory,
    MunicipalityFactory,
    SubscriberFactory,
)
from tests.staff.conftest import make_user

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=TOKYO)


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", header[16:24])


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = os.environ.get("KIZUNA_SCREENSHOT_DIR")
    path = Path(settings.BASE_DIR, folder) if folder else tmp_path
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def koto(transactional_db):
    with time_machine.travel(NOW, tick=True):
        load_pack()
        municipality = MunicipalityFactory(
            name="江東区",
            service_name="こんにちは赤ちゃんメール",
            sender_name="江東区 保健所 保健予防課",
            **WEEKLY_THEN_MONTHLY,
        )
        ConsultationContact.objects.create(
            municipality=municipality,
            name="城東保健相談所",
            phone="03-3647-5879",
            hours="平日 8:30〜17:15",
        )
        LocalNoticeFactory(
            municipality=municipality,
            title="3〜4か月児健診のご案内",
            body=(
                "対象のお子さんには、生後3か月になる月に個別にご案内を郵送します。\n"
                "日時: 毎月第2・第4火曜日 13:00〜14:00\n場所: 城東保健相談所\n\n"
                "持ち物:\n- 母子健康手帳\n- バスタオル\n\n"
                "[健診の詳しいご案内](https://www.city.koto.lg.jp/)"
            ),
        )
        LocalNoticeFactory(
            municipality=municipality,
            title="両親学級（土曜コース）の申し込み",
            body="**12月の申し込みは11月25日まで**です。パートナーと一緒にどうぞ。",
            track="pregnancy",
            unit="week",
            number_from=16,
            number_to=28,
            ends_on=date(2026, 11, 25),
        )
        # A few gaps for the coverage report: drafts and missing variants.
        StageMessage.objects.filter(
            track="child", unit="month", number__in=[30, 31], language="en"
        ).delete()
        StageMessage.objects.filter(audience="partner", number__in=[5, 6]).update(published=False)
        # Families, for the overview.
        for weeks_left in (30, 22, 15, 9, 8, 3):
            ChildFactory(
                municipality=municipality,
                due_date=date(2026, 11, 2) + (weeks_left * 7) * date.resolution,
            )
        for days_old in (5, 40, 100, 130, 200, 400, 800):
            ChildFactory(
                municipality=municipality,
                due_date=None,
                birth_date=date(2026, 11, 2) - days_old * date.resolution,
                status=Child.Status.BORN,
            )
    for month, count in ((6, 3), (7, 5), (8, 4), (9, 7), (10, 9), (11, 2)):
        with time_machine.travel(datetime(2026, month, 10, 12, tzinfo=TOKYO)):
            SubscriberFactory.create_batch(count, municipality=municipality)
    # Signups from the flyer's tagged QR codes, for the overview's signups per tag.
    for tag, count in (("boshitecho", 4), ("kenshin", 2)):
        with time_machine.travel(datetime(2026, 10, 20, 12, tzinfo=TOKYO)):
            SubscriberFactory.create_batch(count, municipality=municipality, signup_tag=tag)
    return municipality


def test_staff_pages_in_a_browser(koto, live_server, shots):
    editor = make_user("koto-editor")
    StaffMembership.objects.create(user=editor, municipality=koto, role="editor")
    client = Client()
    client.force_login(editor)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    base = live_server.url
    # All database work happens before the browser starts: inside Playwright's sync API the ORM
    # would open a connection of its own that nothing closes.
    notice = koto.local_notices.get(track="child")
    preview = f"{base}/staff/preview/?municipality={koto.pk}&due_date=2027-05-01&nickname=はな"

    with time_machine.travel(NOW, tick=True), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(
            locale="ja-JP", viewport={"width": 1280, "height": 1000}, device_scale_factor=1
        )
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base}])
        page = context.new_page()

        # The notice as municipality staff edit it: help texts, a preview, a link to the timeline.
        page.goto(f"{base}/admin/content/localnotice/{notice.pk}/change/")
        page.locator("iframe.kz-mail").scroll_into_view_if_needed()  # loads lazily
        notice_mail = page.frame_locator("iframe.kz-mail")
        assert notice_mail.locator("h3", has_text="3〜4か月児健診のご案内").is_visible()
        assert "江東区からのお知らせ" in page.locator(".kz-bubble").inner_text()
        assert page.locator("text=ユーザー").count() == 0  # no user admin for municipality staff
        page.screenshot(path=shots / "local-notice-admin.png", full_page=True)

        # The timeline: every message from signup to graduation.
        page.goto(preview)
        assert page.locator(".kz-entry").count() == 101
        assert page.locator(".kz-badge-notice").count() >= 4
        page.screenshot(path=shots / "timeline-preview.png")

        # One message opened: HTML mail, plain text and LINE, the notice under the heading.
        entry = page.locator("#stage-child-month-4")
        entry.locator("summary").click()
        mail = page.frame_locator("#stage-child-month-4 iframe")
        assert mail.locator("h2", has_text="江東区からのお知らせ").is_visible()
        assert mail.locator("h3", has_text="3〜4か月児健診のご案内").is_visible()
        assert "3〜4か月児健診のご案内" in entry.locator(".kz-bubble").inner_text()
        entry.screenshot(path=shots / "rendered-message.png")

        # The same mail as a phone shows it, 390 px wide.
        phone = context.new_page()
        phone.set_viewport_size({"width": 390, "height": 844})
        phone.set_content(entry.locator("iframe").get_attribute("srcdoc"))
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
        phone.screenshot(path=shots / "rendered-message-mail-390.png", full_page=True)

        # The coverage report.
        page.goto(f"{base}/staff/coverage/")
        assert page.get_by_text("両親学級（土曜コース）の申し込み").is_visible()
        # English everyone, Japanese partner, and Japanese everyone until the daily texts land.
        daily_texts_missing = bool(
            pack_checks.missing_steps([read_text(path) for path in iter_pack_files("ja")])
        )
        assert page.locator(".kz-has-gaps").count() == 2 + daily_texts_missing
        page.screenshot(path=shots / "coverage-report.png", full_page=True)

        # The municipality overview: families by stage and signups per month.
        page.goto(f"{base}/staff/municipalities/{koto.pk}/")
        assert page.locator(".kz-bars rect").count() == 10
        assert page.locator(".kz-columns .kz-col").count() == 12
        page.screenshot(path=shots / "municipality-overview.png", full_page=True)
        browser.close()

    assert _png_size(shots / "timeline-preview.png") == (1280, 1000)
    assert _png_size(shots / "rendered-message-mail-390.png")[0] == 390
    for name in ("rendered-message.png", "coverage-report.png", "municipality-overview.png"):
        assert _png_size(shots / name)[0] > 300
