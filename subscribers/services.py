"""What parents do: sign up, confirm, report a birth or a loss, invite family, leave.

Plain functions called by views, admin actions and tasks alike. Each is safe to repeat: a double
submit or a second click changes nothing the first did not.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Model, QuerySet
from django.utils.translation import gettext_lazy as _

from kizuna import clock, email_addresses
from municipalities.models import Municipality

from . import emails, erasure, events, links, personal_data, tasks
from .models import Child, Subscriber, Subscription


class ServiceError(Exception):
    """A request the rules refuse; the message is shown to the parent as it is."""


def normalize_email(address: str) -> str:
    return email_addresses.normalize(address)


@dataclass(frozen=True)
class Registration:
    email: str
    relationship: str
    nickname: str
    language: str
    due_date: datetime.date | None = None
    birth_date: datetime.date | None = None
    signup_tag: str = ""  # the flyer's ?src= the parent came from

    @classmethod
    def from_form(
        cls, data: Mapping[str, Any], *, email: str = "", signup_tag: str = ""
    ) -> Registration:
        """From a signup or invitation form's cleaned data (dates only where the form has them)."""
        return cls(
            email=email,
            relationship=data["relationship"],
            nickname=data["nickname"],
            language=data["language"],
            due_date=data.get("due_date"),
            birth_date=data.get("birth_date"),
            signup_tag=signup_tag,
        )

    def to_payload(self) -> links.RejoinProfile:
        """What a rejoin confirmation link carries (signed), to apply only when it is clicked."""
        return {
            "rel": self.relationship,
            "nick": self.nickname,
            "lang": self.language,
            "due": self.due_date.isoformat() if self.due_date else None,
            "birth": self.birth_date.isoformat() if self.birth_date else None,
            "src": self.signup_tag,
        }


REJOIN_NEEDED = _(
    "この登録は配信を停止しています。もう一度受け取るには、登録ページか登録内容のページから"
    "新しい確認メールを受け取ってください。"
)


class SignupOutcome(StrEnum):
    CONFIRMATION_SENT = "confirmation_sent"
    MANAGE_LINK_SENT = "manage_link_sent"


@transaction.atomic
def sign_up(municipality: Municipality, registration: Registration) -> SignupOutcome:
    """Register a reader and a pregnancy or child, and send the confirmation mail.

    An address already confirmed here gets a "manage your registration" mail instead, so the
    page answers the same whether or not the address is known.
    """
    email = normalize_email(registration.email)
    if _insert_new_registration(municipality, email, registration):
        return SignupOutcome.CONFIRMATION_SENT
    # The municipality knows the address already.
    existing = (
        Subscriber.objects.select_for_update().filter(municipality=municipality).holding(email)
    )
    if existing is not None and existing.is_active:
        tasks.queue_parent_mail(emails.Kind.MANAGE_LINK, existing)
        return SignupOutcome.MANAGE_LINK_SENT
    if existing is not None and existing.unsubscribed_at is not None:
        # Anyone can type an address: for a reader who left, nothing changes (and erasure
        # stays due) until the owner of the address clicks a fresh confirmation link.
        profile = registration.to_payload()
        tasks.queue_parent_mail(emails.Kind.REJOIN, existing, profile=profile)
        return SignupOutcome.CONFIRMATION_SENT

    subscriber = _registered(
        existing or Subscriber(municipality=municipality, email=email), registration
    )
    subscriber.save()
    if existing is not None and existing.confirmed_at is None:
        _drop_unconfirmed_registration(existing)
    child = _new_child(municipality, registration.due_date, registration.birth_date)
    Subscription.objects.create(subscriber=subscriber, child=child)
    tasks.queue_parent_mail(emails.Kind.CONFIRMATION, subscriber, child)
    return SignupOutcome.CONFIRMATION_SENT


