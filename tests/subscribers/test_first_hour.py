"""What a parent meets in the first hour (issue 20): old carrier addresses, typed Japanese dates,
the card after a loss, honorifics, link lifetimes, and errors shown where they belong."""

import datetime
import re
from urllib.parse import unquote

import pytest
import time_machine
from django.core import mail

from adoption.readers_file import Rules, parse_row
from content.models import Audience
from content.rendering import placeholder_values, render_message
from subscribers import links, services
from subscribers.models import Child, Subscriber
from subscribers.tokens import MAX_AGE, Purpose
from tests.factories import MunicipalityFactory, SubscriptionFactory
from tests.fakes import SmtpMailbox

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 24, 10, 0, tzinfo=datetime.UTC)
TODAY = datetime.date(2026, 11, 24)


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = "http://testserver"


@pytest.fixture
def municipality():
    return MunicipalityFactory(slug="koto", name="江東区", service_name="こんにちは赤ちゃんメール")


@pytest.fixture
def smtp(settings):
    with SmtpMailbox() as mailbox:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = mailbox.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        yield mailbox


def _signup(client, municipality, **overrides):
    data = {
        "email": "hana@example.jp",
        "situation": "expecting",
        "due_date": "2027-04-01",
        "birth_date": "",
        "relationship": "self",
        "nickname": "はな",
        "language": "ja",
        "consent": "on",
    }
    data.update(overrides)
    return client.post(f"/m/{municipality.slug}/", data)


def _title(page: str) -> str:
    return re.search(r"<title>(.*?)</title>", page, re.S).group(1).strip()


# --- 1. Old carrier addresses and full-width input --------------------------------------------


@pytest.mark.django_db(transaction=True)  # the confirmation goes out on commit
@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("taro..yamada.@docomo.ne.jp", "taro..yamada.@docomo.ne.jp"),
        ("hanako.@ezweb.ne.jp", "hanako.@ezweb.ne.jp"),
        ("ｈａｎａｋｏ０１＠ｅｚｗｅｂ．ｎｅ．ｊｐ", "hanako01@ezweb.ne.jp"),
    ],
)
def test_old_carrier_and_full_width_addresses_sign_up_and_get_the_mail_over_smtp(
    client, municipality, smtp, typed, stored
):
    response = _signup(client, municipality, email=typed)
    assert response.status_code == 302, response.content.decode()
    assert Subscriber.objects.get().email == stored
    [message] = smtp.messages
    assert message["To"] == stored
    assert "/confirm/" in message.get_body(preferencelist=("plain",)).get_content()


