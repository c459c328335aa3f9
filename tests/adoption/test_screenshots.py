"""The import preview, the urgent-notice preview and the flyer, as staff see them (Chromium).

Written to docs/screenshots/ when KIZUNA_SCREENSHOT_DIR names that folder, e.g.
``KIZUNA_SCREENSHOT_DIR=docs/screenshots make test``; to a temporary folder otherwise.
"""

import datetime

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from playwright.sync_api import sync_playwright

from adoption import flyer, imports
from kizuna.clock import TOKYO
from municipalities.models import ConsultationContact, StaffMembership
from tests.adoption.files import csv_bytes, messy_rows
from tests.delivery.conftest import due_for, family, line_user
from tests.factories import MunicipalityFactory, SubscriberFactory
from tests.staff.conftest import make_user
from tests.staff.test_screenshots import CHROMIUM, CHROMIUM_ARGS, _png_size, shots  # noqa: F401
from urgent_notices import services as urgent
from urgent_notices.models import UrgentNotice

NOW = datetime.datetime(2026, 11, 24, 10, 0, tzinfo=TOKYO)


@pytest.fixture
def koto(transactional_db):
    with time_machine.travel(NOW, tick=True):
        municipality = MunicipalityFactory(
            name="江東区",
            slug="koto",
            service_name="こんにちは赤ちゃんメール",
            sender_name="江東区 保健所 保健予防課",
            line_enabled=True,
            line_friend_url="https://lin.ee/koto-kizuna",
        )
        ConsultationContact.objects.create(
            municipality=municipality,
            name="城東保健相談所",
            phone="03-3647-5879",
            hours="平日 8:30〜17:15",
        )
        ConsultationContact.objects.create(
            municipality=municipality, name="深川保健相談所", phone="03-3641-1181"
        )
        for week in (8, 14, 22, 30, 36):
            family(municipality, due=due_for(week, on=NOW.date()))
        for n in range(3):
            family(
                municipality,
                birth=datetime.date(2026, 3 + n, 10),
                channel="line",
                email=None,
                line_user_id=line_user(n),
            )
    return municipality


def test_adoption_pages_in_a_browser(koto, live_server, shots):  # noqa: F811
    author, approver = make_user("koto-author"), make_user("koto-approver")
    for user in (author, approver):
        StaffMembership.objects.create(user=user, municipality=koto, role="editor")
    with time_machine.travel(NOW, tick=True):
        SubscriberFactory(municipality=koto, email="registered@example.jp")
        batch = imports.start(
            koto,
            raw=csv_bytes(messy_rows("registered@example.jp")),
            file_name="旧サービス_読者一覧.csv",
            source_name="あおば子育てメール",
        )
        batch = imports.analyse(batch.pk)
        notice = UrgentNotice.objects.create(
            municipality=koto,
            created_by=author,
            title="台風10号の接近に伴う乳幼児健診の中止",
            body=(
                "{{ nickname }}さん、台風10号の接近により、**8月30日（金）の3〜4か月児健診は中止**します。\n\n"
                "- 対象の方には、あらためて日程をご案内します\n"
                "- 避難所では授乳室を用意しています\n\n"
                "[江東区の防災情報](https://www.city.koto.lg.jp/)"
            ),
            include_bereaved=True,
        )
        urgent.submit(notice.pk, by=author)
        (shots / "flyer.png").write_bytes(flyer.flyer_png(koto, "boshitecho", scale=1.5))
    client = Client()
    client.force_login(approver)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    base = live_server.url

    with time_machine.travel(NOW, tick=True), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(
            locale="ja-JP", viewport={"width": 1280, "height": 1000}, device_scale_factor=1
        )
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base}])
        page = context.new_page()

        page.goto(f"{base}/staff/adoption/imports/{batch.pk}/")
        assert page.get_by_text("4人を取り込む").is_visible()
        assert page.locator("tr.kz-row-reject").count() == 6
        assert page.get_by_text("日付として読めません").is_visible()
        page.screenshot(path=shots / "import-preview.png", full_page=True)

        page.goto(f"{base}/staff/urgent/{notice.pk}/")
        assert page.get_by_role("button", name="承認して今すぐ送信（8人）").is_visible()
        page.locator("iframe.kz-mail").scroll_into_view_if_needed()
        mail = page.frame_locator("iframe.kz-mail")
        assert mail.locator("strong", has_text="3〜4か月児健診は中止").is_visible()
        assert "城東保健相談所" in page.locator(".kz-bubble").inner_text()
        page.screenshot(path=shots / "urgent-notice-preview.png", full_page=True)

        page.goto(f"{base}/staff/adoption/")
        assert page.get_by_text("ファイルから取り込む").is_visible()
        browser.close()

    assert _png_size(shots / "import-preview.png")[0] == 1280
    assert _png_size(shots / "urgent-notice-preview.png")[0] == 1280
    assert _png_size(shots / "flyer.png") == (893, 1263)
