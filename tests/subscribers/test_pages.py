"""Parent pages through Django's test client: bad input, tokens, double submits, no 500s."""

import datetime
import json
import re

import pytest
import time_machine
from django.core import mail
from django.test import Client

from delivery.models import Delivery
from subscribers import links
from subscribers.models import Child, Subscriber
from subscribers.tokens import Purpose, make_token
from tests.factories import MunicipalityFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 24, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def municipality():
    return MunicipalityFactory(slug="koto", name="江東区", service_name="こんにちは赤ちゃんメール")


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


def _link_in(message) -> str:
    return re.search(r"http://testserver(/\S+)", message.body).group(1)


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = "http://testserver"


def test_landing_page_says_what_parents_receive(client, municipality):
    page = client.get("/m/koto/").content.decode()
    assert "こんにちは赤ちゃんメール" in page
    assert "妊娠4週から毎日" in page  # the factory's municipality has the daily programme
    assert "生後100日までは毎日、1歳までは3日ごと" in page
    municipality.cadence_pregnancy = "weekly"
    municipality.cadence_newborn = "weekly"
    municipality.programme_to_first_grade = True
    municipality.save()
    page = client.get("/m/koto/").content.decode()
    assert "妊娠4週から毎週" in page and "最初の1週間は毎日、生後100日までは毎週" in page
    assert "妊娠中から小学1年生の3月まで" in page
    for label in (
        "メールアドレス",
        "出産予定日",
        "生年月日",
        "お子さまとの関係",
        "プライバシーポリシー",
    ):
        assert label in page
    assert client.get("/m/nowhere/").status_code == 404


def test_municipalities_with_line_offer_it_on_the_landing_page(client, municipality):
    assert "LINEで友だち追加する" not in client.get("/m/koto/").content.decode()
    municipality.line_enabled = True
    municipality.line_friend_url = "https://lin.ee/koto-kizuna"
    municipality.save()
    page = client.get("/m/koto/").content.decode()
    assert "LINEで友だち追加する" in page and "https://lin.ee/koto-kizuna" in page


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"email": "hana@"}, "メールアドレスの形式が正しくありません"),
        ({"email": ""}, "メールアドレスを入力してください"),
        ({"due_date": ""}, "出産予定日を入力してください"),
        ({"due_date": "2027-12-31"}, "300日以内"),
        ({"due_date": "2026-10-01"}, "4週間以上前"),
        ({"due_date": "2027-02-30"}, "2027年2月30日という日付はありません"),
        ({"due_date": "あした"}, "日付を読み取れませんでした"),
        ({"situation": "born", "birth_date": ""}, "生年月日を入力してください"),
        ({"situation": "born", "birth_date": "2026-12-01"}, "未来の日付"),
        ({"situation": "born", "birth_date": "2023-11-24"}, "3歳の誕生日までのお子さま"),
        ({"consent": ""}, "同意が必要です"),
        ({"situation": "unknown"}, "選択肢から選んでください"),
    ],
)
def test_bad_input_gets_a_clear_japanese_message_and_changes_nothing(
    client, municipality, overrides, message
):
    response = _signup(client, municipality, **overrides)
    assert response.status_code == 200  # the form again, with the errors
    assert message in response.content.decode()
    assert Subscriber.objects.count() == 0
    assert mail.outbox == []


def test_a_birth_date_signup_starts_on_the_child_track(client, municipality):
    response = _signup(client, municipality, situation="born", birth_date="2026-10-01")
    assert response.status_code == 302
    child = Child.objects.get()
    assert (child.status, child.birth_date, child.due_date) == (
        "born",
        datetime.date(2026, 10, 1),
        None,
    )


@pytest.mark.django_db(transaction=True)  # mail goes out on commit
def test_the_answer_is_the_same_whether_or_not_the_address_is_registered(client, municipality):
    first = _signup(client, municipality)
    confirm_path = _link_in(mail.outbox[0])
    client.post(confirm_path)
    second = _signup(client, municipality, email="HANA@example.jp")
    stranger = _signup(client, municipality, email="someone@example.jp")
    assert first.status_code == second.status_code == stranger.status_code == 302
    assert first["Location"] == second["Location"] == stranger["Location"] == "/m/koto/sent/"
    assert Subscriber.objects.filter(email="hana@example.jp").count() == 1
    assert "登録内容の確認・変更" in mail.outbox[-2].subject


