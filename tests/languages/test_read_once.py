"""A parent page reads its municipality, its languages and its reader once per request, and the
next request reads them afresh."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from languages.models import MunicipalityLanguages
from subscribers.views import READER_SESSION_KEY
from tests.factories import MunicipalityFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db


def _reads(queries, table: str) -> int:
    return sum(1 for query in queries if re.search(rf'FROM "{table}"', query["sql"]))


def _options(page: str) -> list[str]:
    switch = re.search(r'<form[^>]*data-testid="language-switch".*?</form>', page, re.S)
    assert switch, "no language switch on the page"
    return re.findall(r'<option value="([^"]+)"', switch.group(0))


@pytest.fixture
def town():
    town = MunicipalityFactory(slug="koto")
    MunicipalityLanguages.objects.create(municipality=town, offered=["ja", "ja-easy", "vi"])
    return town


def test_the_signup_page_reads_its_municipality_and_languages_once(client, town):
    with CaptureQueriesContext(connection) as captured:
        page = client.get("/m/koto/").content.decode()
    assert _options(page) == ["ja", "ja-easy", "vi"]
    assert _reads(captured.captured_queries, "municipalities_municipality") == 1
    assert _reads(captured.captured_queries, "languages_municipalitylanguages") <= 1


def test_the_manage_page_reads_its_reader_and_languages_once(client, town):
    reader = SubscriptionFactory(subscriber__municipality=town).subscriber
    session = client.session
    session[READER_SESSION_KEY] = reader.pk
    session.save()
    with CaptureQueriesContext(connection) as captured:
        page = client.get("/manage/").content.decode()
    assert _options(page) == ["ja", "ja-easy", "vi"]
    assert _reads(captured.captured_queries, "subscribers_subscriber") == 1
    assert _reads(captured.captured_queries, "languages_municipalitylanguages") <= 1


def test_a_change_of_languages_shows_on_the_next_request(client, town):
    assert _options(client.get("/m/koto/").content.decode()) == ["ja", "ja-easy", "vi"]
    MunicipalityLanguages.objects.filter(municipality=town).update(offered=["ja", "en"])
    assert _options(client.get("/m/koto/").content.decode()) == ["ja", "en"]
    MunicipalityLanguages.objects.filter(municipality=town).delete()
    assert _options(client.get("/m/koto/").content.decode()) == ["ja", "en"]  # the defaults
    town.name = "新しい区"
    town.save()
    assert "新しい区" in client.get("/m/koto/").content.decode()