def _registered(subscriber: Subscriber, registration: Registration) -> Subscriber:
    """``subscriber`` as the signup form leaves them: consent now, waiting for confirmation."""
    subscriber.relationship = registration.relationship
    subscriber.nickname = registration.nickname
    subscriber.language = registration.language
    subscriber.channel = Subscriber._meta.get_field("channel").default
    subscriber.signup_tag = registration.signup_tag or subscriber.signup_tag
    subscriber.consent_at = clock.now()
    subscriber.consent_policy_version = settings.KIZUNA_PRIVACY_POLICY_VERSION
    subscriber.confirmed_at = None
    subscriber.unsubscribed_at = None
    subscriber.unsubscribe_reason = ""
    return subscriber


def _insert_new_registration(
    municipality: Municipality, email: str, registration: Registration
) -> bool:
    """A reader at an address the municipality does not know yet, their pregnancy or child and
    the subscription, written in one statement, and the confirmation mail queued; False, with
    nothing written, when the address is already registered here.

    Most signups are new addresses: one round trip instead of a look-up and three inserts.
    ``ON CONFLICT DO NOTHING`` (the unique index on the municipality and ``lower(email)``) also
    makes a double submit wait for the first and then take the known-address path. SQLite
    (`make run`) has no INSERT in a WITH: there every signup looks the address up first.
    """
    if connection.vendor != "postgresql":
        return False
    subscriber = _registered(Subscriber(municipality=municipality, email=email), registration)
    child = _unsaved_child(municipality, registration.due_date, registration.birth_date)
    reader_columns, reader_values = _insert_row(subscriber)
    child_columns, child_values = _insert_row(child)
    follow_columns, follow_values = _insert_row(
        Subscription(), skip=frozenset({"subscriber", "child"})
    )
    sql = f"""
        WITH reader AS (
            INSERT INTO {Subscriber._meta.db_table} ({", ".join(reader_columns)})
            VALUES ({", ".join(["%s"] * len(reader_values))})
            ON CONFLICT DO NOTHING
            RETURNING id
        ), child AS (
            INSERT INTO {Child._meta.db_table} ({", ".join(child_columns)})
            SELECT {", ".join(["%s"] * len(child_values))} FROM reader
            RETURNING id
        )
        INSERT INTO {Subscription._meta.db_table} (subscriber_id, child_id, {", ".join(follow_columns)})
        SELECT reader.id, child.id, {", ".join(["%s"] * len(follow_values))} FROM reader, child
        RETURNING subscriber_id, child_id
    """  # noqa: S608 (table and column names from the models; every value a parameter)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*reader_values, *child_values, *follow_values])
        row = cursor.fetchone()
    if row is None:
        return False
    subscriber.pk, child.pk = row
    subscriber._state.adding = child._state.adding = False
    tasks.queue_parent_mail(emails.Kind.CONFIRMATION, subscriber, child)
    return True


def _insert_row(
    instance: Model, *, skip: frozenset[str] = frozenset()
) -> tuple[list[str], list[Any]]:
    """The quoted columns of an unsaved ``instance`` and their values as ``save()`` writes them
    (defaults, ``auto_now_add``), but for its primary key and the fields in ``skip``."""
    columns: list[str] = []
    values: list[Any] = []
    for field in instance._meta.concrete_fields:
        if field.primary_key or field.name in skip or not field.column:
            continue
        columns.append(connection.ops.quote_name(field.column))
        values.append(field.get_db_prep_save(field.pre_save(instance, add=True), connection))
    return columns, values


