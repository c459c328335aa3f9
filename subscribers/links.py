"""Absolute, signed links that go into mail and onto pages."""

import datetime
import functools
from typing import TypedDict
from urllib.parse import quote

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, get_urlconf, reverse

from .models import Child, Subscriber
from .tokens import Purpose, make_token

_TOKEN_MARK = "KZNLINKTOKEN"  # noqa: S105 (a marker, not a secret)


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


@functools.cache
def _around_token(url_name: str, site_url: str, urlconf, script_prefix: str) -> tuple[str, str]:
    # The delivery engine makes two links per message, a million messages a day: resolving the
    # URL pattern once and splicing each token in is what keeps that cheap.
    url = site_url + reverse(url_name, args=[_TOKEN_MARK], urlconf=urlconf)
    before, _, after = url.partition(_TOKEN_MARK)
    return before, after


@receiver(setting_changed)
def _forget_resolved_links(setting: str, **kwargs) -> None:
    if setting in ("SITE_URL", "ROOT_URLCONF"):
        _around_token.cache_clear()


def _link(url_name: str, token: str) -> str:
    before, after = _around_token(url_name, settings.SITE_URL, get_urlconf(), get_script_prefix())
    return f"{before}{token}{after}"


def confirm_url(subscriber: Subscriber, child: Child) -> str:
    token = make_token(Purpose.CONFIRM, s=subscriber.pk, c=child.pk)
    return absolute(reverse("subscribers:confirm", args=[token]))


class RejoinProfile(TypedDict, total=False):
    """What a reader who left typed when asking to come back, carried (signed) by the rejoin
    link and applied only when it is clicked."""

    rel: str
    nick: str
    lang: str
    due: str | None  # ISO dates
    birth: str | None
    src: str


class ConfirmPayload(TypedDict, total=False):
    """A confirmation link's signed payload: the reader, the child, and for a rejoin the
    departure it answers (:func:`departure_mark`) and the profile."""

    s: int
    c: int
    left: str | None
    r: RejoinProfile


def rejoin_url(
    subscriber: Subscriber, *, profile: RejoinProfile | None = None, child: Child | None = None
) -> str:
    """A confirmation link for a reader who left; it works only for this departure."""
    payload: ConfirmPayload = {"s": subscriber.pk, "left": departure_mark(subscriber)}
    if profile:
        payload["r"] = profile
    if child is not None:
        payload["c"] = child.pk
    return absolute(reverse("subscribers:confirm", args=[make_token(Purpose.CONFIRM, **payload)]))


def departure_mark(subscriber: Subscriber) -> str | None:
    """Which departure a rejoin link answers: the moment the reader left, in UTC."""
    left = subscriber.unsubscribed_at
    return left.astimezone(datetime.UTC).isoformat() if left else None


def manage_url(subscriber: Subscriber) -> str:
    return _link("subscribers:manage", manage_token(subscriber))


def manage_token(subscriber: Subscriber) -> str:
    return make_token(Purpose.MANAGE, s=subscriber.pk)


def unsubscribe_url(subscriber: Subscriber) -> str:
    return _link("subscribers:unsubscribe", make_token(Purpose.UNSUBSCRIBE, s=subscriber.pk))


def invite_url(subscriber: Subscriber, child: Child) -> str:
    token = make_token(Purpose.INVITE, s=subscriber.pk, c=child.pk)
    return absolute(reverse("subscribers:invite", args=[token]))


def list_unsubscribe_headers(
    subscriber: Subscriber, unsubscribe: str | None = None
) -> dict[str, str]:
    """RFC 2369 and RFC 8058 headers: mail clients show an unsubscribe button that POSTs here."""
    return {
        "List-Unsubscribe": f"<{unsubscribe or unsubscribe_url(subscriber)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


LINE_SHARE = "https://line.me/R/share?text="  # LINE URL scheme: "send a text message"


def line_share_url(text: str, url: str) -> str:
    """A link that opens LINE with ``text`` and ``url`` ready to send to a friend."""
    return LINE_SHARE + quote(f"{text}\n{url}", safe="")


def feedback_url(subscriber: Subscriber, message_key: str, stage_message_id: int) -> str:
    """The reader's page to say whether a stage message helped (served by the reviews app)."""
    token = make_token(Purpose.FEEDBACK, s=subscriber.pk, k=message_key, m=stage_message_id)
    return _link("reviews:feedback", token)
