"""Parent services without HTTP: signup, confirmation, birth, loss, invitations, leaving."""

import datetime

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from delivery.models import Delivery
from subscribers import services
from subscribers.models import Child, Subscriber, Subscription
from tests.factories import MunicipalityFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.datetime(2026, 11, 24, 9, 0, tzinfo=datetime.UTC)


def _registration(**overrides) -> services.Registration:
    fields = {
        "email": "Hana@Example.jp ",
        "relationship": "self",
        "nickname": "はな",
        "language": "ja",
        "due_date": datetime.date(2027, 4, 1),
    }
    return services.Registration(**{**fields, **overrides})


@pytest.fixture
def municipality():
    return MunicipalityFactory(service_name="こんにちは赤ちゃんメール")


@time_machine.travel(TODAY, tick=False)
def test_signup_creates_an_unconfirmed_reader_and_sends_only_the_confirmation(
    municipality, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        outcome = services.sign_up(municipality, _registration())
    assert outcome == services.SignupOutcome.CONFIRMATION_SENT
    subscriber = Subscriber.objects.get()
    assert subscriber.email == "hana@example.jp"
    assert subscriber.confirmed_at is None
    assert subscriber.consent_policy_version == "2026-04"
    assert subscriber.children.get().due_date == datetime.date(2027, 4, 1)
    assert Delivery.objects.count() == 0
    assert len(mail.outbox) == 1
    assert "ご登録の確認" in mail.outbox[0].subject
    assert "/confirm/" in mail.outbox[0].body


@time_machine.travel(TODAY, tick=False)
def test_a_new_address_is_written_whole_in_one_statement(
    municipality, django_capture_on_commit_callbacks
):
    born = _registration(
        email="mama@example.jp",
        due_date=None,
        birth_date=datetime.date(2026, 10, 1),
        signup_tag="boshitecho",
        language="en",
    )
    with (
        CaptureQueriesContext(connection) as captured,
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.sign_up(municipality, born)
    writes = [q["sql"] for q in captured.captured_queries if "INSERT" in q["sql"]]
    assert len(writes) == 1
    subscription = Subscription.objects.select_related("subscriber", "child").get()
    reader, child = subscription.subscriber, subscription.child
    assert (reader.municipality, reader.email, reader.language) == (
        municipality,
        "mama@example.jp",
        "en",
    )
    assert (reader.channel, reader.source, reader.signup_tag) == ("email", "signup", "boshitecho")
    assert reader.consent_at == reader.created_at == reader.updated_at == TODAY
    assert reader.confirmed_at is None and reader.line_user_id is None
    assert (child.municipality, child.status, child.birth_date) == (
        municipality,
        Child.Status.BORN,
        datetime.date(2026, 10, 1),
    )
    assert child.status_changed_at == child.created_at == subscription.created_at == TODAY
    assert subscription.ended_at is None
    assert "/confirm/" in mail.outbox[-1].body


@time_machine.travel(TODAY, tick=False)
def test_signing_up_again_with_a_confirmed_address_sends_a_manage_link_instead(
    municipality, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.sign_up(municipality, _registration())
    subscriber = Subscriber.objects.get()
    services.confirm(subscriber.pk, subscriber.children.get().pk)
    with django_capture_on_commit_callbacks(execute=True):
        outcome = services.sign_up(municipality, _registration(email="HANA@example.jp"))
    assert outcome == services.SignupOutcome.MANAGE_LINK_SENT
    assert Subscriber.objects.count() == 1
    assert Child.objects.count() == 1
    assert "/manage/" in mail.outbox[-1].body


@time_machine.travel(TODAY, tick=False)
def test_an_unconfirmed_signup_repeated_replaces_the_pending_one(
    municipality, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.sign_up(municipality, _registration())
    with django_capture_on_commit_callbacks(execute=True):
        services.sign_up(municipality, _registration(due_date=datetime.date(2027, 5, 1)))
    assert Subscriber.objects.count() == 1
    assert list(Child.objects.values_list("due_date", flat=True)) == [datetime.date(2027, 5, 1)]
    assert len(mail.outbox) == 2


@time_machine.travel(TODAY, tick=False)
def test_confirming_twice_sends_one_welcome(municipality):
    subscription = SubscriptionFactory(
        subscriber__municipality=municipality, subscriber__confirmed_at=None
    )
    services.confirm(subscription.subscriber_id, subscription.child_id)
    services.confirm(subscription.subscriber_id, subscription.child_id)
    welcome = Delivery.objects.get()
    assert welcome.message_key == "special:welcome"
    assert welcome.due_on == datetime.date(2026, 11, 24)
    assert Subscriber.objects.get().confirmed_at is not None


def _family(municipality):
    mother = SubscriptionFactory(
        subscriber__municipality=municipality, child__due_date=datetime.date(2026, 12, 1)
    )
    partner = SubscriptionFactory(
        subscriber__municipality=municipality,
        subscriber__relationship="partner",
        child=mother.child,
    )
    return mother, partner


def _planned(subscription, key):
    return Delivery.objects.create(
        municipality=subscription.subscriber.municipality,
        subscriber=subscription.subscriber,
        child=subscription.child,
        channel="email",
        message_key=f"c{subscription.child_id}:{key}",
        due_on=datetime.date(2026, 11, 25),
    )


@time_machine.travel(TODAY, tick=False)
def test_a_birth_reported_by_the_mother_moves_the_partner_too(municipality):
    mother, partner = _family(municipality)
    pregnancy_message = _planned(partner, "stage:pregnancy:week:38")
    services.report_birth(mother.child_id, datetime.date(2026, 11, 22))

    child = Child.objects.get()
    assert (child.status, child.birth_date) == ("born", datetime.date(2026, 11, 22))
    pregnancy_message.refresh_from_db()
    assert pregnancy_message.status == "skipped"
    birth_messages = Delivery.objects.filter(message_key=f"c{child.pk}:special:birth")
    assert set(birth_messages.values_list("subscriber_id", flat=True)) == {
        mother.subscriber_id,
        partner.subscriber_id,
    }
    # Reporting the same birth again (a double submit) changes nothing.
    services.report_birth(mother.child_id, datetime.date(2026, 11, 22))
    assert birth_messages.count() == 2


@time_machine.travel(TODAY, tick=False)
@pytest.mark.parametrize(
    ("born_on", "words"),
    [
        (datetime.date(2026, 11, 25), "未来"),
        (datetime.date(2026, 1, 1), "離れすぎ"),
    ],
)
def test_impossible_birth_dates_are_refused(municipality, born_on, words):
    mother, _ = _family(municipality)
    with pytest.raises(services.ServiceError, match=words):
        services.report_birth(mother.child_id, born_on)
    assert Child.objects.get().status == "expecting"


@time_machine.travel(TODAY, tick=False)
def test_partner_stops_receiving_after_loss_reported_by_mother(municipality):
    mother, partner = _family(municipality)
    queued = [
        _planned(mother, "stage:pregnancy:week:20"),
        _planned(partner, "stage:pregnancy:week:20"),
    ]
    services.report_loss(mother.child_id, "miscarriage")
    services.report_loss(mother.child_id, "miscarriage")  # a second click

    assert Child.objects.get().status == "lost"
    for delivery in queued:
        delivery.refresh_from_db()
        assert delivery.status == "skipped"
    loss = Delivery.objects.filter(message_key=f"c{mother.child_id}:special:loss")
    assert loss.count() == 2
    assert set(loss.values_list("status", flat=True)) == {"planned"}
    with pytest.raises(services.ServiceError):
        services.report_birth(mother.child_id, datetime.date(2026, 11, 20))


def test_a_reader_who_left_gets_no_loss_message(municipality):
    mother, partner = _family(municipality)
    services.unsubscribe(partner.subscriber_id, "")
    services.report_loss(mother.child_id, "stillbirth")
    assert list(
        Delivery.objects.filter(message_key__endswith=":special:loss").values_list(
            "subscriber_id", flat=True
        )
    ) == [mother.subscriber_id]


def test_unknown_loss_kinds_are_refused(municipality):
    mother, _ = _family(municipality)
    with pytest.raises(services.ServiceError):
        services.report_loss(mother.child_id, "other")
    assert Child.objects.get().status == "expecting"


@time_machine.travel(TODAY, tick=False)
def test_an_invitation_follows_the_same_child_only_after_confirmation(
    municipality, django_capture_on_commit_callbacks
):
    mother, _ = _family(municipality)
    with django_capture_on_commit_callbacks(execute=True):
        services.accept_invitation(
            mother.child_id,
            _registration(email="grandma@example.jp", relationship="grandparent"),
            municipality=municipality,
        )
    grandma = Subscriber.objects.get(email="grandma@example.jp")
    assert grandma.source == "invite"
    assert not Subscription.objects.filter(subscriber=grandma).exists()
    services.confirm(grandma.pk, mother.child_id)
    assert Subscription.objects.filter(subscriber=grandma, child=mother.child).exists()
    assert grandma.audience == "grandparent"


def test_unsubscribing_cancels_what_is_queued_and_ends_follows(municipality):
    mother, partner = _family(municipality)
    queued = _planned(mother, "stage:pregnancy:week:20")
    services.unsubscribe(mother.subscriber_id, "配信が多い")
    queued.refresh_from_db()
    assert queued.status == "skipped"
    subscriber = Subscriber.objects.get(pk=mother.subscriber_id)
    assert subscriber.unsubscribe_reason == "配信が多い"
    assert not services.followers(mother.child).filter(subscriber=subscriber).exists()
    assert services.followers(mother.child).filter(subscriber_id=partner.subscriber_id).exists()


def test_addresses_are_erased_after_the_retention_period(municipality, settings):
    settings.KIZUNA_RETENTION_DAYS = 30
    left_long_ago = SubscriptionFactory(subscriber__municipality=municipality).subscriber
    left_recently = SubscriptionFactory(subscriber__municipality=municipality).subscriber
    with time_machine.travel(datetime.datetime(2026, 10, 1, tzinfo=datetime.UTC)):
        services.unsubscribe(left_long_ago.pk)
    with time_machine.travel(datetime.datetime(2026, 11, 20, tzinfo=datetime.UTC)):
        services.unsubscribe(left_recently.pk)
    with time_machine.travel(TODAY):
        assert services.erase_unsubscribed() == 1
        assert services.erase_unsubscribed() == 0
    left_long_ago.refresh_from_db()
    left_recently.refresh_from_db()
    assert (left_long_ago.email, left_long_ago.nickname) == (None, "")
    assert left_long_ago.erased_at is not None
    assert left_recently.email is not None


def test_channel_change_needs_a_linked_line_account(municipality):
    subscriber = SubscriptionFactory(subscriber__municipality=municipality).subscriber
    with pytest.raises(services.ServiceError, match="LINE"):
        services.update_settings(subscriber, nickname="", language="ja", channel="line")
    subscriber.line_user_id = "U" + "a" * 32
    subscriber.save()
    services.update_settings(subscriber, nickname="まま", language="en", channel="line")
    subscriber.refresh_from_db()
    assert (subscriber.channel, subscriber.language, subscriber.nickname) == ("line", "en", "まま")


def test_personal_data_export_lists_what_the_reader_gave(municipality):
    subscription = SubscriptionFactory(subscriber__municipality=municipality)
    data = services.export_personal_data(subscription.subscriber)
    assert data["email"] == subscription.subscriber.email
    assert data["children"][0]["due_date"] == subscription.child.due_date.isoformat()
    assert data["consent"]["policy_version"] == "2026-04"
    assert "365日分だけ残しています" in data["sent_messages_note"]
