"""Two-factor enrolment and the audit log in real Chromium; screenshots for docs/screenshots/
(with KIZUNA_SCREENSHOT_DIR=docs/screenshots, as in tests/staff/test_screenshots.py)."""

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import sync_playwright

from audit import services as audit
from municipalities.models import OPERATORS_GROUP
from tests.staff.conftest import make_user
from tests.staff.test_screenshots import CHROMIUM, CHROMIUM_ARGS, shots  # noqa: F401


@pytest.fixture
def people(transactional_db):
    newcomer = make_user("suzuki.hanako")
    operator = make_user("yamada.operator", groups=[OPERATORS_GROUP])
    for action, username, target, target_id in [
        ("login", "aoba-editor", "", ""),
        ("view", "root", "subscribers.subscriber", "1042"),
        ("export", "aoba-editor", "adoption.readers", "3"),
        ("change", "aoba-editor", "admin:content_localnotice_change", "17"),
        ("operator", "yamada.operator", "operations:pause", "5"),
        ("login_failed", "aoba-editr", "", ""),
        ("2fa", "suzuki.hanako", "", ""),
    ]:
        audit.record(action, username=username, target=target, target_id=target_id)
    return newcomer, operator


def session_of(user, *, second_factor: bool) -> str:
    client = Client()
    client.force_login(user, second_factor=second_factor)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def test_enrolment_and_audit_log_in_a_browser(people, live_server, shots):  # noqa: F811
    newcomer, operator = people
    sessions = {
        "newcomer": session_of(newcomer, second_factor=False),
        "operator": session_of(operator, second_factor=True),
    }
    base = live_server.url
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        problems = []
        for who, path, shot in [
            ("newcomer", "/ops/", "two-factor-enrolment.png"),
            ("operator", "/ops/audit/", "audit-log.png"),
        ]:
            context = browser.new_context(
                locale="ja-JP", viewport={"width": 1280, "height": 900}, device_scale_factor=1
            )
            context.add_cookies(
                [{"name": settings.SESSION_COOKIE_NAME, "value": sessions[who], "url": base}]
            )
            page = context.new_page()
            page.on("console", lambda m: m.type == "error" and problems.append(m.text))
            page.goto(base + path)
            if who == "newcomer":
                assert page.url.startswith(base + "/account/2fa/")
                assert page.get_by_alt_text("認証アプリに登録するQRコード").is_visible()
            else:
                assert page.get_by_role("cell", name="読者（ID 1042）を閲覧").first.is_visible()
            page.screenshot(path=str(shots / shot), full_page=True)
            context.close()
        browser.close()
    assert problems == []


def test_enrolment_link_pages_in_a_browser(transactional_db, live_server, shots):  # noqa: F811
    import datetime

    import time_machine

    from kizuna import clock

    with time_machine.travel(clock.now() - datetime.timedelta(days=3), tick=False):
        dormant = make_user("tanaka.aoba")
    operator = make_user("yamada.operator", groups=[OPERATORS_GROUP])
    sessions = {
        "dormant": session_of(dormant, second_factor=False),
        "operator": session_of(operator, second_factor=True),
    }
    base = live_server.url
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        problems = []
        for who, path, shot in [
            ("dormant", "/account/2fa/", "enrolment-needs-link.png"),
            ("operator", "/ops/enrolment/", "enrolment-links.png"),
        ]:
            context = browser.new_context(
                locale="ja-JP", viewport={"width": 1366, "height": 800}, device_scale_factor=1
            )
            context.add_cookies(
                [{"name": settings.SESSION_COOKIE_NAME, "value": sessions[who], "url": base}]
            )
            page = context.new_page()
            page.on("console", lambda m: m.type == "error" and problems.append(m.text))
            response = page.goto(base + path)
            if who == "operator":
                page.get_by_role("button", name="設定用リンクを発行").first.click()
                assert page.get_by_text("/account/2fa/enrol/").is_visible()
            else:
                assert response.status == 403  # refused, and Chromium reports the 403 itself
                problems.remove(
                    "Failed to load resource: the server responded with a status of 403 (Forbidden)"
                )
                assert page.get_by_text("運用担当者が発行する設定用リンク").is_visible()
            page.screenshot(path=str(shots / shot), full_page=True)
            context.close()
        browser.close()
    assert problems == []
