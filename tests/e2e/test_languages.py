"""Signup in ベトナム語 and in やさしい日本語 on a phone, the mail in that language, and no tofu."""

import datetime

import pytest
from django.utils import translation
from django.utils.translation import gettext

from content.models import StageMessage
from content.pack import stage_label, subject_separator
from content.stages import Stage, Track, Unit
from delivery import dispatch, planner
from kizuna import clock
from languages.models import MunicipalityLanguages
from subscribers.models import Subscriber
from tests.e2e.conftest import link_in, text_of
from tests.factories import MunicipalityFactory
from tests.languages.conftest import FIXTURE_WORDS, write_catalog

pytestmark = pytest.mark.django_db(transaction=True)

WEEK_20 = Stage(Track.PREGNANCY, Unit.WEEK, 20)
BODIES = {
    "ja": "## 赤ちゃんのようす\n日本語の本文です。",
    "ja-easy": "## あかちゃん\n予防接種のことを、病院で聞きましょう。",
    "vi": "## Em bé của bạn\nEm bé đang lớn từng ngày.",
}


@pytest.fixture
def municipality(settings, live_server, tmp_path):
    settings.SITE_URL = live_server.url
    for language, words in FIXTURE_WORDS.items():
        write_catalog(tmp_path, language, words)
    write_catalog(tmp_path, "ne", {"プライバシーポリシー": "गोपनीयता नीति"})
    # After the real catalogs: once locale/ has them, the pages (and the screenshots) speak them;
    # the fixture's words only fill what is not there yet.
    settings.LOCALE_PATHS = [*settings.LOCALE_PATHS, tmp_path]
    town = MunicipalityFactory(slug="koto", name="江東区", service_name="こんにちは赤ちゃんメール")
    MunicipalityLanguages.objects.create(municipality=town, offered=["ja", "ja-easy", "vi", "ne"])
    for language, body in BODIES.items():
        StageMessage.objects.create(
            track="pregnancy",
            unit="week",
            number=20,
            language=language,
            subject=f"{stage_label(language, WEEK_20)}{subject_separator(language)}テスト",
            body=body,
            published=True,
        )
    return town


def _words(language: str, msgid: str) -> str:
    with translation.override(language):
        return gettext(msgid)


def _switch(phone_page, language: str) -> None:
    page = phone_page.page
    page.select_option("#language-switch-select", language)
    page.locator('[data-testid="language-switch"] button').click()
    page.wait_for_selector(f'html[lang="{language}"]')


def _sign_up_in(phone_page, language: str, email: str) -> None:
    page = phone_page.page
    phone_page.open("/m/koto/")
    _switch(phone_page, language)
    assert page.locator("#id_language").input_value() == language
    page.fill('input[name="email"]', email)
    page.check('input[name="situation"][value="expecting"]')
    page.fill('input[name="due_date"]', (clock.today() + datetime.timedelta(days=140)).isoformat())
    page.check('input[name="consent"]')
    phone_page.shot(f"signup-{language}")
    page.locator('form:has(input[name="email"]) button[type="submit"]').click()
    page.wait_for_url("**/sent/")


def _confirm(phone_page, message) -> None:
    phone_page.open(link_in(message, "/confirm/"))
    phone_page.page.locator("main form button[type=submit]").click()
    phone_page.page.wait_for_load_state()


def _fonts_of(phone_page, selector: str) -> dict[str, int]:
    """Font family -> glyphs Chromium drew with it for the element's text (CDP)."""
    session = phone_page.context.new_cdp_session(phone_page.page)
    session.send("DOM.enable")
    session.send("CSS.enable")
    root = session.send("DOM.getDocument", {"depth": -1})["root"]
    node = session.send("DOM.querySelector", {"nodeId": root["nodeId"], "selector": selector})
    fonts = session.send("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})["fonts"]
    return {font["familyName"]: font["glyphCount"] for font in fonts}


@pytest.mark.parametrize(
    ("language", "email"), [("vi", "lan@example.jp"), ("ja-easy", "an@example.jp")]
)
def test_sign_up_in_a_language_and_receive_the_stage_text_in_it(
    phone, mailbox, municipality, language, email
):
    reader = phone()
    _sign_up_in(reader, language, email)
    _confirm(reader, mailbox.wait_for(email))
    assert Subscriber.objects.get(email=email).language == language

    planner.plan_day(clock.today(), [municipality])
    dispatch.dispatch()
    message = mailbox.to(email)[-1]
    assert message["Subject"].startswith(stage_label(language, WEEK_20))
    text = text_of(message)
    html = message.get_body(preferencelist=("html",)).get_content()
    unsubscribe = _words(language, "配信停止")
    assert unsubscribe != "配信停止" and unsubscribe in text
    if language == "vi":
        assert "Em bé đang lớn từng ngày." in text
    else:
        assert "<ruby>予防<rt>よぼう</rt></ruby>" in html
        assert "予防（よぼう）接種（せっしゅ）" in text


@pytest.mark.parametrize(("language", "script_font"), [("vi", None), ("ne", "Devanagari")])
def test_the_signup_page_renders_in_vietnamese_and_nepali_without_missing_glyphs(
    phone, municipality, language, script_font
):
    reader = phone()
    reader.open("/m/koto/")
    _switch(reader, language)
    link = 'footer a[href$="/privacy/"]'
    words = reader.page.locator(link).inner_text()
    assert words == _words(language, "プライバシーポリシー") != "プライバシーポリシー"
    fonts = _fonts_of(reader, link)
    assert fonts and all(fonts.values()), fonts
    if script_font:
        assert any(script_font in family for family in fonts), fonts
