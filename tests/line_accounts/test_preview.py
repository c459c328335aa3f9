"""The LINE preview staff see (a stage text as its Flex Message, the chat signup up to consent),
in Chromium; the chat screenshots of the README are taken from it at 390 px."""

import datetime

import time_machine
from django.conf import settings
from django.test import Client
from playwright.sync_api import sync_playwright

from conversations.models import Conversation
from kizuna import clock
from line_accounts import selectors
from line_accounts.models import StageInsight
from municipalities.models import StaffMembership
from subscribers.models import Subscriber
from tests.factories import MunicipalityFactory
from tests.staff.conftest import make_user
from tests.staff.test_screenshots import (  # noqa: F401 (fixtures)
    CHROMIUM,
    CHROMIUM_ARGS,
    NOW,
    _png_size,
    koto,
    shots,
)


def staff_of(municipality, name="koto-editor"):
    user = make_user(name)
    StaffMembership.objects.create(user=user, municipality=municipality, role="editor")
    client = Client()
    client.force_login(user)
    return client


def test_staff_of_another_municipality_cannot_preview_it(koto):  # noqa: F811
    other = MunicipalityFactory(name="松戸市", slug="matsudo")
    page = staff_of(other, "matsudo-editor").get(
        f"/staff/line/preview/?municipality={koto.pk}&stage=pregnancy:week:20"
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "江東区" not in html and "こんにちは赤ちゃんメール" not in html


def test_the_preview_changes_nothing(koto):  # noqa: F811
    readers = Subscriber.objects.count()
    with time_machine.travel(NOW, tick=True):
        page = staff_of(koto).get(
            f"/staff/line/preview/?municipality={koto.pk}&stage=child:month:4"
        )
    html = page.content.decode()
    assert "生後4か月" in html and "3〜4か月児健診のご案内" in html
    assert "出産予定日を選ぶ" in html and "同意して登録" in html
    assert not Conversation.objects.exists() and Subscriber.objects.count() == readers


def stage_insights(municipality):
    """A week of LINE's per-stage counts as the nightly fetch leaves them (None: LINE's null)."""
    today = NOW.astimezone(clock.TOKYO).date()
    counts = {"p_w20": (41, 12), "p_w21": (37, None), "c_m4": (29, None), "c_m5": (None, None)}
    StageInsight.objects.bulk_create(
        StageInsight(
            municipality=municipality,
            unit=unit,
            day=today - datetime.timedelta(days=back),
            opened=opened if opened is None else opened - back,
            clicked=clicked,
            fetched_at=NOW,
        )
        for unit, (opened, clicked) in counts.items()
        for back in range(1, 8)
    )


def test_line_preview_in_a_browser(koto, live_server, shots):  # noqa: F811
    flex = selectors.of(koto)
    flex.flex_messages = True
    flex.stage_statistics = True
    flex.save()
    stage_insights(koto)
    client = staff_of(koto)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    base = live_server.url
    with time_machine.travel(NOW, tick=True), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for width, name in ((1366, "staff"), (390, "phone")):
            context = browser.new_context(
                locale="ja-JP", viewport={"width": width, "height": 900}, device_scale_factor=1
            )
            context.add_cookies(
                [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base}]
            )
            page = context.new_page()
            page.goto(f"{base}/staff/line/preview/?municipality={koto.pk}&stage=child:month:4")
            card = page.get_by_test_id("flex-preview")
            assert card.locator(".lp-block-header").inner_text().startswith("生後4か月")
            assert "3〜4か月児健診のご案内" in card.inner_text()
            assert card.locator(".lp-button").all_inner_texts() == ["設定", "相談窓口"]
            chat = page.get_by_test_id("chat-preview")
            assert "友だち追加ありがとうございます" in chat.inner_text()
            assert chat.locator(".lp-chip-date").inner_text() == "出産予定日を選ぶ"
            table = page.get_by_test_id("stage-insight")
            assert "妊娠20週" in table.inner_text() and "少数のため非表示" in table.inner_text()
            if name == "staff":
                page.screenshot(path=shots / "line25-staff-preview.png", full_page=True)
                table.screenshot(path=shots / "line25-stage-insight.png")
            else:
                card.screenshot(path=shots / "line25-flex-stage.png")
                chat.screenshot(path=shots / "line25-chat-signup.png")
            context.close()
        page_png = shots / "line25-staff-preview.png"
        browser.close()
    assert _png_size(page_png)[0] == 1366
    # Push-only: the page says what the account then lacks.
    flex.push_only = True
    flex.save()
    with time_machine.travel(NOW, tick=True), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(
            locale="ja-JP", viewport={"width": 1366, "height": 900}, device_scale_factor=1
        )
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base}])
        page = context.new_page()
        page.goto(f"{base}/staff/line/preview/?municipality={koto.pk}&stage=child:month:4")
        notice = page.get_by_test_id("push-only")
        assert "トークでの登録" in notice.inner_text()
        notice.screenshot(path=shots / "line25-push-only.png")
        browser.close()
    assert _png_size(shots / "line25-chat-signup.png")[0] <= 390
