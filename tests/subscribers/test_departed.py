"""A reader who left stays left until they themselves come back (issues 21.3 and 20.3).

Anyone can type an address into the signup form: for an address whose reader left, the form
starts a fresh double opt-in and changes nothing (not the unsubscribe, the consent, the nickname
nor the coming erasure) until the link mailed to that address is clicked. The manage page of a
reader who left says so, offers only to rejoin, and an old confirmation link does nothing.
"""

import datetime
import re

import pytest
import time_machine
from django.core import mail
from django.test import Client

from delivery.models import Delivery
from subscribers import erasure, links, services
from subscribers.models import Child, Subscriber, Subscription
from tests.factories import MunicipalityFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db(transaction=True)  # mail goes out on commit

NOW = datetime.datetime(2026, 11, 24, 10, 0, tzinfo=datetime.UTC)
ADDRESS = "hana@example.jp"


@pytest.fixture(autouse=True)
def _setup(settings):
    settings.SITE_URL = "http://testserver"
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def municipality():
    return MunicipalityFactory(slug="koto", name="江東区", service_name="こんにちは赤ちゃんメール")


def signup(client, **overrides):
    data = {
        "email": ADDRESS,
        "situation": "expecting",
        "due_date": "2027-04-01",
        "birth_date": "",
        "relationship": "self",
        "nickname": "はな",
        "language": "ja",
        "consent": "on",
    }
    data.update(overrides)
    return client.post("/m/koto/", data)


def link_in(message, pattern=r"/\S+") -> str:
    return re.search(rf"http://testserver({pattern})", message.body).group(1)


def snapshot(pk: int) -> tuple:
    reader = Subscriber.objects.get(pk=pk)
    return (
        reader.email,
        reader.nickname,
        reader.relationship,
        reader.consent_at,
        reader.confirmed_at,
        reader.unsubscribed_at,
        reader.unsubscribe_reason,
        reader.signup_tag,
        set(reader.subscriptions.values_list("child_id", "ended_at")),
    )


def a_reader_who_left(client, _setup) -> tuple[Subscriber, str]:
    """Signed up, confirmed, left a day later; returns the reader and the old confirm link."""
    signup(client)
    confirm_path = link_in(mail.outbox[-1])
    client.post(confirm_path)
    _setup.shift(datetime.timedelta(days=1))
    reader = Subscriber.objects.get(email=ADDRESS)
    services.unsubscribe(reader.pk, "配信が多い")
    _setup.shift(datetime.timedelta(days=1))
    return Subscriber.objects.get(pk=reader.pk), confirm_path


def test_a_departed_address_on_the_signup_form_changes_nothing_until_the_link_is_clicked(
    client, municipality, _setup, settings
):
    reader, _ = a_reader_who_left(client, _setup)
    before = snapshot(reader.pk)
    children = Child.objects.count()
    mails = len(mail.outbox)

    stranger = Client()
    response = signup(stranger, nickname="いたずら", relationship="partner", due_date="2027-05-01")
    assert response.status_code == 302 and response["Location"] == "/m/koto/sent/"
    assert snapshot(reader.pk) == before  # not the unsubscribe, consent, nickname, nothing
    assert Child.objects.count() == children
    assert Subscriber.objects.count() == 1
    assert not Subscriber.objects.get(pk=reader.pk).is_active
    [confirmation] = mail.outbox[mails:]
    assert confirmation.to == [ADDRESS] and "ご登録の確認" in confirmation.subject

    # Erasure stays due: the link was never clicked.
    settings.KIZUNA_RETENTION_DAYS = 30
    _setup.shift(datetime.timedelta(days=31))
    erasure.run()
    assert Subscriber.objects.get(pk=reader.pk).erased_at is not None
    response = Client().post(link_in(confirmation))
    assert response.status_code in (400, 410)  # expired, and the registration erased anyway
    assert Subscriber.objects.get(pk=reader.pk).email is None


