"""Transactional mail to parents: confirmation and manage links, sent straight away."""

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
    subscriber: Subscriber, *, profile: dict | None = None, child: Child | None = None
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


def send_address_confirmation(subscriber: Subscriber, address: str, url: str) -> None:
    """A LINE reader moving to email: the link that proves ``address`` is theirs."""
    context = {"url": url, "address": address, "link_days": link_lifetime_days(Purpose.EMAIL_MOVE)}
    _send(subscriber, "confirm_address", context, to=address)
