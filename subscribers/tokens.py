"""Signed, expiring tokens for every link a parent gets: no passwords, nothing guessable."""

import functools
from datetime import timedelta
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.core import signing


class Purpose(StrEnum):
    CONFIRM = "confirm"
    MANAGE = "manage"
    UNSUBSCRIBE = "unsubscribe"
    INVITE = "invite"
    LINE_SIGNUP = "line-signup"
    SURVEY = "survey"
    CHANNEL_MOVE = "channel-move"
    EMAIL_MOVE = "email-move"  # confirms the address a LINE reader gave to move to email
    FEEDBACK = "feedback"  # 「役に立った」／「いまひとつ」 on one stage message
    FOLLOWUP = "followup"  # a named questionnaire (followups)
    CALENDAR = "calendar"  # a child's vaccination calendar, fetched by calendar apps (.ics)


# A confirmation link is short-lived; an unsubscribe link must keep working in old messages.
MAX_AGE = {
    Purpose.CONFIRM: timedelta(days=3),
    Purpose.MANAGE: timedelta(days=45),
    Purpose.UNSUBSCRIBE: timedelta(days=400),
    Purpose.INVITE: timedelta(days=14),
    Purpose.LINE_SIGNUP: timedelta(days=7),
    # A survey link made on the first day must last until the close date, at most a year later;
    # the survey page itself refuses answers once the survey has closed.
    Purpose.SURVEY: timedelta(days=367),
    Purpose.CHANNEL_MOVE: timedelta(days=30),
    Purpose.EMAIL_MOVE: timedelta(days=3),
    # A reader may answer a message weeks later; after that the vote says little about the text.
    Purpose.FEEDBACK: timedelta(days=60),
    # A questionnaire is answered around its stage; two months leave room for a late reply.
    Purpose.FOLLOWUP: timedelta(days=60),
    # A calendar app fetches the subscription for as long as it is kept: about a year, then
    # the schedule page gives a new address.
    Purpose.CALENDAR: timedelta(days=400),
}


def link_lifetime_days(purpose: Purpose) -> int:
    """How many days a link for ``purpose`` works: what mails and pages tell the reader."""
    return MAX_AGE[purpose].days


class TokenError(Exception):
    """The link cannot be used; ``expired`` tells a stale link from a forged or broken one."""

    def __init__(self, *, expired: bool) -> None:
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def make_token(purpose: Purpose, **payload: Any) -> str:
    """What ``signing.dumps(payload, salt=…, compress=True)`` gives, with a signer made once."""
    return _signer(purpose, settings.SECRET_KEY).sign_object(payload, compress=True)


@functools.cache
def _signer(purpose: Purpose, secret_key: str) -> signing.TimestampSigner:
    # Two links in each of a million messages a day: the signer (and its key lookups) is made
    # once per purpose and key, not per link.
    return signing.TimestampSigner(key=secret_key, salt=f"kizuna.{purpose}")


def read_token(purpose: Purpose, token: str) -> dict[str, Any]:
    """The payload of a valid token for ``purpose``; raises TokenError otherwise."""
    try:
        payload = signing.loads(token, salt=f"kizuna.{purpose}", max_age=MAX_AGE[purpose])
    except signing.SignatureExpired as error:
        raise TokenError(expired=True) from error
    except (signing.BadSignature, ValueError, TypeError) as error:
        raise TokenError(expired=False) from error
    if not isinstance(payload, dict):
        raise TokenError(expired=False)
    return payload
