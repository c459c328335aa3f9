"""The admin's first page and lists on the screens staff use: 1280, 1366 (a 13-inch laptop) and
1920 px wide, on the demo data `make run` loads. Every staff page opens without a console error
or a Content-Security-Policy violation."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import Client, RequestFactory
from django.urls import reverse
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from playwright.sync_api import sync_playwright

from content.services import load_pack
from kizuna import clock
from kizuna.fiscal import fiscal_year_of
from operations.demo import DEMO_EDITOR, load_demo
from tests.staff.layout import BAD_WRAPS_JS, OVERFLOWING_JS, RECORD_CSP_VIOLATIONS_JS

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
WIDTHS = (1280, 1366, 1920)
STAFF_TOOLS = {
    "自治体の概要",
    "配信プレビュー",
    "コンテンツの抜け・お知らせの期限",
    "読者アンケート",
    "フォローアップ（保健師）",
    "緊急のお知らせ",
    "導入・移行",
    "配信の運用状況",
    "事業報告と調達書類",
    "医療監修",
    "乳幼児健診",
    "予防接種",
}
LISTS = [
    "/admin/municipalities/municipality/",
    "/admin/subscribers/subscriber/",
    "/admin/subscribers/child/",
    "/admin/content/stagemessage/",
    "/admin/content/localnotice/",
    "/admin/delivery/delivery/",
    "/admin/audit/auditevent/",
    "/admin/surveys/survey/",
]


@pytest.fixture
def demo(transactional_db, tmp_path, settings):
    settings.VAR_DIR = tmp_path
    load_pack()
    municipality, _ = load_demo()
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    task = PeriodicTask.objects.create(
        name="plan-and-send", task="delivery.tasks.tick", interval=every_minute
    )
    return {"municipality": municipality, "periodic_task": task}


def _session(username: str) -> str:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _open(playwright, base: str, session: str, width: int):
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    context = browser.new_context(locale="ja-JP", viewport={"width": width, "height": 900})
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base}])
    return browser, context


def test_first_page_lists_every_staff_tool_in_readable_boxes_at_laptop_widths(demo, live_server):
    session = _session("admin")
    with sync_playwright() as playwright:
        browser, context = _open(playwright, live_server.url, session, 1366)
        page = context.new_page()
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(f"{live_server.url}/admin/")
            tools = page.locator("#kizuna-staff-tools li")
            names = set(tools.locator("strong").all_inner_texts())
            assert names == STAFF_TOOLS, width
            widths = [box["width"] for box in (t.bounding_box() for t in tools.all())]
            assert min(widths) >= 240, (width, widths)
            assert page.evaluate(BAD_WRAPS_JS, "#kizuna-staff-tools, .kz-app-grid") == [], width
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            # The project's own sections come first; the libraries' last, in Japanese.
            sections = page.locator(".kz-app-grid .module caption").all_inner_texts()
            assert sections[0] == "配信コンテンツ"
            assert sections[-4:] == [
                "定期処理のスケジュール",
                "ログインの試行とロック",
                "二要素認証（認証アプリ）",
                "二要素認証（予備コード）",
            ]
            models = page.locator(".kz-app-grid th[scope=row]").all_inner_texts()
            assert not [name for name in models if name.isascii()], models
        browser.close()


def test_lists_keep_names_whole_and_every_column_visible(demo, live_server):
    session = _session("admin")
    with sync_playwright() as playwright:
        browser, context = _open(playwright, live_server.url, session, 1366)
        page = context.new_page()
        for width in (1280, 1366):
            page.set_viewport_size({"width": width, "height": 900})
            for path in LISTS:
                page.goto(live_server.url + path)
                assert page.locator("#result_list tbody tr").count() > 0, path
                assert page.evaluate(BAD_WRAPS_JS, "#result_list") == [], (width, path)
                assert page.evaluate(OVERFLOWING_JS, "#changelist-form .results") == [], (
                    width,
                    path,
                )
        browser.close()


def test_municipal_staff_see_no_library_sections(demo, live_server):
    session = _session(DEMO_EDITOR)
    with sync_playwright() as playwright:
        browser, context = _open(playwright, live_server.url, session, 1366)
        page = context.new_page()
        page.goto(f"{live_server.url}/admin/")
        sections = page.locator(".kz-app-grid .module caption").all_inner_texts()
        assert sections and sections[0] == "配信コンテンツ"
        assert not {"定期処理のスケジュール", "ログインの試行とロック"} & set(sections)
        assert page.locator("#kizuna-staff-tools li").count() == len(STAFF_TOOLS)
        page.goto(f"{live_server.url}/admin/axes/accessattempt/")
        assert "ログインの試行" not in page.title()
        browser.close()


def _staff_pages(demo) -> list[str]:
    """Every page a superuser reaches from the admin's first page and the staff tools."""
    municipality = demo["municipality"]
    request = RequestFactory().get("/admin/")
    request.user = get_user_model().objects.get(username="admin")
    pages = ["/admin/"]
    for app in admin.site.get_app_list(request):
        for model in app["models"]:
            pages.append(model["admin_url"])
            if model["add_url"]:
                pages.append(model["add_url"])
    task = demo["periodic_task"]
    pages.append(reverse("admin:django_celery_beat_periodictask_change", args=[task.pk]))
    pages += [
        "/staff/",
        f"/staff/preview/?municipality={municipality.pk}&due_date=2027-05-01&nickname=はな",
        "/staff/coverage/",
        f"/staff/municipalities/{municipality.pk}/",
        reverse("surveys:staff_list"),
        reverse("urgent_notices:list"),
        reverse("adoption:index"),
        reverse("reports:year", args=[municipality.pk, fiscal_year_of(clock.today())]),
        reverse("reports:papers", args=[municipality.pk]),
        "/ops/",
        "/ops/failures/",
        "/ops/actions/",
        "/ops/audit/",
        "/ops/lockouts/",
    ]
    return pages


def test_every_staff_page_opens_without_console_errors_or_blocked_scripts(demo, live_server):
    pages = _staff_pages(demo)
    session = _session("admin")
    problems: list[str] = []
    developer_files: list[str] = []
    with sync_playwright() as playwright:
        browser, context = _open(playwright, live_server.url, session, 1366)
        context.add_init_script(RECORD_CSP_VIOLATIONS_JS)
        page = context.new_page()
        current = {"path": ""}
        page.on(
            "console",
            lambda m: m.type == "error" and problems.append(f"{current['path']}: {m.text}"),
        )
        page.on("pageerror", lambda e: problems.append(f"{current['path']}: {e}"))
        page.on(
            "response",
            lambda r: r.status >= 400 and problems.append(f"{current['path']}: {r.status} {r.url}"),
        )
        for path in pages:
            current["path"] = path
            response = page.goto(live_server.url + path)
            assert response.status == 200, path
            page.wait_for_load_state("load")
            problems += [f"{path}: CSP {v}" for v in page.evaluate("window.__cspViolations")]
            if "README" in page.content():
                developer_files.append(path)
            if page.locator("link[rel=icon]").count() != 1:
                problems.append(f"{path}: no icon")
        favicon = page.goto(f"{live_server.url}/favicon.ico").status
        browser.close()
    assert len(pages) > 40
    assert problems == []
    assert developer_files == []
    assert favicon == 200  # the icon browsers ask for on their own, on pages that name none
