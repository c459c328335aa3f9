"""The schedule page in real Chromium on a 390 px phone (no JavaScript), and the staff coverage
page at 1366 px. Screenshots go to docs/screenshots/ with KIZUNA_SCREENSHOT_DIR=docs/screenshots,
to a temporary folder otherwise."""

import datetime
import os
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from playwright.sync_api import sync_playwright

from kizuna import clock
from municipalities.models import StaffMembership
from subscribers import links as subscriber_links
from tests.delivery.conftest import family
from tests.factories import MunicipalityFactory
from tests.staff.conftest import make_user
from tests.staff.test_screenshots import CHROMIUM, CHROMIUM_ARGS, _png_size
from vaccinations import services
from vaccinations.models import DoseRecord, ReminderSettings

NOW = datetime.datetime(2026, 12, 3, 10, 0, tzinfo=clock.TOKYO)
BORN = datetime.date(2026, 8, 15)  # 3 months and 18 days old


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = os.environ.get("KIZUNA_SCREENSHOT_DIR")
    path = Path(settings.BASE_DIR, folder) if folder else tmp_path
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def koto(transactional_db):
    with time_machine.travel(NOW, tick=True):
        municipality = MunicipalityFactory(
            name="江東区", slug="koto", service_name="こんにちは赤ちゃんメール"
        )
        ReminderSettings.objects.create(
            municipality=municipality,
            reminders_on=True,
            note="予防接種は区内の協力医療機関で受けられます。予診票は母子健康手帳と一緒にお送りしています。",
        )
        subscription = family(municipality, birth=BORN)
        for dose in ("hepb-1", "dtpipvhib-1", "pcv-1"):
            services.record_dose(
                child=subscription.child,
                dose=dose,
                given_on=datetime.date(2026, 10, 15),
                by=subscription.subscriber,
            )
        for _ in range(11):
            other = family(municipality, birth=BORN).child
            DoseRecord.objects.create(
                child=other, dose="hepb-1", given_on=datetime.date(2026, 10, 20)
            )
    return municipality, subscription


def test_the_schedule_page_on_a_phone_records_a_dose(koto, live_server, shots):
    municipality, subscription = koto
    link = (
        f"{live_server.url}/vaccinations/{subscriber_links.manage_token(subscription.subscriber)}/"
    )
    editor = make_user("koto-editor")
    StaffMembership.objects.create(user=editor, municipality=municipality, role="editor")
    client = Client()
    client.force_login(editor)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    child = subscription.child

    with time_machine.travel(NOW, tick=True), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        phone = browser.new_context(
            locale="ja-JP",
            viewport={"width": 390, "height": 844},
            device_scale_factor=1,
            java_script_enabled=False,
        )
        page = phone.new_page()
        page.goto(link)
        assert page.url == f"{live_server.url}/vaccinations/"  # the token left the address bar
        assert page.get_by_role("heading", name="予防接種の予定と記録").is_visible()
        assert page.get_by_role("heading", name="期限を過ぎています").is_visible()
        overdue = page.locator(".dose-overdue").first.inner_text()
        assert "ロタウイルス" in overdue and "2026年11月27日まで" in overdue
        assert "B型肝炎 2回目" in page.locator(".dose-open").all_inner_texts()[0] + "".join(
            page.locator(".dose-open").all_inner_texts()
        )
        assert page.locator("body").bounding_box()["width"] <= 390
        page.screenshot(path=shots / "vacc24-schedule-phone.png", full_page=True)

        page.select_option(f"#dose-{child.pk}", "dtpipvhib-2")
        page.fill(f"#given-{child.pk}", "2026-11-26")
        page.get_by_role("button", name="記録する").click()
        notice = page.locator(".notice").inner_text()
        assert "11月26日の接種として記録しました" in notice
        page.locator(".vaccine-done summary").click()
        assert "2026年11月26日に接種" in page.locator(".vaccine-done").inner_text()
        page.screenshot(path=shots / "vacc24-schedule-recorded-phone.png", full_page=True)

        staff = browser.new_context(
            locale="ja-JP", viewport={"width": 1366, "height": 1000}, device_scale_factor=1
        )
        staff.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
        )
        coverage = staff.new_page()
        coverage.goto(f"{live_server.url}/staff/vaccinations/{municipality.pk}/")
        assert coverage.get_by_text("10未満").first.is_visible()
        coverage.screenshot(path=shots / "vacc24-staff-coverage.png", full_page=True)
        browser.close()

    assert DoseRecord.objects.filter(child=child, dose="dtpipvhib-2").exists()
    assert _png_size(shots / "vacc24-schedule-phone.png")[0] == 390
    assert _png_size(shots / "vacc24-staff-coverage.png")[0] == 1366
