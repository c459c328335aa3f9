"""A reviewer in a real browser (Chromium, 1366 px): from the queue to an approval.

Screenshots go to docs/screenshots/ when KIZUNA_SCREENSHOT_DIR names it (see
tests/staff/test_screenshots.py), to a temporary folder otherwise.
"""

import os
from datetime import datetime
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from playwright.sync_api import expect, sync_playwright

from content.models import StageMessage
from content.services import load_pack
from kizuna.clock import TOKYO
from reviews import services
from reviews.models import TextVersion
from tests.reviews.conftest import make_reviewer
from tests.reviews.test_send_gate import approve
from tests.staff.test_screenshots import CHROMIUM, CHROMIUM_ARGS

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=TOKYO)


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = os.environ.get("KIZUNA_SCREENSHOT_DIR")
    path = Path(settings.BASE_DIR, folder) if folder else tmp_path
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def edited_after_approval(transactional_db):
    """Week 20 was approved; an editor has since rewritten a line, so it is back in review."""
    with time_machine.travel(NOW, tick=True):
        load_pack(language="ja")
        text = StageMessage.objects.get(
            track="pregnancy", unit="week", number=20, audience="everyone", language="ja"
        )
        approve(text)
        text.body = text.body.replace(
            "胎動がはっきりしてくる人が増えてきます。",
            "胎動がはっきりしてくる人が増えてきます（感じ方には個人差があります）。",
        )
        text.save()
        version = TextVersion.objects.get(
            text_type__model="stagemessage", text_id=text.pk, current=True
        )
        # A midwife has approved the new version already; a physician's approval is missing.
        services.decide(version, user=User.objects.get(username="gate-midwife"), approve=True)
        reviewer = make_reviewer("yamada", "obstetrician")
        reviewer.first_name, reviewer.last_name = "花子", "山田"
        reviewer.save()
        return version, reviewer


def test_a_reviewer_walks_from_the_queue_to_an_approval(edited_after_approval, live_server, shots):
    version, reviewer = edited_after_approval
    client = Client()
    client.force_login(reviewer)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    # The same morning as the edit: the pages' dates read as a reviewer's day would.
    with time_machine.travel(NOW.replace(hour=10), tick=True), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="ja-JP", viewport={"width": 1366, "height": 900})
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
        )
        page = context.new_page()
        page.goto(f"{live_server.url}/staff/reviews/")
        # Filter: texts that still need an obstetrician, in review, pregnancy.
        page.select_option("select[name=field]", "obstetrician")
        page.select_option("select[name=track]", "pregnancy")
        page.select_option("select[name=state]", "in_review")
        page.get_by_role("button", name="絞り込む").click()
        rows = page.locator(".rv-queue tbody tr")
        expect(rows).to_have_count(1)
        assert "妊娠20週" in rows.first.inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366
        page.screenshot(path=str(shots / "review23-queue.png"), full_page=True)

        rows.first.get_by_role("link").click()
        expect(page.locator(".rv-diff .rv-changed")).to_have_count(1)
        changed = page.locator(".rv-diff .rv-changed td")
        assert "個人差" not in changed.nth(0).inner_text()
        assert "個人差" in changed.nth(1).inner_text()
        assert "産婦人科医" in page.locator(".rv-facts").inner_text() or "医師" in page.content()
        page.locator(".rv-diff .rv-changed").scroll_into_view_if_needed()
        page.screenshot(path=str(shots / "review23-diff.png"), full_page=False)

        page.fill("#id_comment", "個人差の一文で、胎動を感じない方の不安に配慮できています。")
        page.get_by_role("button", name="この版を承認する").click()
        expect(page.locator(".messagelist")).to_contain_text("承認を記録しました")
        expect(page.locator(".rv-facts")).to_contain_text("承認済み")
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366
        page.screenshot(path=str(shots / "review23-approved.png"), full_page=True)
        browser.close()

    version.refresh_from_db()
    assert version.state == TextVersion.State.APPROVED
    text = StageMessage.objects.get(pk=version.text_id)
    assert text.is_approved and text.approved_hash == version.content_hash
    assert {d.reviewer.user.username for d in services.current_decisions(version)} == {
        "gate-midwife",
        "yamada",
    }
