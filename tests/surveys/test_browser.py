"""The survey in real Chromium: a reader answers on a phone without JavaScript, staff read the
results. Screenshots go to docs/screenshots/ when KIZUNA_SCREENSHOT_DIR=docs/screenshots is set
(see tests/staff/test_screenshots.py), to a temporary folder otherwise.
"""

import datetime
import os
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import sync_playwright

from municipalities.models import StaffMembership
from surveys import services
from surveys.links import survey_token
from surveys.models import Response
from tests.delivery.conftest import due_for, family
from tests.factories import MunicipalityFactory, SubscriptionFactory
from tests.staff.conftest import make_user
from tests.staff.test_screenshots import CHROMIUM, CHROMIUM_ARGS, _png_size

from .conftest import NOW, TODAY, make_survey, questions_of

# (relationship, weeks pregnant or None for a 4-month-old, satisfaction, frequency, useful, comment)
ANSWERS = [
    ("self", 20, 5, 1, [1, 2], "毎朝読むのが楽しみです。"),
    ("self", 20, 5, 1, [1], ""),
    ("partner", 20, 4, 2, [2], "妻の体調の変化がわかり、話すきっかけになりました。"),
    ("self", 30, 5, 1, [1, 3], ""),
    ("self", 30, 4, 2, [], ""),
    ("self", None, 5, 1, [2], "健診の案内がちょうどよい時期に届きました。"),
    ("grandparent", None, 4, 2, [1], ""),
    ("self", None, 3, 3, [], ""),
]


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
        survey = make_survey(
            municipality,
            title="こんにちは赤ちゃんメール 読者アンケート",
            intro="いつも{{ service_name }}をお読みいただき、ありがとうございます。",
        )
        s, f, u, c = questions_of(survey)
        children = {
            20: family(municipality, due=due_for(20, TODAY)).child,
            30: family(municipality, due=due_for(30, TODAY)).child,
            None: family(municipality, birth=TODAY - datetime.timedelta(days=130)).child,
        }
        for relationship, weeks, satisfaction, frequency, useful, comment in ANSWERS:
            reader = SubscriptionFactory(
                subscriber__municipality=municipality,
                subscriber__relationship=relationship,
                child=children[weeks],
            ).subscriber
            services.submit_response(
                survey, reader, {s.pk: satisfaction, f.pk: frequency, u.pk: useful, c.pk: comment}
            )
        reader = family(municipality, due=due_for(24, TODAY), nickname="はな").subscriber
    return municipality, survey, reader


def test_reader_answers_on_a_phone_without_javascript_and_staff_read_the_results(
    koto, live_server, shots
):
    municipality, survey, reader = koto
    editor = make_user("koto-editor")
    StaffMembership.objects.create(user=editor, municipality=municipality, role="editor")
    client = Client()
    client.force_login(editor)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    link = live_server.url + reverse("surveys:answer", args=[survey_token(reader, survey)])
    s, _f, _u, c = questions_of(survey)

    # All database work happens before the browser starts (see tests/staff/test_screenshots.py).
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
        page.screenshot(path=shots / "survey-form-phone.png", full_page=True)
        width = page.locator("body").bounding_box()["width"]
        assert width <= 390

        # Sending without the required answers explains, and keeps what was typed.
        page.fill(f"#id_q{c.pk}", "これからも楽しみにしています。")
        page.click("main button[type=submit]")
        assert page.locator(".error-summary").is_visible()
        assert page.locator(".has-error").count() == 2
        assert page.input_value(f"#id_q{c.pk}") == "これからも楽しみにしています。"

        page.get_by_label("やや満足").check()
        page.get_by_label("毎回読む").check()
        page.get_by_label("地域のイベント").check()
        page.click("main button[type=submit]")
        assert page.get_by_role("heading", name="ご回答ありがとうございました").is_visible()
        page.screenshot(path=shots / "survey-thanks-phone.png", full_page=True)

        staff = browser.new_context(
            locale="ja-JP", viewport={"width": 1280, "height": 1000}, device_scale_factor=1
        )
        staff.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
        )
        results = staff.new_page()
        results.goto(f"{live_server.url}/staff/surveys/{survey.pk}/results/")
        assert results.locator(".kz-stat-headline .kz-stat-num").inner_text() == "88.9%"
        assert results.locator(".kz-question").count() == 4
        results.locator(".kz-breakdowns").first.locator("summary").click()
        assert results.get_by_text("妊娠中期（14〜27週）").first.is_visible()
        results.screenshot(path=shots / "survey-results.png", full_page=True)
        browser.close()

    response = Response.objects.get(subscriber=reader)
    assert response.stage_bucket == "pregnancy-mid"
    assert sorted(response.answers.values_list("question_id", "choice")) == sorted(
        [(s.pk, 4), (_f.pk, 1), (_u.pk, 3), (c.pk, None)]
    )
    assert _png_size(shots / "survey-form-phone.png")[0] == 390
    assert _png_size(shots / "survey-results.png")[0] == 1280
