"""The report page in Chromium at 1366 px, and the first page of its PDF as an image.

Screenshots go to docs/screenshots/ when KIZUNA_SCREENSHOT_DIR=docs/screenshots is set, to a
temporary folder otherwise (tests/staff/test_screenshots.py).
"""

import datetime
import subprocess

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import sync_playwright

from delivery.models import DayCount
from municipalities.models import StaffMembership
from reports.models import BirthCount
from tests.factories import MunicipalityFactory
from tests.staff.conftest import make_user
from tests.staff.test_screenshots import CHROMIUM, CHROMIUM_ARGS, _png_size, shots  # noqa: F401

from .conftest import NOW, at, families

D = datetime.date


def due_at_week(registered, week):
    return registered.date() + datetime.timedelta(days=280 - 7 * week)


@pytest.fixture
def koto(transactional_db):
    with time_machine.travel(NOW, tick=False):
        town = MunicipalityFactory(
            name="江東区", slug="koto", service_name="こんにちは赤ちゃんメール"
        )
        BirthCount.objects.create(municipality=town, fiscal_year=2025, births=180)
        BirthCount.objects.create(municipality=town, fiscal_year=2026, births=130)
        for year, scale in ((2025, 1), (2026, 2)):
            for month, weeks, tag, channel, count in [
                (5, 9, "boshitecho", "line", 14 * scale),
                (6, 15, "boshitecho", "email", 22 * scale),
                (7, 22, "kenshin", "line", 18 * scale),
                (9, 30, "", "email", 12 * scale),
                (10, 14, "hospital", "line", 10 * scale),
            ]:
                registered = at(year, month, 10)
                families(
                    town,
                    count,
                    registered=registered,
                    due=due_at_week(registered, weeks),
                    tag=tag,
                    channel=channel,
                )
            born = at(year, 8, 1)
            families(
                town,
                30 * scale,
                registered=born,
                due=born.date(),
                birth=born.date(),
                tag="akachan-houmon",
            )
            families(
                town,
                12,
                registered=at(year, 4, 20),
                due=D(year, 9, 1),
                left=at(year, 11, 1),
                reason="配信が多い",
            )
        for day, channel, count in [
            (D(2025, 6, 1), "email", 41200),
            (D(2025, 6, 1), "line", 38900),
            (D(2026, 6, 1), "email", 30100),
            (D(2026, 6, 1), "line", 45800),
        ]:
            DayCount.objects.create(
                day=day,
                municipality=town,
                channel=channel,
                status="sent",
                count=count,
                counted_at=NOW,
            )
        viewer = make_user("koto-viewer")
        StaffMembership.objects.create(user=viewer, municipality=town, role="editor")
    return town, viewer


def test_staff_read_the_report_at_1366_px_and_its_pdf_renders(koto, live_server, shots, tmp_path):  # noqa: F811
    town, viewer = koto
    client = Client()
    client.force_login(viewer)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    with time_machine.travel(NOW, tick=True), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="ja-JP", viewport={"width": 1366, "height": 900})
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
        )
        page = context.new_page()
        page.goto(live_server.url + reverse("reports:year", args=[town.pk, 2026]))
        assert (
            page.locator(".kz-report-sentences li")
            .first.inner_text()
            .startswith("令和8年度は出生数130人のうち")
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366
        page.screenshot(path=shots / "reports28-report.png", full_page=True)
        assert _png_size(shots / "reports28-report.png")[0] == 1366
        page.goto(live_server.url + reverse("reports:papers", args=[town.pk]))
        assert page.get_by_role("heading", name="セキュリティ対策の一覧").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366
        page.screenshot(path=shots / "reports28-papers.png", full_page=True)
        with page.expect_download() as download:
            page.goto(live_server.url + reverse("reports:year", args=[town.pk, 2026]))
            page.get_by_role("link", name="PDFで保存").click()
        pdf_path = tmp_path / "report.pdf"
        download.value.save_as(pdf_path)
        assert pdf_path.read_bytes().startswith(b"%PDF")
        browser.close()
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "80",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(pdf_path),
            str(shots / "reports28-report-pdf"),
        ],
        check=True,
    )
    assert _png_size(shots / "reports28-report-pdf.png")[0] > 600