def test_signups_are_rate_limited_per_address(client, municipality):
    for _ in range(3):
        assert _signup(client, municipality).status_code == 302
    response = _signup(client, municipality)
    assert response.status_code == 429
    assert "しばらくしてから" in response.content.decode()


def test_signups_are_rate_limited_per_ip(client, municipality):
    for n in range(20):
        assert _signup(client, municipality, email=f"p{n}@example.jp").status_code == 302
    assert _signup(client, municipality, email="p21@example.jp").status_code == 429


def test_the_signup_limits_are_settings(client, municipality, settings):
    settings.KIZUNA_SIGNUPS_PER_IP_PER_HOUR = 2
    settings.KIZUNA_SIGNUPS_PER_ADDRESS_PER_HOUR = 50
    for n in range(2):
        assert _signup(client, municipality, email=f"p{n}@example.jp").status_code == 302
    assert _signup(client, municipality, email="p3@example.jp").status_code == 429
    assert Subscriber.objects.count() == 2


def test_forms_need_a_csrf_token(municipality):
    client = Client(enforce_csrf_checks=True)
    assert _signup(client, municipality).status_code == 403
    assert Subscriber.objects.count() == 0


@pytest.mark.django_db(transaction=True)  # mail goes out on commit
def test_confirmation_needs_a_click_on_the_page_not_just_opening_the_link(client, municipality):
    _signup(client, municipality)
    confirm_path = _link_in(mail.outbox[0])
    page = client.get(confirm_path)
    assert "登録を完了する" in page.content.decode()
    assert Subscriber.objects.get().confirmed_at is None

    response = client.post(confirm_path, follow=True)
    assert "登録が完了しました" in response.content.decode()
    assert Subscriber.objects.get().confirmed_at is not None
    client.post(confirm_path)  # a double submit
    assert Delivery.objects.filter(message_key="special:welcome").count() == 1


@pytest.mark.parametrize(
    "path",
    [
        "/confirm/{token}x/",
        "/manage/{token}x/",
        "/u/{token}x/",
        "/invite/{token}x/",
        "/manage/%00/",
    ],
)
def test_tampered_links_get_a_clear_page(client, municipality, path):
    subscription = SubscriptionFactory(subscriber__municipality=municipality)
    token = links.manage_token(subscription.subscriber)
    response = client.get(path.format(token=token))
    assert response.status_code in (400, 404)
    if response.status_code == 400:
        assert "リンクを開けませんでした" in response.content.decode()


def test_a_token_for_one_purpose_does_not_open_another(client, municipality):
    subscription = SubscriptionFactory(subscriber__municipality=municipality)
    manage_token = links.manage_token(subscription.subscriber)
    assert client.get(f"/u/{manage_token}/").status_code == 400
    assert client.post(f"/confirm/{manage_token}/").status_code == 400
    assert Subscriber.objects.get().unsubscribed_at is None


def test_expired_links_say_so(client, municipality):
    subscription = SubscriptionFactory(subscriber__municipality=municipality)
    token = make_token(Purpose.CONFIRM, s=subscription.subscriber_id, c=subscription.child_id)
    with time_machine.travel(NOW + datetime.timedelta(days=4), tick=False):
        response = client.get(f"/confirm/{token}/")
    assert response.status_code == 410
    assert "有効期限が切れています" in response.content.decode()


def test_manage_page_shows_the_stage_and_what_comes_next(client, municipality):
    from django.core.management import call_command

    call_command("load_content", pack="ja", verbosity=0)
    subscription = SubscriptionFactory(
        subscriber__municipality=municipality, child__due_date=datetime.date(2027, 4, 13)
    )
    token = links.manage_token(subscription.subscriber)
    page = client.get(f"/manage/{token}/", follow=True).content.decode()
    assert "妊娠20週0日" in page
    assert "次のメッセージ" in page and "妊娠20週1日" in page  # the daily programme
    assert "出産を報告する" in page


