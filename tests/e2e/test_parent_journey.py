"""A family's whole journey in real Chromium on a phone-sized screen, with real SMTP mail."""

import datetime
import urllib.parse
import urllib.request

import pytest
from django.core.management import call_command

from delivery.models import Delivery
from kizuna import clock
from subscribers import links
from subscribers.models import Child, Subscriber
from tests.e2e.conftest import link_in
from tests.factories import MunicipalityFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def municipality(settings, live_server):
    settings.SITE_URL = live_server.url
    call_command("load_content", pack="ja", verbosity=0)
    municipality = MunicipalityFactory(
        slug="koto", name="江東区", service_name="こんにちは赤ちゃんメール"
    )
    municipality.contacts.create(
        name="江東区 保健相談所", phone="03-0000-1234", hours="平日 9時〜17時"
    )
    return municipality


def _sign_up(phone_page, email: str, due_date: datetime.date) -> None:
    page = phone_page.page
    phone_page.open("/m/koto/")
    page.get_by_label("メールアドレス").fill(email)
    page.get_by_label("妊娠中です").check()
    page.get_by_label("出産予定日").fill(due_date.isoformat())
    page.get_by_label("ニックネーム（任意）").fill("はな")
    page.get_by_label("プライバシーポリシーに同意します").check()
    phone_page.shot("signup")
    page.get_by_role("button", name="確認メールを受け取る").click()
    page.get_by_role("heading", name="メールを確認してください").wait_for()


def _confirm(phone_page, message) -> None:
    phone_page.open(link_in(message, "/confirm/"))
    phone_page.shot("confirm")
    phone_page.page.get_by_role("button", name="登録を完了する").click()
    phone_page.page.get_by_text("登録が完了しました").wait_for()


