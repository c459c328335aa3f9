"""In real Chromium at 390 px: the manage page of a reader who left, and the readable data
download. Screenshots go to docs/screenshots/ when KIZUNA_SCREENSHOT_DIR=docs/screenshots is
set, to a temporary folder otherwise; either way the pages must fit the phone's width."""

import datetime
import os
from pathlib import Path

import pytest
import time_machine
from django.conf import settings

from subscribers import links, services
from surveys import services as surveys
from tests.e2e.conftest import *  # noqa: F403 (browser, live_server, phone fixtures)
from tests.factories import MunicipalityFactory, SubscriptionFactory
from tests.surveys.conftest import make_survey

NOW = datetime.datetime(2026, 11, 24, 1, 0, tzinfo=datetime.UTC)


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = os.environ.get("KIZUNA_SCREENSHOT_DIR")
    path = Path(settings.BASE_DIR, folder) if folder else tmp_path
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def departed(transactional_db):
    with time_machine.travel(NOW, tick=True):
        municipality = MunicipalityFactory(
            name="江東区", slug="koto", service_name="こんにちは赤ちゃんメール"
        )
        reader = SubscriptionFactory(
            subscriber__municipality=municipality,
            subscriber__email="hana.yamada@docomo.ne.jp",
            subscriber__nickname="はな",
            subscriber__signup_tag="boshitecho",
            subscriber__confirmed_at=NOW,
            child__due_date=datetime.date(2027, 4, 13),
        ).subscriber
        survey = make_survey(municipality, opens_on=NOW.date())
        answers = {q.pk: 5 for q in survey.questions.filter(kind="satisfaction")}
        answers |= {q.pk: 1 for q in survey.questions.filter(kind="single")}
        answers[survey.questions.get(kind="text").pk] = "毎朝読むのが楽しみでした。"
        surveys.submit_response(survey, reader, answers)
        services.unsubscribe(reader.pk, "配信が多い / 上の子のときも助かりました")
    return reader


def fits_the_phone(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_departed_readers_pages_on_a_phone(departed, phone, shots):
    parent = phone()
    parent.open(f"/manage/{links.manage_token(departed)}/")
    page = parent.page
    assert page.url.endswith("/manage/")  # the token left the address bar
    assert page.get_by_role("heading", name="配信を停止しています").is_visible()
    assert page.get_by_role("button", name="確認のメールを受け取る").is_visible()
    assert page.locator("form[action='/manage/children/']").count() == 0
    assert fits_the_phone(page)
    page.screenshot(path=str(shots / "manage-departed-390.png"), full_page=True)

    page.get_by_role("link", name="登録した情報を見る・保存する（読みやすい形式）").click()
    assert page.get_by_role("heading", name="お預かりしている情報").is_visible()
    body = page.inner_text("main") if page.locator("main").count() else page.inner_text("body")
    for expected in (
        "江東区のこんにちは赤ちゃんメールがお預かりしている",
        "配信停止の理由",
        "2026年11月24日 10:00",
        "アンケートの回答",
        "毎朝読むのが",
    ):
        assert expected in body, expected
    assert fits_the_phone(page)
    page.screenshot(path=str(shots / "my-data-readable-390.png"), full_page=True)