def test_birth_report_double_submit_and_bad_dates(client, municipality):
    subscription = SubscriptionFactory(
        subscriber__municipality=municipality, child__due_date=datetime.date(2026, 12, 1)
    )
    token = links.manage_token(subscription.subscriber)
    url = f"/manage/{token}/children/{subscription.child_id}/birth/"
    page = client.post(url, {"birth_date": "2026-12-24"}, follow=True).content.decode()
    assert "未来の日付" in page
    page = client.post(url, {"birth_date": "not a date"}, follow=True).content.decode()
    assert "日付を読み取れませんでした" in page
    assert Child.objects.get().status == "expecting"

    client.post(url, {"birth_date": "2026-11-23"})
    client.post(url, {"birth_date": "2026-11-23"})
    assert Child.objects.get().status == "born"
    assert Delivery.objects.filter(message_key__endswith="special:birth").count() == 1


def test_someone_elses_child_cannot_be_reported(client, municipality):
    mine = SubscriptionFactory(subscriber__municipality=municipality)
    theirs = SubscriptionFactory(subscriber__municipality=municipality)
    token = links.manage_token(mine.subscriber)
    client.post(
        f"/manage/{token}/children/{theirs.child_id}/loss/",
        {"loss": "miscarriage", "confirm": "on"},
    )
    client.post(f"/manage/{token}/children/{theirs.child_id}/birth/", {"birth_date": "2026-11-20"})
    assert Child.objects.get(pk=theirs.child_id).status == "expecting"


def test_loss_report_asks_gently_and_then_stops_everything(client, municipality):
    subscription = SubscriptionFactory(subscriber__municipality=municipality)
    municipality.contacts.create(name="保健センター", phone="03-1234-5678")
    token = links.manage_token(subscription.subscriber)
    url = f"/manage/{token}/children/{subscription.child_id}/loss/"
    assert "つらいときに" in client.get(url, follow=True).content.decode()
    assert (
        "確認のチェックを入れてください"
        in client.post(url, {"loss": "miscarriage"}).content.decode()
    )
    assert Child.objects.get().status == "expecting"
    done = client.post(url, {"loss": "miscarriage", "confirm": "on"}).content.decode()
    assert "03-1234-5678" in done
    assert Child.objects.get().status == "lost"


