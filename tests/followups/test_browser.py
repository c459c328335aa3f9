"""In real Chromium: a parent answers the 8か月アンケート on a phone (390 px, no JavaScript) and
asks to talk from the manage page; a 保健師 (1366 px) works the case through to closed.
Screenshots go to docs/screenshots/ with KIZUNA_SCREENSHOT_DIR=docs/screenshots.
"""

import datetime
import os
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect, sync_playwright

from audit.models import AuditEvent
from followups.demo import EIGHT_MONTHS
from followups.links import questionnaire_token
from followups.models import Case
from followups.services import import_questionnaire
from municipalities.models import ConsultationContact, StaffMembership
from subscribers import links
from tests.delivery.conftest import due_for, family
from tests.factories import MunicipalityFactory
from tests.staff.conftest import make_user
from tests.staff.test_screenshots import CHROMIUM, CHROMIUM_ARGS, _png_size

from .conftest import NOW, TODAY


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = os.environ.get("KIZUNA_SCREENSHOT_DIR")
    path = Path(settings.BASE_DIR, folder) if folder else tmp_path
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def koto(transactional_db):
    with time_machine.travel(NOW, tick=True):
        town = MunicipalityFactory(
            name="江東区", slug="koto", service_name="こんにちは赤ちゃんメール"
        )
        for order, (name, phone, hours) in enumerate(
            [
                ("江東区 保健相談所（母子保健）", "03-0000-1111", "平日 8:30〜17:15"),
                ("江東区 子ども家庭支援センター", "03-0000-2222", "平日 9:00〜17:00"),
            ]
        ):
            ConsultationContact.objects.create(
                municipality=town, name=name, phone=phone, hours=hours, order=order
            )
        questionnaire = import_questionnaire(town, EIGHT_MONTHS)
        reader = family(town, due=due_for(30, TODAY), nickname="はな")
        talker = family(town, birth=TODAY - datetime.timedelta(days=40), nickname="そら")
        health = make_user("koto-hokenshi")
        health.first_name, health.last_name = "みどり", "佐藤"
        health.save()
        StaffMembership.objects.create(user=health, municipality=town, role="health")
    return town, questionnaire, reader, talker, health


def test_a_parent_answers_on_a_phone_and_a_hokenshi_closes_the_case(koto, live_server, shots):
    _town, questionnaire, reader, talker, health = koto
    staff = Client()
    staff.force_login(health)
    session = staff.cookies[settings.SESSION_COOKIE_NAME].value
    token = questionnaire_token(reader.subscriber_id, reader.child_id, questionnaire.pk)
    answer_url = live_server.url + reverse("followups:answer", args=[token])
    manage_url = links.manage_url(talker.subscriber).replace("http://testserver", live_server.url)
    manage_url = live_server.url + manage_url[manage_url.index("/manage/") :]

    with time_machine.travel(NOW, tick=True), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        phone = browser.new_context(
            locale="ja-JP",
            viewport={"width": 390, "height": 844},
            device_scale_factor=1,
            java_script_enabled=False,
        )
        page = phone.new_page()
        page.goto(answer_url)
        assert page.locator("body").bounding_box()["width"] <= 390
        page.screenshot(path=shots / "care26-questionnaire-phone.png", full_page=True)

        # Sending with nothing chosen explains gently and keeps the page.
        page.click("main button[type=submit]")
        expect(page.locator(".error-summary")).to_be_visible()

        page.get_by_label("ときどき、しんどい日がある").check()
        page.get_by_label("ときどき落ちこんだり、イライラしたりする").check()
        page.get_by_label("お産のこと").check()
        page.get_by_label("上のお子さんのこと").check()
        page.get_by_label("少しずつ進めている").check()
        page.get_by_label("少しはいる").check()
        page.get_by_label("家庭訪問を希望する").check()
        page.locator("textarea").fill("上の子の赤ちゃん返りが心配です。")
        page.click("main button[type=submit]")
        expect(page.get_by_role("heading", name="ご回答ありがとうございました")).to_be_visible()
        expect(page.get_by_text("11月27日（金）までに")).to_be_visible()
        expect(page.get_by_text("江東区 保健相談所（母子保健）")).to_be_visible()
        page.screenshot(path=shots / "care26-thanks-phone.png", full_page=True)

        # Another parent asks to talk from the manage page.
        talk = phone.new_page()
        talk.goto(manage_url)
        talk.get_by_role("link", name="話を聞いてほしい").click()
        talk.fill("#id_message", "夜になると涙が出てしまいます。")
        talk.fill("#id_phone", "090-1234-5678")
        talk.fill("#id_reachable", "平日の午前")
        talk.screenshot(path=shots / "care26-talk-phone.png", full_page=True)
        talk.click("main button[type=submit]")
        expect(talk.get_by_role("heading", name="保健師にお伝えしました")).to_be_visible()
        talk.screenshot(path=shots / "care26-talk-done-phone.png", full_page=True)

        desk = browser.new_context(
            locale="ja-JP", viewport={"width": 1366, "height": 900}, device_scale_factor=1
        )
        desk.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
        )
        queue = desk.new_page()
        queue.goto(live_server.url + reverse("followups:cases"))
        assert queue.locator("table.kz-table tbody tr").count() == 2
        queue.screenshot(path=shots / "care26-cases.png", full_page=True)
        queue.get_by_role("link", name="ケース").first.click()
        expect(queue.get_by_text("上の子の赤ちゃん返りが心配です。")).to_be_visible()
        expect(queue.get_by_text("家庭訪問を希望する")).to_be_visible()
        queue.select_option("#id_state", "booked")
        queue.select_option("#id_assignee", label="佐藤 みどり")
        queue.fill("#id_note", "電話で話し、12月1日に家庭訪問の予定。")
        queue.click("form[action$='/update/'] button[type=submit]")
        queue.screenshot(path=shots / "care26-case.png", full_page=True)
        expect(queue.get_by_text("ケースを更新しました。")).to_be_visible()
        queue.select_option("#id_state", "closed")
        queue.click("form[action$='/update/'] button[type=submit]")
        expect(queue.get_by_text("終了するときは結果を選んでください。")).to_be_visible()
        queue.select_option("#id_state", "closed")
        queue.select_option("#id_outcome", "ongoing")
        queue.click("form[action$='/update/'] button[type=submit]")
        expect(queue.get_by_text("ケースを更新しました。")).to_be_visible()
        browser.close()

    visited = Case.objects.get(subscriber=reader.subscriber)
    assert visited.state == Case.State.CLOSED and visited.outcome == Case.Outcome.ONGOING
    assert visited.assignee == health
    talked = Case.objects.get(subscriber=talker.subscriber)
    assert talked.reason == Case.Reason.TALK and talked.phone == "090-1234-5678"
    assert AuditEvent.objects.filter(user=health, target="followups.case").exists()
    assert _png_size(shots / "care26-questionnaire-phone.png")[0] == 390
    assert _png_size(shots / "care26-case.png")[0] == 1366