@transaction.atomic
def sign_up_with_line(
    municipality: Municipality, line_user_id: str, registration: Registration
) -> Subscriber:
    """Register from a LINE follow: LINE vouched for the account, so it is confirmed at once."""
    subscriber = (
        Subscriber.objects.select_for_update()
        .filter(municipality=municipality, line_user_id=line_user_id)
        .first()
    )
    if subscriber is not None and subscriber.is_active:
        return subscriber
    subscriber = subscriber or Subscriber(municipality=municipality, line_user_id=line_user_id)
    subscriber.channel = "line"
    subscriber.signup_tag = registration.signup_tag or subscriber.signup_tag
    subscriber.relationship = registration.relationship
    subscriber.nickname = registration.nickname
    subscriber.language = registration.language
    subscriber.consent_at = clock.now()
    subscriber.consent_policy_version = settings.KIZUNA_PRIVACY_POLICY_VERSION
    subscriber.confirmed_at = clock.now()
    subscriber.unsubscribed_at = None
    subscriber.channel_stopped_at = None
    subscriber.channel_stop_reason = ""
    subscriber.save()
    child = _new_child(municipality, registration.due_date, registration.birth_date)
    subscription = Subscription.objects.create(subscriber=subscriber, child=child)
    events.reader_confirmed.send(sender=Subscription, subscription=subscription)
    return subscriber


def _drop_unconfirmed_registration(subscriber: Subscriber) -> None:
    """A registration never confirmed is replaced by the new one, not piled up."""
    child_ids = list(subscriber.subscriptions.values_list("child_id", flat=True))
    subscriber.subscriptions.all().delete()
    Child.objects.filter(pk__in=child_ids, subscriptions__isnull=True).delete()


def _new_child(
    municipality: Municipality, due_date: datetime.date | None, birth_date: datetime.date | None
) -> Child:
    child = _unsaved_child(municipality, due_date, birth_date)
    child.save(force_insert=True)
    return child


def _unsaved_child(
    municipality: Municipality, due_date: datetime.date | None, birth_date: datetime.date | None
) -> Child:
    if birth_date:
        return Child(
            municipality=municipality,
            due_date=due_date,
            birth_date=birth_date,
            status=Child.Status.BORN,
            status_changed_at=clock.now(),
        )
    return Child(municipality=municipality, due_date=due_date)


@transaction.atomic
def confirm(
    subscriber_id: int, child_id: int | None = None, *, rejoin: links.ConfirmPayload | None = None
) -> Subscriber:
    """The reader clicked the confirmation link: start deliveries and send the welcome once.

    ``rejoin`` is what a rejoin link carries (:func:`request_rejoin`): a reader who left comes
    back only through such a link made after they left, never through an older one.
    """
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber_id)
    if subscriber.erased_at:
        raise ServiceError(_("この登録はすでに削除されています。もう一度ご登録ください。"))
    if subscriber.unsubscribed_at is not None:
        if rejoin is None or rejoin.get("left") != links.departure_mark(subscriber):
            raise ServiceError(REJOIN_NEEDED)
        return _rejoin(subscriber, child_id, rejoin.get("r") or {})
    if child_id is None:
        return subscriber  # a rejoin link clicked again: already back
    child = Child.objects.get(pk=child_id, municipality_id=subscriber.municipality_id)
    subscription, _created = Subscription.objects.update_or_create(
        subscriber=subscriber, child=child, defaults={"ended_at": None}
    )
    if subscriber.confirmed_at is None:
        subscriber.confirmed_at = clock.now()
        subscriber.save(update_fields=["confirmed_at", "updated_at"])
    if child.status in (Child.Status.EXPECTING, Child.Status.BORN):
        events.reader_confirmed.send(sender=Subscription, subscription=subscription)
    return subscriber


def request_rejoin(subscriber: Subscriber, registration: Registration | None = None) -> None:
    """A reader who left asks to receive again: mail a fresh confirmation, change nothing yet."""
    if subscriber.unsubscribed_at is None or subscriber.erased_at or not subscriber.email:
        return
    profile = registration.to_payload() if registration else None
    tasks.queue_parent_mail(emails.Kind.REJOIN, subscriber, profile=profile)


