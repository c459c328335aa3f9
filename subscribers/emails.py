"""Transactional mail to parents: confirmation and manage links.

A page never sends them itself: it queues them (:func:`queue`) and a Celery task sends them
after the commit, retrying while the mail server is down. So the page answers the same, and in
the same time, whether the address is known, and whether the mail server is up.
"""

import logging
from email.utils import formataddr

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from kizuna import email_addresses

from . import links
from .models import Child, Subscriber
from .tokens import Purpose, link_lifetime_days

logger = logging.getLogger(__name__)


def _send(subscriber: Subscriber, template: str, context: dict, *, to: str = "") -> None:
    municipality = subscriber.municipality
    context = {"subscriber": subscriber, "municipality": municipality, **context}
    with translation.override(subscriber.language):
        subject = render_to_string(f"subscribers/email/{template}_subject.txt", context).strip()
        text = render_to_string(f"subscribers/email/{template}.txt", context)
        html = render_to_string(f"subscribers/email/{template}.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=formataddr((municipality.sender_name, municipality.sender_email)),
        to=[email_addresses.for_sending(to or subscriber.email)],
    )
    message.attach_alternative(html, "text/html")
    message.send()
    logger.info("sent %s mail to subscriber %s", template, subscriber.pk)


def send_confirmation(subscriber: Subscriber, child: Child) -> None:
    """Double opt-in: nothing else is sent before this link is clicked."""
    _send(
        subscriber,
        "confirm",
        {
            "url": links.confirm_url(subscriber, child),
            "child": child,
            "link_days": link_lifetime_days(Purpose.CONFIRM),
        },
    )


def send_rejoin_confirmation(
    subscriber: Subscriber,
    *,
    profile: links.RejoinProfile | None = None,
    child: Child | None = None,
) -> None:
    """A reader who left asked to receive again: the same double opt-in as a first signup."""
    _send(
        subscriber, "confirm", {"url": links.rejoin_url(subscriber, profile=profile, child=child)}
    )


def send_manage_link(subscriber: Subscriber) -> None:
    """For a reader who is already registered, or who asked for a fresh link."""
    _send(
        subscriber,
        "manage",
        {"url": links.manage_url(subscriber), "link_days": link_lifetime_days(Purpose.MANAGE)},
    )


class Kind:
    CONFIRMATION = "confirmation"
    MANAGE_LINK = "manage_link"
    REJOIN = "rejoin"


def send_queued(
    kind: str,
    subscriber_id: int,
    child_id: int | None = None,
    profile: links.RejoinProfile | None = None,
) -> bool:
    """The task's work: send the mail if it still makes sense. False when there is nothing to
    send (the reader left or was erased, the child is gone)."""
    subscriber = (
        Subscriber.objects.select_related("municipality")
        .filter(pk=subscriber_id, erased_at__isnull=True, email__gt="")
        .first()
    )
    if subscriber is None:
        return False
    if kind == Kind.CONFIRMATION:
        child = Child.objects.filter(pk=child_id, municipality=subscriber.municipality).first()
        if child is None:
            return False
        send_confirmation(subscriber, child)
        return True
    if kind == Kind.MANAGE_LINK:
        if subscriber.confirmed_at is None or subscriber.unsubscribed_at is not None:
            return False
        send_manage_link(subscriber)
        return True
    if kind == Kind.REJOIN:
        if subscriber.unsubscribed_at is None:
            return False
        child = Child.objects.filter(pk=child_id).first() if child_id is not None else None
        send_rejoin_confirmation(subscriber, profile=profile, child=child)
        return True
    raise ValueError(f"unknown parent mail {kind!r}")


def send_address_confirmation(subscriber: Subscriber, address: str, url: str) -> None:
    """A LINE reader moving to email: the link that proves ``address`` is theirs."""
    context = {"url": url, "address": address, "link_days": link_lifetime_days(Purpose.EMAIL_MOVE)}
    _send(subscriber, "confirm_address", context, to=address)
