"""404, 403, 400 and 500 answer with the site's Japanese pages, DEBUG on or off."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

PAGES = [
    ("/no-such-page/", 404, "ページが見つかりませんでした"),
    ("/m/no-such-town/", 404, "ページが見つかりませんでした"),  # a view's Http404
    ("/test-errors/403/", 403, "このページは表示できません"),
    ("/test-errors/400/", 400, "受け付けられませんでした"),
    ("/test-errors/500/", 500, "ただいま表示できません"),
]


@pytest.fixture
def error_urls(settings):
    settings.ROOT_URLCONF = "tests.kizuna.error_urls"


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize(("path", "status", "heading"), PAGES)
def test_error_pages_are_japanese_and_in_the_site_design(
    settings, error_urls, debug, path, status, heading
):
    settings.DEBUG = debug
    response = Client(raise_request_exception=False).get(path)
    page = response.content.decode()
    assert response.status_code == status
    assert f"<title>{heading} — Kizuna</title>" in page
    assert f'<h1 id="error-heading">{heading}</h1>' in page
    assert 'lang="ja"' in page and "kizuna/site.css" in page and 'class="site-header"' in page
    for english in ("Page not found", "Server Error", "Forbidden", "Bad Request", "Traceback"):
        if not (debug and english == "Traceback"):
            assert english not in page
    # The details a developer needs are there under DEBUG only, and folded away.
    assert ("開発者向けの情報" in page) is debug


def test_under_debug_a_500_still_reaches_the_log_and_the_test_client(settings, error_urls, caplog):
    settings.DEBUG = True
    with pytest.raises(RuntimeError, match="a bug in a view"):
        Client().get("/test-errors/500/")
    response = Client(raise_request_exception=False).get("/test-errors/500/")
    assert "RuntimeError: a bug in a view" in response.content.decode()
    assert any("Internal Server Error" in r.getMessage() for r in caplog.records)


def test_a_form_sent_without_its_csrf_token_gets_the_japanese_403(settings):
    for debug in (False, True):
        settings.DEBUG = debug
        response = Client(enforce_csrf_checks=True).post("/m/koto/manage/", {"email": "a@b.jp"})
        assert response.status_code == 403
        assert "このページは表示できません" in response.content.decode()