def test_one_click_unsubscribe_works_without_session_or_csrf(municipality):
    subscription = SubscriptionFactory(subscriber__municipality=municipality)
    url = links.unsubscribe_url(subscription.subscriber).removeprefix("http://testserver")
    client = Client(enforce_csrf_checks=True)
    response = client.post(url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert Subscriber.objects.get().unsubscribed_at is not None
    assert client.post(url, {"List-Unsubscribe": "One-Click"}).status_code == 200


def test_leaving_from_the_manage_page_records_the_reason(client, municipality):
    subscription = SubscriptionFactory(subscriber__municipality=municipality)
    token = links.manage_token(subscription.subscriber)
    client.post(f"/manage/{token}/leave/", {"reason": "too_many", "comment": "ありがとう"})
    assert Subscriber.objects.get().unsubscribe_reason == "配信が多い / ありがとう"


def test_settings_and_data_download(client, municipality):
    subscription = SubscriptionFactory(subscriber__municipality=municipality)
    token = links.manage_token(subscription.subscriber)
    page = client.post(
        f"/manage/{token}/settings/",
        {"nickname": "ママ", "language": "en", "channel": "line"},
        follow=True,
    ).content.decode()
    assert "LINEの友だち追加" in page
    client.post(
        f"/manage/{token}/settings/", {"nickname": "ママ", "language": "en", "channel": "email"}
    )
    assert Subscriber.objects.get().language == "en"

    response = client.get(f"/manage/{token}/data/", follow=True)
    assert response["Content-Disposition"].startswith("attachment")
    assert json.loads(response.content)["nickname"] == "ママ"


def test_an_erased_readers_links_stop_working(client, municipality):
    subscription = SubscriptionFactory(subscriber__municipality=municipality)
    token = links.manage_token(subscription.subscriber)
    Subscriber.objects.update(email=None, erased_at=NOW, unsubscribed_at=NOW)
    assert client.get(f"/manage/{token}/").status_code == 400


@pytest.mark.django_db(transaction=True)  # mail goes out on commit
def test_invitation_page_and_partner_signup(client, municipality):
    subscription = SubscriptionFactory(subscriber__municipality=municipality)
    token = links.manage_token(subscription.subscriber)
    page = client.post(
        f"/manage/{token}/children/{subscription.child_id}/invite/", follow=True
    ).content.decode()
    invite_path = re.search(r'value="http://testserver(/invite/[^"]+)"', page).group(1)
    assert "招待" in client.get(invite_path).content.decode()
    response = client.post(
        invite_path,
        {
            "email": "papa@example.jp",
            "relationship": "partner",
            "nickname": "",
            "language": "ja",
            "consent": "on",
        },
    )
    assert response.status_code == 302
    client.post(_link_in(mail.outbox[-1]))
    papa = Subscriber.objects.get(email="papa@example.jp")
    assert papa.confirmed_at is not None
    assert list(papa.children.all()) == [subscription.child]


def test_list_unsubscribe_headers_point_at_the_one_click_endpoint(municipality):
    subscription = SubscriptionFactory(subscriber__municipality=municipality)
    headers = links.list_unsubscribe_headers(subscription.subscriber)
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = headers["List-Unsubscribe"].strip("<>")
    assert url.startswith("http://testserver/u/")
    response = Client(enforce_csrf_checks=True).post(
        url.removeprefix("http://testserver"), {"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 200
    assert Subscriber.objects.get().unsubscribed_at is not None


def test_the_signup_fields_are_rendered_once_and_shown_the_same_each_time(municipality):
    from django.template.loader import render_to_string
    from django.utils import translation

    from subscribers.forms import SignupForm

    def form(data=None):
        return SignupForm(data, municipality=municipality, privacy_url="/m/koto/privacy/")

    with translation.override("ja"):
        fresh = render_to_string("subscribers/_fields.html", {"form": form()})
        assert form().fields_html() == form().fields_html() == fresh
        assert "メールアドレス" in fresh and "/m/koto/privacy/" in fresh
    with translation.override("en"):
        assert form().fields_html() == render_to_string(
            "subscribers/_fields.html", {"form": form()}
        )
    other = SignupForm(municipality=municipality, privacy_url="/m/other/privacy/").fields_html()
    assert "/m/other/privacy/" in other and "/m/koto/privacy/" not in other
    # A form sent back with errors is rendered afresh, with them.
    assert "メールアドレスを入力してください。" in form({"email": ""}).fields_html()


def test_the_landing_page_answers_with_its_fields_after_the_first_render(client, municipality):
    for _ in range(2):
        page = client.get("/m/koto/").content.decode()
        assert 'name="email"' in page and 'name="consent"' in page and "csrfmiddlewaretoken" in page


def test_the_settings_fields_keep_the_choices_but_never_the_nickname(municipality):
    from django.template.loader import render_to_string
    from django.utils import translation

    from subscribers.forms import SettingsForm

    def form(**initial):
        values = {"nickname": "はな", "language": "ja", "channel": "email", **initial}
        return SettingsForm(initial=values, municipality=municipality)

    with translation.override("ja"):
        for initial in ({}, {"nickname": "みどり"}, {"language": "en", "channel": "line"}):
            fresh = render_to_string("subscribers/_fields.html", {"form": form(**initial)})
            assert form(**initial).fields_html() == form(**initial).fields_html() == fresh
        assert "みどり" in form(nickname="みどり").fields_html()
        assert "はな" not in form(nickname="みどり").fields_html()
        chosen = form(language="en").fields_html()
        assert '<option value="en" selected>' in chosen
        assert '<option value="ja" selected>' not in chosen
    with translation.override("en"):
        assert form().fields_html() == render_to_string(
            "subscribers/_fields.html", {"form": form()}
        )
