"""Staff pages: the timeline preview, the coverage report and a municipality's overview."""

import re
from datetime import date, datetime

import pytest
import time_machine
from django.test import Client

from content.services import load_pack
from kizuna.clock import TOKYO
from municipalities.models import Municipality
from subscribers.family_overview import families_by_stage, latest_birth_date_aged, signups_per_month
from subscribers.models import Child, Subscriber
from tests.content.factories import LocalNoticeFactory
from tests.factories import (
    WEEKLY_THEN_MONTHLY,
    ChildFactory,
    MunicipalityFactory,
    SubscriberFactory,
)

TODAY = date(2026, 11, 2)
PAGES = ["/staff/", "/staff/preview/", "/staff/coverage/"]


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(datetime(2026, 11, 2, 9, 0, tzinfo=TOKYO), tick=False):
        yield


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def overview_url(municipality) -> str:
    return f"/staff/municipalities/{municipality.pk}/"


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_the_admin_login(client):
    for url in [*PAGES, "/staff/municipalities/1/"]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_staff_without_a_role_are_refused(world):
    client = client_for(world.users["norole"])
    for url in [*PAGES, overview_url(world.own)]:
        assert client.get(url).status_code == 403


def test_staff_pages_open_for_every_role(world):
    for role in ("superuser", "content_editor", "editor", "viewer", "operator"):
        client = client_for(world.users[role])
        for url in PAGES:
            page = client.get(url)
            assert page.status_code == 200, (role, url)
            # No inline scripts and nothing from elsewhere: only the admin's own static files.
            html = page.content.decode()
            assert not re.search(r"<script(?![^>]*\bsrc=)", html), (role, url)
            assert not re.search(r'<(script|link)[^>]+(src|href)="https?://', html), (role, url)


def test_the_overview_is_for_the_municipalitys_own_staff(world):
    editor = client_for(world.users["editor"])
    assert editor.get(overview_url(world.own)).status_code == 200
    assert editor.get(overview_url(world.other)).status_code == 404
    assert client_for(world.users["viewer"]).get(overview_url(world.own)).status_code == 200
    assert client_for(world.users["content_editor"]).get(overview_url(world.own)).status_code == 404
    assert client_for(world.users["operator"]).get(overview_url(world.other)).status_code == 200


def test_the_overview_shows_counts_and_charts_never_addresses(world):
    page = client_for(world.users["editor"]).get(overview_url(world.own)).content.decode()
    assert "hana@example.jp" not in page and "midori@example.jp" not in page
    assert "2027-05-01" not in page  # the child's due date
    assert "時期ごとの家族の数" in page and "月ごとの登録数" in page
    assert page.count("<svg") >= 2
    assert "2026年11月" in page


def test_the_staff_index_lists_only_the_users_municipalities(world):
    page = client_for(world.users["editor"]).get("/staff/").content.decode()
    assert "あおば市" in page and "みどり町" not in page
    page = client_for(world.users["content_editor"]).get("/staff/").content.decode()
    assert "担当している自治体はありません" in page


@pytest.mark.django_db
def test_families_by_stage_counts_each_period_and_age_band():
    municipality = MunicipalityFactory()
    for due in (date(2027, 5, 20), date(2027, 3, 1), date(2027, 1, 20), date(2026, 10, 10)):
        ChildFactory(municipality=municipality, due_date=due)
    for born in (
        date(2026, 10, 1),
        date(2026, 8, 2),
        date(2026, 8, 3),
        date(2025, 11, 2),
        date(2023, 1, 1),
    ):
        ChildFactory(
            municipality=municipality, due_date=None, birth_date=born, status=Child.Status.BORN
        )
    ChildFactory(municipality=municipality, status=Child.Status.LOST, loss="miscarriage")
    ChildFactory(due_date=date(2027, 3, 1))  # another municipality
    pregnancy, child = families_by_stage(municipality, on=TODAY)
    assert [bar.count for bar in pregnancy] == [1, 1, 1, 1]  # 初期 中期 後期 42週以降
    # 生後1か月, 3か月 (Aug 2), 2か月 (Aug 3), 1歳 (Nov 2 last year), 3歳以上
    assert [bar.count for bar in child] == [2, 1, 0, 1, 0, 1]


def test_birth_date_thresholds_follow_the_month_end_rule():
    assert latest_birth_date_aged(1, date(2026, 2, 28)) == date(2026, 1, 31)
    assert latest_birth_date_aged(1, date(2026, 3, 30)) == date(2026, 2, 28)
    assert latest_birth_date_aged(12, date(2026, 11, 2)) == date(2025, 11, 2)


