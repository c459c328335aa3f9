"""axe-core (npm) in Chromium over every parent page: 0 violations of WCAG 2.0 A and AA, which
JIS X 8341-3:2016 adopts; the conformance table of the report is built from the same run.

`make test` installs axe-core from npm when it is missing (into ~/.cache/kizuna/axe, or
KIZUNA_AXE_DIR) and passes its path as KIZUNA_AXE_PATH. The report is written to
docs/accessibility-jis-x-8341-3.md when KIZUNA_A11Y_REPORT names that file, to a temporary
folder otherwise.
"""

import datetime
import json
import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import time_machine
from django.conf import settings

from reports import accessibility
from subscribers import links
from subscribers.models import Subscriber
from surveys.links import survey_token
from tests.e2e.conftest import *  # noqa: F403 (browser, live_server fixtures)
from tests.e2e.conftest import PHONE
from tests.factories import MunicipalityFactory, SubscriptionFactory
from tests.surveys.conftest import make_survey

NOW = datetime.datetime(2026, 11, 24, 1, 0, tzinfo=datetime.UTC)
DEFAULT_AXE = Path.home() / ".cache" / "kizuna" / "axe" / "node_modules" / "axe-core" / "axe.min.js"


def axe_source() -> tuple[str, str]:
    path = Path(os.environ.get("KIZUNA_AXE_PATH") or DEFAULT_AXE)
    if not path.exists():
        pytest.fail(
            f"axe-core is missing at {path}: run `make test` (it installs axe-core from npm), "
            "or npm install --prefix ~/.cache/kizuna/axe axe-core@4"
        )
    version = json.loads((path.parent / "package.json").read_text())["version"]
    return path.read_text(), version


@pytest.fixture
def reader(transactional_db):
    with time_machine.travel(NOW, tick=True):
        town = MunicipalityFactory(
            name="江東区", slug="koto", service_name="こんにちは赤ちゃんメール"
        )
        subscription = SubscriptionFactory(
            subscriber__municipality=town,
            subscriber__email="hana@example.jp",
            subscriber__nickname="はな",
            subscriber__confirmed_at=NOW,
            child__municipality=town,
            child__due_date=datetime.date(2027, 4, 13),
        )
        make_survey(town, opens_on=NOW.date())
        unconfirmed = SubscriptionFactory(
            subscriber__municipality=town,
            subscriber__email="new@example.jp",
            subscriber__confirmed_at=None,
            child__municipality=town,
        )
    return subscription.subscriber, subscription.child, unconfirmed


def _run_axe(page, source: str) -> dict:
    page.evaluate(source)
    return page.evaluate(
        "async (tags) => JSON.parse(JSON.stringify(await axe.run(document, "
        "{runOnly: {type: 'tag', values: tags}, resultTypes: ['violations', 'incomplete']})))",
        accessibility.TAGS,
    )


def test_every_parent_page_has_no_axe_violations_at_jis_x_8341_3_level_aa(
    reader, browser, live_server, tmp_path
):
    source, version = axe_source()
    subscriber, child, unconfirmed = reader
    survey = subscriber.municipality.surveys.get()
    confirm = urlsplit(links.confirm_url(unconfirmed.subscriber, unconfirmed.child)).path
    visits = [
        ("登録ページ", "/m/koto/", None),
        ("登録ページ（入力エラーの表示）", "/m/koto/", "submit"),
        ("確認メールの送信", "/m/koto/sent/", None),
        ("プライバシーポリシー", "/m/koto/privacy/", None),
        ("変更用リンクの再送", "/m/koto/manage/", None),
        ("登録の確認", confirm, None),
        ("登録内容の変更", f"/manage/{links.manage_token(subscriber)}/", None),
        ("流産・死産などのご連絡", f"/manage/children/{child.pk}/loss/", None),
        ("配信の停止", "/manage/leave/", None),
        ("登録した情報（読みやすい形式）", "/manage/data/readable/", None),
        ("アンケートの回答", f"/survey/{survey_token(subscriber, survey)}/", None),
        ("ワンクリック配信停止", urlsplit(links.unsubscribe_url(subscriber)).path, None),
        ("リンクの問題（期限切れ・壊れたリンク）", "/confirm/broken-token/", None),
        ("ページが見つかりません（404）", "/m/no-such-town/", None),
    ]
    results, pages = {}, []
    with time_machine.travel(NOW, tick=True):
        context = browser.new_context(viewport=PHONE, locale="ja-JP", bypass_csp=True)
        page = context.new_page()
        for name, path, action in visits:
            page.goto(live_server.url + path)
            if action == "submit":
                page.locator("main form button[type=submit]").first.click()
                page.wait_for_load_state()
                assert page.locator(".error-summary").is_visible()
            results[name] = _run_axe(page, source)
            pages.append((name, page.url.removeprefix(live_server.url).split("?")[0]))
        context.close()

    report = accessibility.markdown(
        results, pages=pages, axe_version=version, tested_on=NOW.date().isoformat()
    )
    target = os.environ.get("KIZUNA_A11Y_REPORT")
    path = Path(settings.BASE_DIR, target) if target else tmp_path / "report.md"
    path.write_text(report)
    found = {
        name: [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in r["violations"]]
        for name, r in results.items()
        if r["violations"]
    }
    assert found == {}, found
    rows = {row.number: row.result for row in accessibility.conformance(results)}
    assert rows["1.4.3"] in (accessibility.PASSED, accessibility.REVIEW)
    assert rows["3.1.1"] == accessibility.PASSED  # <html lang="ja"> on every page
    assert "| 4.1.2 | 名前（name）・役割（role）及び値（value） | A |" in report
    assert Subscriber.objects.filter(pk=subscriber.pk, unsubscribed_at__isnull=True).exists()


def test_a_violation_fails_its_criterion_and_is_listed_in_the_report():
    results = {
        "登録ページ": {
            "violations": [
                {"id": "color-contrast", "tags": ["wcag2aa", "wcag143"], "nodes": [{}, {}]}
            ],
            "passes": [{"id": "document-title", "tags": ["wcag2a", "wcag242"], "nodes": []}],
            "incomplete": [],
            "inapplicable": [],
        }
    }
    rows = {row.number: row for row in accessibility.conformance(results)}
    assert rows["1.4.3"].result == accessibility.FAILED
    assert rows["2.4.2"].result == accessibility.PASSED
    assert rows["2.1.2"].result == accessibility.MANUAL
    report = accessibility.markdown(results, pages=[], axe_version="4", tested_on="2026-12-03")
    assert "- 自動試験の違反: 1件" in report
    assert "- 1.4.3 コントラスト（最低限レベル）: 登録ページ: color-contrast（2か所）" in report
