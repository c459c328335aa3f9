"""Security headers on real responses, in development and with production settings, and the
parent pages running under the strict Content-Security-Policy in real Chromium."""

import json
import subprocess
import sys

import pytest
from django.test import Client

from tests.e2e.conftest import *  # noqa: F403 (browser, live_server page fixtures)
from tests.factories import MunicipalityFactory
from tests.kizuna.test_settings import PRODUCTION_ENV, ROOT

pytestmark = pytest.mark.django_db


def policy(response) -> dict[str, list[str]]:
    parts = [p.strip().split() for p in response["Content-Security-Policy"].split(";") if p.strip()]
    return {part[0]: part[1:] for part in parts}


def test_parent_pages_have_a_strict_policy_and_the_usual_headers():
    municipality = MunicipalityFactory(slug="aoba")
    response = Client().get(f"/m/{municipality.slug}/")
    assert response.status_code == 200
    csp = policy(response)
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    assert csp["script-src"] == ["'self'"] and csp["object-src"] == ["'none'"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_staff_pages_allow_inline_styles_for_mail_previews_but_never_scripts(client):
    from tests.staff.conftest import make_user

    client.force_login(make_user("root", is_superuser=True))
    response = client.get("/staff/")
    csp = policy(response)
    assert csp["style-src"] == ["'self'", "'unsafe-inline'"]
    assert csp["script-src"] == ["'self'"]


def test_production_settings_set_hsts_and_secure_cookies():
    # Plain static storage: a fresh clone has no collectstatic manifest, and headers don't care.
    script = (
        "import django, json; django.setup();"
        "from django.conf import settings;"
        "from django.test import Client, override_settings;"
        "storages = {**settings.STORAGES, 'staticfiles': {'BACKEND':"
        " 'django.contrib.staticfiles.storage.StaticFilesStorage'}};"
        "override_settings(STORAGES=storages).enable();"
        "r = Client().get('/admin/login/', secure=True, HTTP_HOST='kizuna.example.jp');"
        "c = r.cookies['csrftoken'];"
        "print(json.dumps({'status': r.status_code, 'hsts': r.get('Strict-Transport-Security'),"
        " 'secure': bool(c['secure']), 'samesite': c['samesite'],"
        " 'insecure': Client().get('/admin/login/', HTTP_HOST='kizuna.example.jp').status_code}))"
    )
    env = {**PRODUCTION_ENV, "DJANGO_SETTINGS_MODULE": "kizuna.settings", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["status"] == 200
    assert seen["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert seen["secure"] and seen["samesite"] == "Lax"
    assert seen["insecure"] == 301  # plain HTTP goes to HTTPS


def test_the_signup_page_runs_in_chromium_without_csp_violations(phone, transactional_db):
    MunicipalityFactory(slug="aoba", name="あおば市")
    page = phone()
    response = page.open("/m/aoba/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.page.get_by_label("メールアドレス").first.fill("hanako@example.jp")
    violations = page.page.evaluate(
        "() => new Promise(resolve => { const seen = [];"
        " document.addEventListener('securitypolicyviolation', e => seen.push(e.violatedDirective));"
        " setTimeout(() => resolve(seen), 300); })"
    )
    assert violations == []
    # The phone fixture fails the test on any console error, where Chromium reports violations.