@pytest.mark.django_db(transaction=True)
def test_an_invited_partner_with_an_old_docomo_address_gets_the_confirmation(
    client, municipality, smtp
):
    subscription = SubscriptionFactory(
        subscriber__municipality=municipality, child__municipality=municipality
    )
    token = links.manage_token(subscription.subscriber)
    page = client.post(
        f"/manage/{token}/children/{subscription.child_id}/invite/", follow=True
    ).content.decode()
    invite_path = re.search(r'value="http://testserver(/invite/[^"]+)"', page).group(1)
    response = client.post(
        invite_path,
        {
            "email": "taro..yamada.@docomo.ne.jp",
            "relationship": "partner",
            "nickname": "",
            "language": "ja",
            "consent": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()
    assert [m["To"] for m in smtp.messages] == ["taro..yamada.@docomo.ne.jp"]


def test_an_imported_row_with_an_old_carrier_address_is_accepted():
    rules = Rules(today=TODAY, programme_months=36, email_enabled=True, line_enabled=False)
    row = parse_row(
        2,
        {
            "email": "Taro..Yamada.＠docomo.ne.jp",
            "due_date": "令和9年3月1日",
            "consent_date": "R8.4.1",
        },
        rules,
    )
    assert row.problems == []
    assert row.data["email"] == "taro..yamada.@docomo.ne.jp"
    assert row.data["due_date"] == "2027-03-01"


def test_where_the_mail_service_refuses_old_addresses_the_page_says_so_and_offers_line(
    client, municipality, settings
):
    settings.EMAIL_BACKEND = "anymail.backends.amazon_ses.EmailBackend"
    municipality.line_enabled = True
    municipality.line_friend_url = "https://lin.ee/koto-kizuna"
    municipality.save()
    response = _signup(client, municipality, email="taro..yamada.@docomo.ne.jp")
    page = response.content.decode()
    assert response.status_code == 200
    assert "いまの配信システムからはお送りできません" in page
    assert '<a href="#line">LINEでの受け取りをご利用ください。</a>' in page
    assert 'id="line"' in page and "https://lin.ee/koto-kizuna" in page
    assert Subscriber.objects.count() == 0 and mail.outbox == []
    # An ordinary address still signs up through the same service.
    assert _signup(client, municipality).status_code == 302


def test_without_line_the_refusal_asks_for_another_address(client, municipality, settings):
    settings.EMAIL_BACKEND = "anymail.backends.amazon_ses.EmailBackend"
    page = _signup(client, municipality, email="hanako.@ezweb.ne.jp").content.decode()
    assert "ほかのメールアドレスをご利用ください" in page
    assert Subscriber.objects.count() == 0


def test_an_imported_old_address_the_mail_service_refuses_is_reported_on_its_row(settings):
    settings.EMAIL_BACKEND = "anymail.backends.amazon_ses.EmailBackend"
    rules = Rules(today=TODAY, programme_months=36, email_enabled=True, line_enabled=True)
    row = parse_row(
        2,
        {"email": "hanako.@ezweb.ne.jp", "due_date": "2027-03-01", "consent_date": "2026-04-01"},
        rules,
    )
    assert any("いまのメール配信サービスでは送れません" in p for p in row.problems)


# --- Typed Japanese dates on the parents' forms -----------------------------------------------


@pytest.mark.parametrize("typed", ["令和9年3月1日", "２０２７年３月１日", "R9.3.1", "2027/3/1"])
def test_a_due_date_typed_in_japanese_is_understood(client, municipality, typed):
    assert _signup(client, municipality, due_date=typed).status_code == 302
    assert Child.objects.get().due_date == datetime.date(2027, 3, 1)


def test_a_birth_reported_in_wareki_is_understood(client, municipality):
    subscription = SubscriptionFactory(
        subscriber__municipality=municipality,
        child__municipality=municipality,
        child__due_date=datetime.date(2026, 11, 30),
    )
    token = links.manage_token(subscription.subscriber)
    client.post(
        f"/manage/{token}/children/{subscription.child_id}/birth/",
        {"birth_date": "令和8年11月20日"},
    )
    assert Child.objects.get().birth_date == datetime.date(2026, 11, 20)


def test_an_impossible_wareki_date_gets_a_japanese_reason_at_the_field(client, municipality):
    response = _signup(client, municipality, due_date="令和9年2月29日")
    page = response.content.decode()
    assert "令和9年2月29日という日付はありません。" in page
    assert page.index("令和9年2月29日という日付はありません") > page.index('for="id_due_date"')
    assert Subscriber.objects.count() == 0


# --- 2. After a loss ---------------------------------------------------------------------------


def test_after_a_loss_the_card_shows_no_age_and_no_clinical_label(client, municipality):
    subscription = SubscriptionFactory(
        subscriber__municipality=municipality,
        child__municipality=municipality,
        child__birth_date=datetime.date(2026, 11, 22),
        child__status="born",
    )
    services.report_loss(subscription.child_id, "infant_death")
    page = client.get(
        f"/manage/{links.manage_token(subscription.subscriber)}/", follow=True
    ).content.decode()
    card = page[page.index('<section class="card ended"') :]
    card = card[: card.index("</section>")]
    assert "このお子さまへのお便りは、お届けを終えました。" in card
    for clinical in ("生後", "死産", "流産", "死亡", "終了", "か月", "生年月日", "2026"):
        assert clinical not in card, clinical
    assert "招待リンクを作る" not in page and "悲しいお知らせ" not in page


@pytest.mark.parametrize(
    ("status", "offered", "not_offered"),
    [
        ("expecting", ["流産", "死産"], ["お子さまの死亡"]),
        ("born", ["お子さまの死亡"], ["流産", "死産"]),
    ],
)
def test_the_loss_form_offers_only_the_choices_that_fit(
    client, municipality, status, offered, not_offered
):
    subscription = SubscriptionFactory(
        subscriber__municipality=municipality,
        child__municipality=municipality,
        child__due_date=datetime.date(2027, 3, 1) if status == "expecting" else None,
        child__birth_date=datetime.date(2026, 10, 1) if status == "born" else None,
        child__status=status,
    )
    url = f"/manage/{links.manage_token(subscription.subscriber)}/children/{subscription.child_id}/loss/"
    page = client.get(url, follow=True).content.decode()
    labels = re.findall(
        r'<input type="radio" name="loss" value="\w+"[^>]*>\s*([^<]+)</label>', page
    )
    assert [label.strip() for label in labels] == offered
    for label in not_offered:
        assert f"> {label}</label>" not in page
    wrong = "infant_death" if status == "expecting" else "miscarriage"
    response = client.post(url, {"loss": wrong, "confirm": "on"})
    assert "あてはまるものを選んでください" in response.content.decode()
    assert Child.objects.get().status == status


# --- 4. Honorifics, lifetimes, headings, errors at the field, sharing, titles -----------------


def test_a_nickname_with_an_honorific_gets_no_second_one_on_pages_mail_and_line(
    client, municipality
):
    subscription = SubscriptionFactory(
        subscriber__municipality=municipality,
        subscriber__nickname="はなちゃん",
        child__municipality=municipality,
    )
    page = client.get(
        f"/manage/{links.manage_token(subscription.subscriber)}/", follow=True
    ).content.decode()
    assert "はなちゃんの登録内容" in page and "はなちゃんさん" not in page

    class Text:
        subject = "{{ nickname }}さんへ：妊娠20週"
        body = "{{ nickname }}さん、今週は…。{{ nickname }}様にお知らせです。"
        language = "ja"
        kind = "stage"
        audience = Audience.EVERYONE

    for nickname, called in (
        ("はなちゃん", "はなちゃん"),
        ("たろうくん", "たろうくん"),
        ("はな", "はなさん"),
    ):
        rendered = render_message(
            Text,
            municipality=municipality,
            placeholders=placeholder_values(municipality=municipality, nickname=nickname),
            manage_url="https://example.jp/m",
            unsubscribe_url="https://example.jp/u",
        )
        for form in (rendered.subject, rendered.html, rendered.text, rendered.line_text):
            assert called in form
            assert re.search(f"{nickname}(さん|様)(さん|様)", form) is None
            assert f"{nickname}ちゃんさん" not in form and "ちゃんさん" not in form
            assert "くんさん" not in form and "ちゃん様" not in form
        assert rendered.text.startswith(f"{called}、こんにちは。")


@pytest.mark.django_db(transaction=True)
def test_the_check_your_mail_page_names_the_same_lifetime_as_the_mail(client, municipality, smtp):
    _signup(client, municipality)
    confirmation = smtp.messages[-1].get_body(preferencelist=("plain",)).get_content()
    mailed = re.search(r"有効期限は(\d+)日間", confirmation).group(1)
    page = client.get("/m/koto/sent/").content.decode()
    assert f"登録を完了するリンクの有効期限は{mailed}日間です" in page
    assert mailed == str(MAX_AGE[Purpose.CONFIRM].days)
    # Asking for a manage link: the page names that link's lifetime, as its mail does.
    subscriber = Subscriber.objects.get()
    subscriber.confirmed_at = NOW
    subscriber.save()
    response = client.post("/m/koto/manage/", {"email": "hana@example.jp"})
    manage_mail = smtp.messages[-1].get_body(preferencelist=("plain",)).get_content()
    mailed = re.search(r"有効期限は(\d+)日間", manage_mail).group(1)
    page = client.get(response["Location"]).content.decode()
    assert f"登録内容の確認・変更のリンクの有効期限は{mailed}日間です" in page
    assert "3日間" not in page


@pytest.mark.parametrize(
    ("due", "birth", "heading"),
    [
        (datetime.date(2027, 2, 20), None, "おなかの赤ちゃん（妊娠27週3日）"),
        (None, datetime.date(2025, 6, 10), "1歳5か月のお子さま"),
        (None, datetime.date(2026, 9, 10), "生後2か月の赤ちゃん（生後75日）"),
        (None, datetime.date(2026, 11, 22), "生後2日の赤ちゃん"),
    ],
)
def test_card_headings_read_naturally(client, municipality, due, birth, heading):
    subscription = SubscriptionFactory(
        subscriber__municipality=municipality,
        child__municipality=municipality,
        child__due_date=due,
        child__birth_date=birth,
        child__status="born" if birth else "expecting",
    )
    page = client.get(
        f"/manage/{links.manage_token(subscription.subscriber)}/", follow=True
    ).content.decode()
    assert f">{heading}</h2>" in page
    assert "出生：" not in page and "妊娠中：" not in page


def test_add_child_errors_show_at_the_field_with_the_section_open(client, municipality):
    subscription = SubscriptionFactory(
        subscriber__municipality=municipality, child__municipality=municipality
    )
    token = links.manage_token(subscription.subscriber)
    response = client.post(
        f"/manage/{token}/children/", {"new-situation": "expecting", "new-due_date": "2030-01-01"}
    )
    page = response.content.decode()
    assert response.status_code == 200  # the page again, as the signup form answers
    details = page[page.index('<details class="card" id="add-child"') :]
    details = details[: details.index("</details>")]
    assert details.startswith('<details class="card" id="add-child" open>')
    field = details[details.index('for="id_new-due_date"') :]
    assert "出産予定日は今日から300日以内" in field[: field.index('<div class="field')]
    # Not at the top of the page, beside the birth report.
    assert "300日以内" not in page[: page.index('id="add-child"')]
    assert Child.objects.count() == 1


def test_the_invitation_link_can_be_copied_and_sent_with_line(client, municipality):
    subscription = SubscriptionFactory(
        subscriber__municipality=municipality, child__municipality=municipality
    )
    token = links.manage_token(subscription.subscriber)
    page = client.post(
        f"/manage/{token}/children/{subscription.child_id}/invite/", follow=True
    ).content.decode()
    invite = re.search(r'value="(http://testserver/invite/[^"]+)"', page).group(1)
    assert 'data-copy="invite-url"' in page and "kizuna/copy.js" in page
    share = re.search(r'href="(https://line\.me/R/share\?text=[^"]+)"', page).group(1)
    assert invite in unquote(share) and "こんにちは赤ちゃんメール" in unquote(share)
    assert f"（{MAX_AGE[Purpose.INVITE].days}日間有効）" in page


def test_every_parent_page_title_says_which_page_it_is(client, municipality):
    subscription = SubscriptionFactory(
        subscriber__municipality=municipality, child__municipality=municipality
    )
    token = links.manage_token(subscription.subscriber)
    child = subscription.child_id
    pages = [
        "/m/koto/",
        "/m/koto/sent/",
        "/m/koto/privacy/",
        "/m/koto/manage/",
        f"/manage/{token}/",
        f"/manage/{token}/leave/",
        f"/manage/{token}/children/{child}/loss/",
        f"/confirm/{links.confirm_url(subscription.subscriber, subscription.child).rsplit('/confirm/', 1)[1]}",
        links.invite_url(subscription.subscriber, subscription.child).removeprefix(
            "http://testserver"
        ),
        links.unsubscribe_url(subscription.subscriber).removeprefix("http://testserver"),
    ]
    titles = [_title(client.get(path, follow=True).content.decode()) for path in pages]
    for path, title in zip(pages, titles, strict=True):
        page_name, _, service = title.partition(" — ")
        assert service == "こんにちは赤ちゃんメール" and page_name, (path, title)
    assert len(set(titles)) == len(titles) - 1  # the leave and one-click pages share 配信の停止