def test_a_family_signs_up_reports_a_birth_invites_a_partner_reports_a_loss_and_leaves(
    phone, mailbox, municipality
):
    today = clock.today()
    mother = phone()
    _sign_up(mother, "hana@example.jp", today + datetime.timedelta(days=20))
    mother.shot("sent")
    assert Delivery.objects.count() == 0  # nothing before the confirmation click

    confirmation = mailbox.wait_for("hana@example.jp")
    assert "ご登録の確認" in confirmation["Subject"]
    _confirm(mother, confirmation)
    page = mother.page
    assert page.get_by_text("妊娠37週").first.is_visible()
    mother.shot("manage")

    # The baby arrives early: the report moves the family to child messages.
    page.get_by_label("生年月日").first.fill(today.isoformat())
    page.get_by_role("button", name="出産を報告する").click()
    page.get_by_text("ご出産おめでとうございます").wait_for()
    child = Child.objects.get()
    assert (child.status, child.birth_date) == ("born", today)

    # Invite the partner, who signs up with their own address.
    page.get_by_role("button", name="招待リンクを作る").click()
    invite_url = page.get_by_role("textbox", name="招待リンク").input_value()
    partner = phone()
    partner.open(invite_url)
    partner.page.get_by_label("メールアドレス").fill("yuto@example.jp")
    partner.page.get_by_label("パートナー").check()
    partner.page.get_by_label("プライバシーポリシーに同意します").check()
    partner.page.get_by_role("button", name="確認メールを受け取る").click()
    partner.page.get_by_role("heading", name="メールを確認してください").wait_for()
    _confirm(partner, mailbox.wait_for("yuto@example.jp"))
    yuto = Subscriber.objects.get(email="yuto@example.jp")
    assert list(yuto.children.all()) == [child]
    assert yuto.audience == "partner"

    # A loss reported by the mother stops the messages for both of them.
    Delivery.objects.create(
        municipality=municipality,
        subscriber=yuto,
        child=child,
        channel="email",
        message_key=f"c{child.pk}:stage:child:day:3",
        due_on=today + datetime.timedelta(days=3),
    )
    page.get_by_role("link", name="流産・死産など、悲しいお知らせがあるとき").click()
    page.get_by_label("お子さまの死亡").check()
    page.get_by_label("このお子さまについてのメッセージをすべて止めます").check()
    page.get_by_role("button", name="メッセージを止める").click()
    page.get_by_text("03-0000-1234").wait_for()
    assert Child.objects.get().status == "lost"
    assert not Delivery.objects.filter(status="planned", message_key__contains=":stage:").exists()
    loss_messages = Delivery.objects.filter(message_key=f"c{child.pk}:special:loss")
    assert set(loss_messages.values_list("subscriber__email", flat=True)) == {
        "hana@example.jp",
        "yuto@example.jp",
    }
    partner.open(f"/manage/{links.manage_token(yuto)}/")
    partner.page.get_by_text("このお子さまへのお便りは、お届けを終えました。").wait_for()

    # One-click unsubscribe, as a mail client does it (RFC 8058): a bare POST, no cookies.
    unsubscribe = links.unsubscribe_url(Subscriber.objects.get(email="hana@example.jp"))
    request = urllib.request.Request(  # noqa: S310 (loopback live server)
        unsubscribe,
        data=urllib.parse.urlencode({"List-Unsubscribe": "One-Click"}).encode(),
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        assert response.status == 200
    assert Subscriber.objects.get(email="hana@example.jp").unsubscribed_at is not None

    # The partner unsubscribes with one click in the browser.
    partner.open(links.unsubscribe_url(yuto))
    partner.page.get_by_role("button", name="配信を停止する").click()
    partner.page.get_by_role("heading", name="配信を停止しました").wait_for()
    assert Subscriber.objects.get(email="yuto@example.jp").unsubscribed_at is not None


def test_signup_works_without_javascript_and_every_field_has_a_label(phone, mailbox, municipality):
    visitor = phone(java_script_enabled=False)
    visitor.open("/m/koto/")
    unlabeled = visitor.page.locator(
        "input:not([type=hidden]):not([type=submit]), select, textarea"
    ).evaluate_all("els => els.filter(e => e.labels.length === 0).map(e => e.name)")
    assert unlabeled == []
    visitor.page.get_by_label("メールアドレス").fill("no-js@example.jp")
    visitor.page.get_by_label("出産予定日").fill(
        (clock.today() + datetime.timedelta(days=100)).isoformat()
    )
    visitor.page.get_by_label("プライバシーポリシーに同意します").check()
    visitor.page.get_by_role("button", name="確認メールを受け取る").click()
    visitor.page.get_by_role("heading", name="メールを確認してください").wait_for()
    assert mailbox.wait_for("no-js@example.jp")


def test_the_form_is_usable_from_the_keyboard(phone, municipality):
    visitor = phone()
    visitor.open("/m/koto/")
    visitor.page.keyboard.press("Tab")
    focused = []
    for _ in range(25):
        focused.append(
            visitor.page.evaluate(
                "document.activeElement.name || document.activeElement.textContent.trim()"
            )
        )
        visitor.page.keyboard.press("Tab")
    assert "email" in focused
    assert "consent" in focused
    assert "確認メールを受け取る" in focused


def test_bad_input_shows_clear_messages_on_the_phone(phone, municipality):
    visitor = phone()
    visitor.open("/m/koto/")
    visitor.page.get_by_label("メールアドレス").fill("hana@")
    visitor.page.get_by_role("button", name="確認メールを受け取る").click()
    visitor.page.get_by_text("入力内容を確認してください").wait_for()
    text = visitor.page.inner_text("main")
    assert "メールアドレスの形式が正しくありません" in text
    assert "出産予定日を入力してください" in text
    assert "同意が必要です" in text
    visitor.shot("signup-errors")


def test_text_and_buttons_have_sufficient_contrast(phone, municipality):
    visitor = phone()
    visitor.open("/m/koto/")
    ratios = visitor.page.evaluate(
        """() => {
        const lum = (rgb) => {
          const [r, g, b] = rgb.match(/\\d+/g).slice(0, 3).map(Number).map(v => {
            v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
          return 0.2126 * r + 0.7152 * g + 0.0722 * b;
        };
        const bg = (el) => { while (el) { const c = getComputedStyle(el).backgroundColor;
          if (c !== 'rgba(0, 0, 0, 0)') return c; el = el.parentElement; } return 'rgb(255,255,255)'; };
        const ratio = (el) => { const a = lum(getComputedStyle(el).color), b = lum(bg(el));
          return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05); };
        return [...document.querySelectorAll('p, label, button, a, li, h1, h2, .helptext')]
          .filter(el => el.textContent.trim()).map(el => [el.tagName + ' ' + el.textContent.trim().slice(0, 20), ratio(el)]);
      }"""
    )
    low = [(name, round(ratio, 2)) for name, ratio in ratios if ratio < 4.5]
    assert low == []
