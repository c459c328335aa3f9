"""Signed links to a family's vaccination pages (subscribers.tokens, as the manage page uses)."""

from __future__ import annotations

from django.urls import reverse

from subscribers import links
from subscribers.models import Child, Subscriber
from subscribers.tokens import Purpose, make_token, read_token


def schedule_url(subscriber: Subscriber) -> str:
    """The schedule page, through the reader's manage link (exchanged for a session on use)."""
    return links.absolute(
        reverse("vaccinations:schedule_token", args=[links.manage_token(subscriber)])
    )


def calendar_url(subscriber: Subscriber, child: Child) -> str:
    """The child's calendar subscription (.ics): a long-lived signed address for calendar apps."""
    token = make_token(Purpose.CALENDAR, s=subscriber.pk, c=child.pk)
    return links.absolute(reverse("vaccinations:calendar", args=[token]))


def read_calendar_token(token: str) -> tuple[int, int]:
    """(subscriber id, child id) of a calendar address; raises subscribers.tokens.TokenError."""
    payload = read_token(Purpose.CALENDAR, token)
    return int(payload["s"]), int(payload["c"])