def test_clicking_the_fresh_link_rejoins_and_records_consent_then(client, municipality, _setup):
    reader, _ = a_reader_who_left(client, _setup)
    mails = len(mail.outbox)
    signup(Client(), nickname="はなママ", due_date="2027-05-01")
    fresh = link_in(mail.outbox[mails])
    _setup.shift(datetime.timedelta(hours=3))
    clicked_at = datetime.datetime.now(tz=datetime.UTC)
    owner = Client()
    assert "登録を完了する" in owner.get(fresh).content.decode()
    assert not Subscriber.objects.get(pk=reader.pk).is_active  # a mail scanner's GET: nothing
    assert owner.post(fresh).status_code == 302

    back = Subscriber.objects.get(pk=reader.pk)
    assert back.is_active and back.unsubscribe_reason == ""
    assert back.consent_at == clicked_at and back.nickname == "はなママ"
    child = Child.objects.get(due_date=datetime.date(2027, 5, 1))
    assert Subscription.objects.filter(subscriber=back, child=child, ended_at=None).exists()
    # The same link clicked again changes nothing more.
    owner.post(fresh)
    assert Subscriber.objects.get(pk=reader.pk).consent_at == clicked_at
    assert Child.objects.filter(due_date=datetime.date(2027, 5, 1)).count() == 1

    # After leaving again, that link (made for the first departure) does not bring them back.
    services.unsubscribe(reader.pk)
    assert Client().post(fresh).status_code == 302
    assert not Subscriber.objects.get(pk=reader.pk).is_active


def test_an_old_confirmation_link_does_not_resubscribe_a_departed_reader(
    client, municipality, _setup
):
    reader, old_link = a_reader_who_left(client, _setup)
    before = snapshot(reader.pk)
    page = Client().post(old_link, follow=True).content.decode()
    assert "配信を停止しています" in page
    assert snapshot(reader.pk) == before
    assert not Delivery.objects.filter(subscriber=reader, status="planned").exists()


def test_an_invitation_to_a_departed_address_waits_for_its_owner(client, municipality, _setup):
    reader, _ = a_reader_who_left(client, _setup)
    before = snapshot(reader.pk)
    inviter = SubscriptionFactory(subscriber__municipality=municipality)
    invite = links.invite_url(inviter.subscriber, inviter.child).removeprefix("http://testserver")
    mails = len(mail.outbox)
    Client().post(
        invite,
        {
            "email": ADDRESS,
            "relationship": "grandparent",
            "nickname": "ばあば",
            "language": "ja",
            "consent": "on",
        },
    )
    assert snapshot(reader.pk) == before
    Client().post(link_in(mail.outbox[mails]))
    back = Subscriber.objects.get(pk=reader.pk)
    assert back.is_active and back.relationship == "grandparent"
    assert back.subscriptions.filter(child=inviter.child, ended_at=None).exists()


def test_the_manage_page_of_a_reader_who_left_says_so_and_changes_nothing(
    client, municipality, _setup
):
    reader, _ = a_reader_who_left(client, _setup)
    before = snapshot(reader.pk)
    children = Child.objects.count()
    parent = Client()
    page = parent.get(f"/manage/{links.manage_token(reader)}/", follow=True).content.decode()
    assert "配信を停止しています" in page
    assert "2026年11月25日に" in page  # the day they left
    assert "確認のメールを受け取る" in page
    assert "出産を報告する" not in page and "次のメッセージ" not in page
    assert "別のお子さま" not in page and 'action="/manage/settings/"' not in page

    # Forms of a page opened before leaving (or typed by hand) change nothing.
    answer = parent.post(
        "/manage/children/", {"situation": "expecting", "due_date": "2027-06-01"}, follow=True
    ).content.decode()
    assert "配信を停止しているため" in answer and "次のメッセージ" not in answer
    parent.post("/manage/settings/", {"nickname": "かえた", "language": "en", "channel": "email"})
    assert snapshot(reader.pk) == before and Child.objects.count() == children

    # Rejoining is a fresh confirmation to the address on file; nothing changes before its click.
    mails = len(mail.outbox)
    assert "メールを確認してください" in parent.post("/manage/rejoin/").content.decode()
    [confirmation] = mail.outbox[mails:]
    assert confirmation.to == [ADDRESS]
    assert snapshot(reader.pk) == before
    parent.post(link_in(confirmation))
    back = Subscriber.objects.get(pk=reader.pk)
    assert back.is_active and back.nickname == "はな"
    assert back.subscriptions.filter(ended_at=None).count() == 1


def test_a_line_reader_who_left_is_offered_the_line_signup_page(client, municipality, _setup):
    reader = SubscriptionFactory(
        subscriber__municipality=municipality,
        subscriber__channel="line",
        subscriber__email=None,
        subscriber__line_user_id="U" + "1" * 32,
        subscriber__confirmed_at=NOW,
    ).subscriber
    services.unsubscribe(reader.pk)
    page = Client().get(f"/manage/{links.manage_token(reader)}/", follow=True).content.decode()
    assert "配信を停止しています" in page and "LINEでもう一度登録する" in page
    assert re.search(r'href="http://testserver/m/koto/line/[^"]+/"', page)
    assert "確認のメールを受け取る" not in page