def _rejoin(
    subscriber: Subscriber, child_id: int | None, profile: links.RejoinProfile
) -> Subscriber:
    """Consent is recorded now, on the click, with what the reader typed when asking."""
    now = clock.now()
    if profile:
        subscriber.relationship = profile.get("rel") or subscriber.relationship
        subscriber.nickname = profile.get("nick", "")
        subscriber.language = profile.get("lang") or subscriber.language
        subscriber.signup_tag = profile.get("src") or subscriber.signup_tag
    subscriber.consent_at = now
    subscriber.consent_policy_version = settings.KIZUNA_PRIVACY_POLICY_VERSION
    subscriber.confirmed_at = now
    subscriber.unsubscribed_at = None
    subscriber.unsubscribe_reason = ""
    if subscriber.email:
        # The link was opened from this mailbox: mail reaches it again.
        subscriber.channel = "email"
        subscriber.channel_stopped_at = None
        subscriber.channel_stop_reason = ""
    subscriber.save()
    followed = [Child.Status.EXPECTING, Child.Status.BORN]
    if child_id is not None:
        child = Child.objects.get(pk=child_id, municipality_id=subscriber.municipality_id)
        Subscription.objects.update_or_create(
            subscriber=subscriber, child=child, defaults={"ended_at": None}
        )
    elif profile.get("due") or profile.get("birth"):
        due, birth = profile.get("due"), profile.get("birth")
        child = _new_child(
            subscriber.municipality,
            datetime.date.fromisoformat(due) if due else None,
            datetime.date.fromisoformat(birth) if birth else None,
        )
        Subscription.objects.create(subscriber=subscriber, child=child)
    else:
        subscriber.subscriptions.filter(child__status__in=followed).update(ended_at=None)
    subscriptions = subscriber.subscriptions.filter(
        ended_at__isnull=True, child__status__in=followed
    )
    for subscription in subscriptions:
        events.reader_confirmed.send(sender=Subscription, subscription=subscription)
    return subscriber


def followers(child: Child) -> QuerySet[Subscription]:
    """Subscriptions of everyone still receiving messages about ``child``."""
    return (
        Subscription.objects.filter(child=child, ended_at__isnull=True)
        .filter(subscriber__confirmed_at__isnull=False, subscriber__unsubscribed_at__isnull=True)
        .select_related("subscriber")
    )


def earliest_birth_date(due_date: datetime.date) -> datetime.date:
    """A birth before 22 weeks is not a live birth in Japanese law: the earliest date to accept."""
    return due_date - datetime.timedelta(days=280 - 22 * 7)


@transaction.atomic
def report_birth(child_id: int, born_on: datetime.date) -> Child:
    """Move the child and every family member following it to child messages from ``born_on``."""
    child = Child.objects.select_for_update().get(pk=child_id)
    if child.status == Child.Status.BORN:
        if child.birth_date == born_on:
            return child
        raise ServiceError(_("ご出産はすでに報告されています。日付の訂正は窓口にご連絡ください。"))
    if child.status != Child.Status.EXPECTING:
        raise ServiceError(_("このお子さまの配信は終了しています。"))
    if born_on > clock.today():
        raise ServiceError(_("生年月日に未来の日付は指定できません。"))
    if child.due_date and born_on < earliest_birth_date(child.due_date):
        raise ServiceError(_("生年月日が出産予定日から離れすぎています。日付をご確認ください。"))
    child.birth_date = born_on
    child.status = Child.Status.BORN
    child.status_changed_at = clock.now()
    child.save(update_fields=["birth_date", "status", "status_changed_at"])
    events.birth_reported.send(sender=Child, child=child)
    return child


@transaction.atomic
def report_loss(child_id: int, loss: str) -> Child:
    """Stop every message about the child for everyone at once, and send one gentle message.

    Nothing about the child is sent again: pending deliveries are skipped here, the planner only
    reads followed children, and senders check the child's status before sending.
    """
    if loss not in Child.Loss.values:
        raise ServiceError(_("報告の種類を選んでください。"))
    child = Child.objects.select_for_update().get(pk=child_id)
    if child.status == Child.Status.LOST:
        return child
    child.status = Child.Status.LOST
    child.loss = loss
    child.status_changed_at = clock.now()
    child.save(update_fields=["status", "loss", "status_changed_at"])
    events.loss_reported.send(sender=Child, child=child)
    return child


