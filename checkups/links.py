"""The signed link a LINE reader gets to download a session's calendar file."""

from __future__ import annotations

import datetime
from typing import Any

from django.core import signing
from django.urls import reverse

from subscribers.links import absolute

SALT = "kizuna.checkup-calendar"
# A link works until well after any session it is sent for (invitations go out weeks ahead).
MAX_AGE = datetime.timedelta(days=120)


def calendar_token(subscriber_id: int, session_id: int, child_id: int) -> str:
    return signing.dumps({"s": subscriber_id, "v": session_id, "c": child_id}, salt=SALT)


def read_calendar_token(token: str) -> dict[str, Any] | None:
    """The payload, or None for a forged, broken or expired link."""
    try:
        payload = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return payload if isinstance(payload, dict) else None


def calendar_url(subscriber_id: int, session_id: int, child_id: int) -> str:
    token = calendar_token(subscriber_id, session_id, child_id)
    return absolute(reverse("checkups:calendar", args=[token]))
