"""Absolute, signed links that go into mail and onto pages."""

from django.conf import settings
from django.urls import reverse

from .models import Child, Subscriber
from .tokens import Purpose, make_token


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def confirm_url(subscriber: Subscriber, child: Child) -> str:
    token = make_token(Purpose.CONFIRM, s=subscriber.pk, c=child.pk)
    return absolute(reverse("subscribers:confirm", args=[token]))


def manage_url(subscriber: Subscriber) -> str:
    return absolute(reverse("subscribers:manage", args=[manage_token(subscriber)]))


def manage_token(subscriber: Subscriber) -> str:
    return make_token(Purpose.MANAGE, s=subscriber.pk)


def unsubscribe_url(subscriber: Subscriber) -> str:
    token = make_token(Purpose.UNSUBSCRIBE, s=subscriber.pk)
    return absolute(reverse("subscribers:unsubscribe", args=[token]))


def invite_url(subscriber: Subscriber, child: Child) -> str:
    token = make_token(Purpose.INVITE, s=subscriber.pk, c=child.pk)
    return absolute(reverse("subscribers:invite", args=[token]))


def list_unsubscribe_headers(subscriber: Subscriber) -> dict[str, str]:
    """RFC 2369 and RFC 8058 headers: mail clients show an unsubscribe button that POSTs here."""
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(subscriber)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
