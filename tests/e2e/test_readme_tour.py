"""The five-minute tour of README.md, performed as a newcomer would after `make run`: sign up at
/m/demo/ on a phone, open the mail in the local mailbox, confirm, sign in as the demo editor,
preview the timeline and open /ops/. Its screenshots are the README's (docs/screenshots/tour-*),
written there when KIZUNA_SCREENSHOTS=1."""

import datetime
import io
import os
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from content.services import load_pack
from delivery import tasks
from kizuna import clock
from kizuna.celery import app as celery_app
from operations.demo import DEMO_EDITOR, demo_accounts, load_demo
from subscribers.models import Subscriber

pytestmark = pytest.mark.django_db(transaction=True)

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def demo(settings, tmp_path, live_server):
    """What `make run` sets up: the demo data, its accounts, DEBUG's local mailbox, no 2FA."""
    settings.VAR_DIR = tmp_path
    settings.DEBUG = True
    settings.EMAIL_BACKEND = "kizuna.mailbox.MailboxBackend"
    settings.SITE_URL = live_server.url
    settings.KIZUNA_REQUIRE_2FA = False
    load_pack()
    load_demo()
    # What beat does in make run's first minute: plan and send what is due, count, forecast.
    was_eager, celery_app.conf.task_always_eager = celery_app.conf.task_always_eager, True
    try:
        tasks.tick()
        tasks.recount_days()
    finally:
        celery_app.conf.task_always_eager = was_eager
    call_command("forecast", stdout=io.StringIO())
    return {account.username: account.password for account in demo_accounts()}


@pytest.fixture
def shots(tmp_path) -> Path:
    return SCREENSHOTS if os.environ.get("KIZUNA_SCREENSHOTS") else tmp_path


def test_the_readme_tour(browser, demo, live_server, shots):
    base = live_server.url
    problems: list[str] = []

    def watched(context):
        page = context.new_page()
        page.on("console", lambda m: m.type == "error" and problems.append(m.text))
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("response", lambda r: r.status >= 400 and problems.append(f"{r.status} {r.url}"))
        return page

    # 1. The home page leads to the demo municipality; a parent signs up on a phone.
    phone_context = browser.new_context(viewport=PHONE, locale="ja-JP")
    phone = watched(phone_context)
    phone.goto(base + "/")
    phone.get_by_role("link", name="デモ市 きずなメール").click()
    expect(phone).to_have_url(f"{base}/m/demo/")
    due = clock.today() + datetime.timedelta(days=150)
    phone.get_by_label("メールアドレス").fill("tour@example.jp")
    phone.get_by_label("妊娠中です").check()
    phone.get_by_label("出産予定日").fill(due.isoformat())
    phone.get_by_label("ニックネーム（任意）").fill("はな")
    phone.get_by_label("プライバシーポリシーに同意します").check()
    phone.screenshot(path=shots / "tour-1-signup.png", full_page=True)
    phone.get_by_role("button", name="確認メールを受け取る").click()
    phone.get_by_role("heading", name="メールを確認してください").wait_for()

    # 2. The confirmation mail, in the local mailbox, decoded, its link clickable.
    phone.goto(base + "/dev/mailbox/")
    mail = phone.get_by_role("link", name=re.compile("ご登録の確認"))
    expect(mail).to_have_count(1)
    phone.screenshot(path=shots / "tour-2-mailbox.png", full_page=True)
    mail.click()
    expect(phone.get_by_text("tour@example.jp")).to_be_visible()
    phone.screenshot(path=shots / "tour-3-mail.png", full_page=True)

    # 3. Confirm: the registration is complete and the reader's page opens.
    phone.locator('.mail-text a[href*="/confirm/"]').click()
    phone.get_by_role("button", name="登録を完了する").click()
    phone.get_by_text("登録が完了しました").wait_for()
    phone.screenshot(path=shots / "tour-4-confirmed.png", full_page=True)
    assert Subscriber.objects.get(email="tour@example.jp").confirmed_at is not None
    phone_context.close()

    # 4. Staff: sign in as the demo editor with the password make run printed.
    laptop_context = browser.new_context(viewport=LAPTOP, locale="ja-JP")
    laptop = watched(laptop_context)
    laptop.goto(base + "/")
    laptop.get_by_role("link", name="スタッフのログイン").click()
    laptop.get_by_label("ユーザー名").fill(DEMO_EDITOR)
    laptop.get_by_label("パスワード").fill(demo[DEMO_EDITOR])
    laptop.get_by_role("button", name="ログイン").click()
    expect(laptop.locator("#kizuna-staff-tools li")).to_have_count(12)
    laptop.screenshot(path=shots / "tour-5-admin.png", full_page=True)

    # 5. Preview the timeline of a family due in five months.
    laptop.get_by_role("link", name="配信プレビュー").click()
    laptop.get_by_label("自治体").select_option(label="東京都デモ市")
    laptop.get_by_label("出産予定日").fill(due.isoformat())
    laptop.get_by_role("button", name="表示する").click()
    expect(laptop.locator(".kz-entry").first).to_be_visible()
    laptop.wait_for_load_state("load")
    # The demo's health-check notice, under the messages of 生後3か月 and 4か月.
    expect(laptop.locator(".kz-badge-notice")).not_to_have_count(0)
    laptop.screenshot(path=shots / "tour-6-timeline.png")

    # 6. The operations dashboard: today's deliveries, and the worker of make run.
    laptop.goto(base + "/ops/")
    expect(laptop.get_by_role("heading", name="配信の運用状況")).to_be_visible()
    expect(laptop.get_by_text("未実行")).to_have_count(0)  # the planner has ticked
    laptop.screenshot(path=shots / "tour-7-ops.png", full_page=True)
    laptop_context.close()
    assert problems == []


def test_the_readme_shows_the_tour_screenshots_on_its_first_screen():
    readme = (SCREENSHOTS.parents[1] / "README.md").read_text()
    first_screen = readme.split("\n---\n", 1)[0]
    assert "make run" in first_screen and "make test" in first_screen
    assert "/dev/mailbox/" in first_screen and "/m/demo/" in first_screen
    tour = sorted(re.findall(r"docs/screenshots/(tour-[^)]+\.png)", first_screen))
    written = re.findall(r'shots / "(tour-[^"]+\.png)"', Path(__file__).read_text())
    assert tour == sorted(written) and len(tour) == 7
    for image in re.findall(r"\]\((docs/screenshots/[^)]+)\)", readme):
        assert (SCREENSHOTS.parents[1] / image).is_file(), image