@pytest.mark.django_db
def test_signups_per_month_cover_the_last_twelve_months():
    municipality = MunicipalityFactory()
    with time_machine.travel(datetime(2026, 9, 30, 23, 30, tzinfo=TOKYO)):
        SubscriberFactory(municipality=municipality)
    with time_machine.travel(datetime(2026, 10, 1, 0, 30, tzinfo=TOKYO)):  # Sep 30 in UTC
        SubscriberFactory.create_batch(2, municipality=municipality)
    SubscriberFactory(municipality=municipality)
    SubscriberFactory()  # another municipality
    bars = signups_per_month(municipality, on=TODAY)
    assert len(bars) == 12
    assert (bars[0].label, bars[-1].label) == ("2025年12月", "2026年11月")
    assert [bar.count for bar in bars[-3:]] == [1, 2, 1]
    assert Subscriber.objects.count() == 5


def test_the_preview_asks_for_a_date_in_japanese(world):
    client = client_for(world.users["editor"])
    page = client.get("/staff/preview/", {"municipality": world.own.pk}).content.decode()
    assert "自治体と、出産予定日または生年月日を選んで" in page
    page = client.get(
        "/staff/preview/", {"municipality": world.own.pk, "due_date": ""}
    ).content.decode()
    assert "出産予定日か生年月日のどちらかを入力してください。" in page
    page = client.get(
        "/staff/preview/", {"municipality": world.own.pk, "due_date": "2207-05-01"}
    ).content.decode()
    assert "10年以上離れた日付です" in page


def test_the_preview_only_offers_the_users_municipalities(world):
    client = client_for(world.users["editor"])
    page = client.get("/staff/preview/", {"municipality": world.other.pk, "due_date": "2027-05-01"})
    assert page.context["timeline"] is None
    assert "正しく選択してください" in page.content.decode()
    national = client_for(world.users["content_editor"])
    page = national.get(
        "/staff/preview/", {"municipality": world.other.pk, "due_date": "2027-05-01"}
    )
    assert page.context["timeline"].municipality == world.other


def test_the_preview_shows_every_message_with_its_notices(world):
    load_pack(language="ja")
    Municipality.objects.filter(pk=world.own.pk).update(**WEEKLY_THEN_MONTHLY)
    notice = world.objects["notice_own"]  # child months 3–4
    client = client_for(world.users["editor"])
    page = client.get(
        "/staff/preview/",
        {
            "municipality": world.own.pk,
            "due_date": "2027-05-01",
            "audience": "everyone",
            "language": "ja",
            "nickname": "<b>はな</b>",
            "notice": notice.pk,
        },
    )
    html = page.content.decode()
    timeline = page.context["timeline"]
    assert len(timeline.entries) == 101  # the weekly steps of 生後28日 … 98日 among them
    assert html.count('class="kz-entry') == 101
    assert "2026年8月22日" in html and "妊娠20週" in html and "卒業" in html
    assert html.count("<details open>") == 4  # the messages carrying the notice
    assert 'id="notice-first"' in html
    assert "あおば市の4か月児健診" in html
    # The nickname is escaped on the page and inside the mail shown in the iframe.
    assert "<b>はな</b>" not in html
    assert "&lt;b&gt;はな&lt;/b&gt;" in html
    assert 'sandbox=""' in html and "srcdoc=" in html


def test_the_notice_admin_page_links_to_the_preview_and_renders_the_notice(world):
    notice = world.objects["notice_own"]
    page = client_for(world.users["editor"]).get(f"/admin/content/localnotice/{notice.pk}/change/")
    html = page.content.decode()
    assert "あおば市からのお知らせ" in html
    assert f"notice={notice.pk}" in html and "birth_date=2026-08-02" in html  # 3 months old today
    assert "・母子健康手帳" in html  # the plain-text / LINE form of the list


def test_coverage_reports_gaps_and_the_users_expiring_notices(world):
    LocalNoticeFactory(
        municipality=world.own, title="あおば市 秋の両親学級", ends_on=date(2026, 11, 20)
    )
    LocalNoticeFactory(
        municipality=world.other, title="みどり町 秋の両親学級", ends_on=date(2026, 11, 20)
    )
    page = client_for(world.users["editor"]).get("/staff/coverage/")
    html = page.content.decode()
    assert "あおば市 秋の両親学級" in html and "みどり町 秋の両親学級" not in html
    assert "2026年11月20日" in html and "あと18日" in html
    assert "妊娠4週" in html  # only week 20 exists in this world
    assert "生後1000日" in html
    assert "/admin/content/stagemessage/add/" not in html  # only content editors add texts
    national = client_for(world.users["content_editor"]).get("/staff/coverage/").content.decode()
    assert "/admin/content/stagemessage/add/?track=pregnancy&amp;unit=week&amp;number=4" in national
    assert "あおば市 秋の両親学級" not in national
