"""Transactional mail to parents: confirmation and manage links.

A page never sends them itself: it queues them (:func:`queue`) and a Celery task sends them
after the commit, retrying while the mail server is down. So the page answers the same, and in
the same time, whether the address is known, and whether the mail server is up.
"""

import logging
from email.utils import formataddr

from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from . import links
from .models import Child, Subscriber

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
        to=[to or subscriber.email],
    )
    message.attach_alternative(html, "text/html")
    message.send()
    logger.info("sent %s mail to subscriber %s", template, subscriber.pk)


def send_confirmation(subscriber: Subscriber, child: Child) -> None:
    """Double opt-in: nothing else is sent before this link is clicked."""
    _send(subscriber, "confirm", {"url": links.confirm_url(subscriber, child), "child": child})


def send_manage_link(subscriber: Subscriber) -> None:
    """For a reader who is already registered, or who asked for a fresh link."""
    _send(subscriber, "manage", {"url": links.manage_url(subscriber)})


class Kind:
    CONFIRMATION = "confirmation"
    MANAGE_LINK = "manage_link"


def queue(kind: str, subscriber: Subscriber, child: Child | None = None) -> None:
    """Send ``kind`` of mail to the reader from a task, once the current transaction commits.

    Only ids go to the broker, never an address.
    """
    from .tasks import send_parent_mail

    def enqueue() -> None:
        send_parent_mail.delay(kind, subscriber.pk, child.pk if child is not None else None)

    # robust: a broker that is down must not turn a saved signup into an error page.
    transaction.on_commit(enqueue, robust=True)


def send_queued(kind: str, subscriber_id: int, child_id: int | None = None) -> bool:
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
    raise ValueError(f"unknown parent mail {kind!r}")


def send_address_confirmation(subscriber: Subscriber, address: str, url: str) -> None:
    """A LINE reader moving to email: the link that proves ``address`` is theirs."""
    _send(subscriber, "confirm_address", {"url": url, "address": address}, to=address)
