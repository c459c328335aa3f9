"""The parents' first hour (issue 20) in real Chromium at 390 px, with real SMTP mail."""

import datetime

import pytest

from kizuna import clock
from subscribers import links
from subscribers.models import Child, Subscriber
from tests.e2e.conftest import link_in
from tests.factories import MunicipalityFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def municipality(settings, live_server):
    settings.SITE_URL = live_server.url
    municipality = MunicipalityFactory(
        slug="koto",
        name="江東区",
        service_name="こんにちは赤ちゃんメール",
        line_enabled=True,
        line_friend_url="https://lin.ee/koto-kizuna",
    )
    municipality.contacts.create(
        name="江東区 保健相談所", phone="03-0000-1234", hours="平日 9時〜17時"
    )
    return municipality


def _family(municipality, **child):
    return SubscriptionFactory(
        subscriber__municipality=municipality,
        subscriber__nickname="はなちゃん",
        child__municipality=municipality,
        **{f"child__{key}": value for key, value in child.items()},
    )


def _fits_the_phone(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_an_old_docomo_address_typed_with_a_full_width_at_sign_signs_up(
    phone, mailbox, municipality
):
    parent = phone()
    page = parent.page
    parent.open("/m/koto/")
    page.get_by_label("メールアドレス").fill("taro..yamada.＠docomo.ne.jp")
    page.get_by_label("妊娠中です").check()
    page.get_by_label("出産予定日").fill((clock.today() + datetime.timedelta(days=60)).isoformat())
    page.get_by_label("ニックネーム（任意）").fill("はなちゃん")
    page.get_by_label("プライバシーポリシーに同意します").check()
    parent.shot("first-hour-signup-carrier-address")
    page.get_by_role("button", name="確認メールを受け取る").click()
    page.get_by_role("heading", name="メールを確認してください").wait_for()
    assert page.get_by_text("登録を完了するリンクの有効期限は3日間です。").is_visible()
    parent.shot("first-hour-sent")
    confirmation = mailbox.wait_for("taro..yamada.@docomo.ne.jp")
    assert "有効期限は3日間" in confirmation.get_body(preferencelist=("plain",)).get_content()
    parent.open(link_in(confirmation, "/confirm/"))
    page.get_by_role("button", name="登録を完了する").click()
    page.get_by_role("heading", name="はなちゃんの登録内容").wait_for()
    assert Subscriber.objects.get().email == "taro..yamada.@docomo.ne.jp"


def test_where_the_mail_service_refuses_old_addresses_the_field_says_so_and_points_to_line(
    phone, municipality, settings
):
    settings.EMAIL_BACKEND = "anymail.backends.amazon_ses.EmailBackend"
    parent = phone()
    page = parent.page
    parent.open("/m/koto/")
    page.get_by_label("メールアドレス").fill("hanako.@ezweb.ne.jp")
    page.get_by_label("妊娠中です").check()
    page.get_by_label("出産予定日").fill((clock.today() + datetime.timedelta(days=60)).isoformat())
    page.get_by_label("プライバシーポリシーに同意します").check()
    page.get_by_role("button", name="確認メールを受け取る").click()
    error = page.get_by_text("いまの配信システムからはお送りできません")
    error.wait_for()
    page.get_by_label("メールアドレス").scroll_into_view_if_needed()
    parent.shot("first-hour-signup-carrier-refused")
    page.get_by_role("link", name="LINEでの受け取りをご利用ください。").click()
    assert page.evaluate("location.hash") == "#line"
    assert page.get_by_role("link", name="LINEで友だち追加する").is_visible()
    _fits_the_phone(page)
    assert Subscriber.objects.count() == 0


def test_the_manage_page_reads_naturally_and_shares_the_invitation(phone, municipality):
    expecting = _family(municipality, due_date=clock.today() + datetime.timedelta(days=90))
    parent = phone(permissions=["clipboard-read", "clipboard-write"])
    page = parent.page
    parent.open(f"/manage/{links.manage_token(expecting.subscriber)}/")
    assert page.title() == "登録内容 — こんにちは赤ちゃんメール"
    page.get_by_role("heading", name="はなちゃんの登録内容").wait_for()
    page.get_by_role("heading", name="おなかの赤ちゃん（妊娠27週1日）").wait_for()
    page.get_by_role("button", name="招待リンクを作る").click()
    invite_url = page.get_by_role("textbox", name="招待リンク").input_value()
    page.get_by_role("button", name="リンクをコピーする").click()
    page.get_by_text("リンクをコピーしました。").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == invite_url
    share = page.get_by_role("link", name="LINEで送る")
    assert share.get_attribute("href").startswith("https://line.me/R/share?text=")
    assert page.get_by_text("（14日間有効）").is_visible()
    _fits_the_phone(page)
    parent.shot("first-hour-manage-invitation")


def test_add_child_errors_appear_at_the_field_with_the_section_open(phone, municipality):
    family = _family(municipality, due_date=clock.today() + datetime.timedelta(days=90))
    parent = phone()
    page = parent.page
    parent.open(f"/manage/{links.manage_token(family.subscriber)}/")
    page.get_by_text("別のお子さま（次の妊娠など）を追加する").click()
    section = page.locator("#add-child")
    section.get_by_label("妊娠中です").check()
    section.get_by_label("出産予定日").fill("2030-01-01")
    section.get_by_role("button", name="追加する").click()
    error = section.get_by_text("出産予定日は今日から300日以内の日付を入力してください。")
    error.wait_for()
    assert page.locator("#add-child[open]").count() == 1
    assert error.is_visible()
    # The message sits under the add-child due date, not at the top beside the birth report.
    field_box = section.get_by_label("出産予定日").bounding_box()
    error_box = error.bounding_box()
    assert 0 < field_box["y"] - error_box["y"] < 120
    assert page.locator(".notices").count() == 0
    assert Child.objects.count() == 1
    section.scroll_into_view_if_needed()
    parent.shot("first-hour-add-child-error")


def test_after_a_loss_the_form_fits_and_the_card_keeps_only_a_quiet_line(phone, municipality):
    family = _family(municipality, due_date=clock.today() + datetime.timedelta(days=90))
    parent = phone()
    page = parent.page
    parent.open(f"/manage/{links.manage_token(family.subscriber)}/")
    page.get_by_role("link", name="流産・死産など、悲しいお知らせがあるとき").click()
    assert page.title() == "メッセージを止める — こんにちは赤ちゃんメール"
    radios = page.locator("input[name=loss]")
    assert [radios.nth(i).get_attribute("value") for i in range(radios.count())] == [
        "miscarriage",
        "stillbirth",
    ]
    parent.shot("first-hour-loss-form")
    page.get_by_label("流産").check()
    page.get_by_label("このお子さまについてのメッセージをすべて止めます").check()
    page.get_by_role("button", name="メッセージを止める").click()
    page.get_by_role("link", name="登録内容に戻る").click()
    page.get_by_text("このお子さまへのお便りは、お届けを終えました。").wait_for()
    card = page.locator(".card.ended")
    for word in ("妊娠", "週", "流産", "死産", "出産予定日"):
        assert word not in card.inner_text()
    _fits_the_phone(page)
    parent.shot("first-hour-manage-after-loss")


def test_a_born_childs_loss_form_offers_only_the_childs_death(phone, municipality):
    family = _family(
        municipality, birth_date=clock.today() - datetime.timedelta(days=40), status="born"
    )
    parent = phone()
    parent.open(f"/manage/{links.manage_token(family.subscriber)}/children/{family.child_id}/loss/")
    labels = parent.page.locator("input[name=loss]").evaluate_all(
        "els => els.map(e => e.labels[0].innerText.trim())"
    )
    assert labels == ["お子さまの死亡"]


@pytest.mark.parametrize("debug", [False, True])
def test_error_pages_are_japanese_and_fit_the_phone(phone, settings, live_server, debug):
    settings.DEBUG = debug
    settings.ROOT_URLCONF = "tests.kizuna.error_urls"
    visitor = phone()
    page = visitor.page
    for path, status, heading in (
        ("/no-such-page/", 404, "ページが見つかりませんでした"),
        ("/test-errors/500/", 500, "ただいま表示できません"),
        ("/test-errors/403/", 403, "このページは表示できません"),
    ):
        response = visitor.open(path)
        assert response.status == status
        page.get_by_role("heading", name=heading).wait_for()
        assert page.title() == f"{heading} — Kizuna"
        assert page.get_by_role("link", name="トップページへ").is_visible()
        _fits_the_phone(page)
        if not debug:
            visitor.shot(f"first-hour-error-{status}")
    visitor.problems.clear()  # the three answers above are the statuses under test