@transaction.atomic
def add_child(
    subscriber: Subscriber,
    *,
    due_date: datetime.date | None = None,
    birth_date: datetime.date | None = None,
) -> Child:
    """A second pregnancy or another child for a reader who is already registered."""
    child = _new_child(subscriber.municipality, due_date, birth_date)
    Subscription.objects.create(subscriber=subscriber, child=child)
    return child


def update_settings(
    subscriber: Subscriber, *, nickname: str, language: str, channel: str
) -> Subscriber:
    if channel == "line" and not subscriber.line_user_id:
        raise ServiceError(_("LINEで受け取るには、先にLINEの友だち追加と連携をしてください。"))
    if channel == "email" and not subscriber.email:
        raise ServiceError(_("メールで受け取るには、メールアドレスの登録が必要です。"))
    subscriber.nickname = nickname
    subscriber.language = language
    if channel != subscriber.channel:
        subscriber.channel = channel
        events.channel_changed.send(sender=Subscriber, subscriber=subscriber, channel=channel)
    subscriber.save(update_fields=["nickname", "language", "channel", "updated_at"])
    return subscriber


@transaction.atomic
def accept_invitation(
    child_id: int, registration: Registration, *, municipality: Municipality
) -> SignupOutcome:
    """A family member opened an invitation: follow the same child after confirming by mail."""
    child = Child.objects.get(pk=child_id, municipality=municipality)
    if child.status not in (Child.Status.EXPECTING, Child.Status.BORN):
        raise ServiceError(_("この招待リンクは使えなくなりました。"))
    email = normalize_email(registration.email)
    subscriber = (
        Subscriber.objects.select_for_update().filter(municipality=municipality).holding(email)
    )
    if subscriber is not None and subscriber.unsubscribed_at is not None:
        # As on the signup form: a reader who left comes back only by their own click.
        profile = registration.to_payload()
        tasks.queue_parent_mail(emails.Kind.REJOIN, subscriber, child, profile=profile)
        return SignupOutcome.CONFIRMATION_SENT
    if subscriber is None:
        subscriber = Subscriber.objects.create(
            municipality=municipality,
            email=email,
            relationship=registration.relationship,
            nickname=registration.nickname,
            language=registration.language,
            source=Subscriber.Source.INVITE,
            consent_at=clock.now(),
            consent_policy_version=settings.KIZUNA_PRIVACY_POLICY_VERSION,
        )
    # The subscription itself is made on confirmation, so an address typed by someone else
    # never starts receiving messages without its owner's click.
    tasks.queue_parent_mail(emails.Kind.CONFIRMATION, subscriber, child)
    return SignupOutcome.CONFIRMATION_SENT


@transaction.atomic
def unsubscribe(subscriber_id: int, reason: str = "") -> Subscriber:
    """Stop everything for this reader now; the address is erased after the retention period."""
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber_id)
    if subscriber.unsubscribed_at is None:
        subscriber.unsubscribed_at = clock.now()
        subscriber.unsubscribe_reason = reason[:200]
        subscriber.save(update_fields=["unsubscribed_at", "unsubscribe_reason", "updated_at"])
        subscriber.subscriptions.filter(ended_at__isnull=True).update(ended_at=clock.now())
        events.reader_unsubscribed.send(sender=Subscriber, subscriber=subscriber)
    return subscriber


def erase_unsubscribed(now: datetime.datetime | None = None) -> int:
    """Erase readers who left more than the retention period ago (see subscribers.erasure)."""
    return erasure.erase_departed(now)


def export_personal_data(subscriber: Subscriber) -> dict[str, personal_data.Value]:
    """Everything kept about the reader, for the manage page's download (subscribers.personal_data)."""
    return personal_data.export(subscriber)


def change_language(subscriber: Subscriber, language: str) -> Subscriber:
    """The reader's language, chosen with a page's language switch while signed in."""
    if subscriber.language != language:
        subscriber.language = language
        subscriber.save(update_fields=["language", "updated_at"])
    return subscriber
