"""What parents do: sign up, confirm, report a birth or a loss, invite family, leave.

Plain functions called by views, admin actions and tasks alike. Each is safe to repeat: a double
submit or a second click changes nothing the first did not.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet

from kizuna import clock
from municipalities.models import Municipality

from . import emails, events
from .models import Child, Subscriber, Subscription


class ServiceError(Exception):
    """A request the rules refuse; the message is shown to the parent as it is."""


def normalize_email(address: str) -> str:
    return address.strip().lower()


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
    def from_form(cls, data: dict, *, email: str = "", signup_tag: str = "") -> Registration:
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
    existing = (
        Subscriber.objects.select_for_update()
        .filter(municipality=municipality, email__iexact=email)
        .first()
    )
    if existing is not None and existing.is_active:
        transaction.on_commit(lambda: emails.send_manage_link(existing))
        return SignupOutcome.MANAGE_LINK_SENT

    subscriber = existing or Subscriber(municipality=municipality, email=email)
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
    subscriber.save()
    if existing is not None and existing.confirmed_at is None:
        _drop_unconfirmed_registration(existing)
    child = _new_child(municipality, registration.due_date, registration.birth_date)
    Subscription.objects.create(subscriber=subscriber, child=child)
    transaction.on_commit(lambda: emails.send_confirmation(subscriber, child))
    return SignupOutcome.CONFIRMATION_SENT


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
    if birth_date:
        return Child.objects.create(
            municipality=municipality,
            due_date=due_date,
            birth_date=birth_date,
            status=Child.Status.BORN,
            status_changed_at=clock.now(),
        )
    return Child.objects.create(municipality=municipality, due_date=due_date)


@transaction.atomic
def confirm(subscriber_id: int, child_id: int) -> Subscriber:
    """The reader clicked the confirmation link: start deliveries and send the welcome once."""
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber_id)
    if subscriber.erased_at:
        raise ServiceError("この登録はすでに削除されています。もう一度ご登録ください。")
    child = Child.objects.get(pk=child_id, municipality_id=subscriber.municipality_id)
    subscription, _ = Subscription.objects.update_or_create(
        subscriber=subscriber, child=child, defaults={"ended_at": None}
    )
    if subscriber.confirmed_at is None or subscriber.unsubscribed_at is not None:
        subscriber.confirmed_at = clock.now()
        subscriber.unsubscribed_at = None
        subscriber.save(update_fields=["confirmed_at", "unsubscribed_at", "updated_at"])
    if child.status in (Child.Status.EXPECTING, Child.Status.BORN):
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
        raise ServiceError("ご出産はすでに報告されています。日付の訂正は窓口にご連絡ください。")
    if child.status != Child.Status.EXPECTING:
        raise ServiceError("このお子さまの配信は終了しています。")
    if born_on > clock.today():
        raise ServiceError("生年月日に未来の日付は指定できません。")
    if child.due_date and born_on < earliest_birth_date(child.due_date):
        raise ServiceError("生年月日が出産予定日から離れすぎています。日付をご確認ください。")
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
        raise ServiceError("報告の種類を選んでください。")
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
        raise ServiceError("LINEで受け取るには、先にLINEの友だち追加と連携をしてください。")
    if channel == "email" and not subscriber.email:
        raise ServiceError("メールで受け取るには、メールアドレスの登録が必要です。")
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
        raise ServiceError("この招待リンクは使えなくなりました。")
    email = normalize_email(registration.email)
    subscriber = (
        Subscriber.objects.select_for_update()
        .filter(municipality=municipality, email__iexact=email)
        .first()
    )
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
    transaction.on_commit(lambda: emails.send_confirmation(subscriber, child))
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
    """Erase addresses and LINE ids kept past the retention period; one UPDATE for all."""
    now = now or clock.now()
    cutoff = now - datetime.timedelta(days=settings.KIZUNA_RETENTION_DAYS)
    return Subscriber.objects.filter(unsubscribed_at__lte=cutoff, erased_at__isnull=True).update(
        email=None, line_user_id=None, nickname="", erased_at=now
    )


# What the apps above hold about a reader (what was sent to them), for the data download:
# each registers a function from its AppConfig.ready() that returns its part of the download.
PERSONAL_DATA_PARTS: list[Callable[[Subscriber], dict[str, Any]]] = []


def export_personal_data(subscriber: Subscriber) -> dict[str, Any]:
    """What the reader gave us and what we sent, for the manage page's download."""
    children = Child.objects.filter(subscriptions__subscriber=subscriber).order_by("pk")
    data = {
        "municipality": str(subscriber.municipality),
        "service_name": subscriber.municipality.service_name,
        "email": subscriber.email,
        "line_linked": bool(subscriber.line_user_id),
        "relationship": subscriber.get_relationship_display(),
        "nickname": subscriber.nickname,
        "language": subscriber.language,
        "channel": subscriber.channel,
        "consent": {
            "at": subscriber.consent_at.isoformat(),
            "policy_version": subscriber.consent_policy_version,
        },
        "confirmed_at": subscriber.confirmed_at.isoformat() if subscriber.confirmed_at else None,
        "children": [
            {
                "due_date": c.due_date.isoformat() if c.due_date else None,
                "birth_date": c.birth_date.isoformat() if c.birth_date else None,
                "status": c.get_status_display(),
            }
            for c in children
        ],
    }
    for part in PERSONAL_DATA_PARTS:
        data.update(part(subscriber))
    return data
