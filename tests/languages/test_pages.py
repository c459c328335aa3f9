"""The language switch on the parent pages, signup in the reader's language, readers per language."""

import datetime
import re

import pytest
import time_machine
from django.conf import settings as django_settings
from django.utils import translation

from content.programme import programme_end, programme_from
from languages.models import MunicipalityLanguages
from subscribers.models import Subscriber
from subscribers.views import READER_SESSION_KEY
from tests.factories import MunicipalityFactory, SubscriberFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 24, 10, 0, tzinfo=datetime.UTC)
COOKIE = django_settings.LANGUAGE_COOKIE_NAME


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def municipality():
    town = MunicipalityFactory(slug="koto", name="江東区", service_name="こんにちは赤ちゃんメール")
    MunicipalityLanguages.objects.create(municipality=town, offered=["ja", "ja-easy", "vi"])
    return town


def _options(page: str) -> list[str]:
    switch = re.search(r'<form[^>]*data-testid="language-switch".*?</form>', page, re.S)
    assert switch, "no language switch on the page"
    return re.findall(r'<option value="([^"]+)"', switch.group(0))


def test_the_switch_offers_the_municipality_languages_by_their_own_names(client, municipality):
    page = client.get("/m/koto/").content.decode()
    assert _options(page) == ["ja", "ja-easy", "vi"]
    assert "Tiếng Việt" in page and "やさしい日本語" in page and "नेपाली" not in page
    assert '<html lang="ja">' in page


def test_switching_remembers_the_language_and_the_page_speaks_it(client, municipality, catalogs):
    response = client.post("/m/koto/language/", {"language": "vi", "next": "/m/koto/privacy/"})
    assert response.status_code == 302 and response["Location"] == "/m/koto/privacy/"
    assert response.cookies[COOKIE].value == "vi"
    page = client.get("/m/koto/").content.decode()
    assert '<html lang="vi">' in page
    assert "Chính sách quyền riêng tư" in page and "プライバシーポリシー" not in page
    # The signup form starts in the page's language and offers only the municipality's.
    language_select = re.search(r'<select name="language".*?</select>', page, re.S).group(0)
    assert re.findall(r'<option value="([^"]+)"', language_select) == ["ja", "ja-easy", "vi"]
    assert re.search(r'<option value="vi" selected>', language_select)


def test_a_language_the_municipality_does_not_offer_is_refused_and_changes_nothing(
    client, municipality
):
    response = client.post("/m/koto/language/", {"language": "ne", "next": "/m/koto/"})
    assert response.status_code == 400 and COOKIE not in response.cookies
    assert "選択肢の中から選んでください。" in response.content.decode()
    # A cookie from another municipality's choice falls back to Japanese here.
    client.cookies[COOKIE] = "ne"
    assert '<html lang="ja">' in client.get("/m/koto/").content.decode()


def test_next_never_leaves_the_site(client, municipality):
    response = client.post(
        "/m/koto/language/", {"language": "ja-easy", "next": "https://evil.example/"}
    )
    assert response.status_code == 302 and response["Location"] == "/m/koto/"


def test_the_switch_needs_csrf(municipality):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/m/koto/language/", {"language": "vi"})
    assert response.status_code == 403


def test_a_signed_in_reader_keeps_the_choice_on_their_registration(client, municipality):
    reader = SubscriberFactory(municipality=municipality, language="ja")
    session = client.session
    session[READER_SESSION_KEY] = reader.pk
    session.save()
    client.post("/m/koto/language/", {"language": "vi", "next": "/manage/"})
    reader.refresh_from_db()
    assert reader.language == "vi"


def test_signup_stores_the_chosen_language_and_refuses_one_not_offered(
    client, municipality, eager_tasks
):
    data = {
        "email": "lan@example.jp",
        "situation": "expecting",
        "due_date": "2027-04-01",
        "birth_date": "",
        "relationship": "self",
        "nickname": "Lan",
        "language": "ne",
        "consent": "on",
    }
    refused = client.post("/m/koto/", data)
    assert refused.status_code == 200 and not Subscriber.objects.exists()
    client.post("/m/koto/", {**data, "language": "vi"})
    assert Subscriber.objects.get().language == "vi"


def test_staff_see_readers_per_language_with_small_counts_hidden(client, municipality):
    from django.contrib.auth import get_user_model

    for n in range(12):
        SubscriberFactory(municipality=municipality, language="ja", email=f"ja{n}@example.jp")
    for n in range(3):
        SubscriberFactory(municipality=municipality, language="vi", email=f"vi{n}@example.jp")
    admin = get_user_model().objects.create_user("super", "super@example.jp")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    page = client.get("/staff/languages/").content.decode()
    section = re.search(r'data-testid="languages-koto".*?</section>', page, re.S).group(0)
    assert re.search(r"日本語</td><td>提供中</td><td>12<", section)
    assert re.search(r"ベトナム語</td><td>提供中</td><td>10未満<", section)
    assert "ネパール語" not in section


def test_the_settings_form_offers_the_municipality_languages_and_refuses_others(
    client, municipality
):
    reader = SubscriberFactory(municipality=municipality, language="ja", nickname="はな")
    session = client.session
    session[READER_SESSION_KEY] = reader.pk
    session.save()
    page = client.get("/manage/").content.decode()
    settings_form = re.search(r'<form[^>]*action="/manage/settings/".*?</form>', page, re.S)
    language_select = re.search(
        r'<select name="language".*?</select>', settings_form.group(0), re.S
    )
    assert re.findall(r'<option value="([^"]+)"', language_select.group(0)) == [
        "ja",
        "ja-easy",
        "vi",
    ]
    data = {"nickname": "はな", "channel": "email"}
    client.post("/manage/settings/", {**data, "language": "ne"})
    reader.refresh_from_db()
    assert reader.language == "ja"
    client.post("/manage/settings/", {**data, "language": "ja-easy"})
    reader.refresh_from_db()
    assert reader.language == "ja-easy"


def test_the_signup_page_in_vietnamese_leaves_no_japanese_in_what_the_family_reads(
    client, municipality
):
    """With the real catalogs: the promise (「届くもの」), the programme's end, the relationship
    choices and the consent sentence around its link all speak the reader's language."""
    client.cookies[COOKIE] = "vi"
    page = client.get("/m/koto/").content.decode()
    assert '<html lang="vi">' in page
    what = re.search(r'<h2 id="what">.*?</ul>', page, re.S).group(0)
    form = re.search(
        r"<form[^>]*novalidate.*?</form>|<form[^>]*method=\"post\".*?</form>", page, re.S
    )
    for japanese in ("妊娠中：", "出産後：", "毎日", "本人（妊娠中", "祖父母", "に同意します"):
        assert japanese not in what + (form.group(0) if form else page), japanese
    # The sentence around the link is the reader's (the link's own words may come from a form
    # rendered earlier in this process with another test's catalog: the form's HTML is cached).
    assert 'Tôi đồng ý với <a href="/m/koto/privacy/">' in page
    with translation.override("vi"):
        end = programme_end(programme_from(municipality))
    assert end in page and not re.search(r"[\u3040-\u30ff]", end)
