"""Signed, expiring tokens for every link a parent gets: no passwords, nothing guessable."""

import functools
import hashlib
import hmac
import json
import time
import zlib
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


WORTH_COMPRESSING = 80  # bytes of JSON; a reader's manage or feedback payload is under it


def make_token(purpose: Purpose, **payload: Any) -> str:
    """What ``signing.dumps(payload, salt=…, compress=True)`` gives, made cheaply.

    Two links in each of a million messages a day: Django's signer derives its HMAC key from
    the salt and ``SECRET_KEY`` (a hash) on every call and sets zlib up (a quarter megabyte of
    state) for a payload of a dozen bytes. Here the keyed HMAC is made once per purpose and key
    and copied per token, and a payload under :data:`WORTH_COMPRESSING` skips zlib. The tokens
    are Django's format (payload, timestamp, signature; the same bytes wherever Django would not
    have compressed), so :func:`read_token` and every link already sent keep working.
    """
    data = json.dumps(payload, separators=(",", ":")).encode("latin-1")
    compressed = zlib.compress(data) if len(data) > WORTH_COMPRESSING else data
    if len(compressed) < len(data) - 1:
        value = "." + signing.b64_encode(compressed).decode()
    else:
        value = signing.b64_encode(data).decode()
    value = f"{value}:{signing.b62_encode(int(time.time()))}"
    mac = _keyed_hmac(f"kizuna.{purpose}signer", settings.SECRET_KEY).copy()
    mac.update(value.encode())
    return f"{value}:{signing.b64_encode(mac.digest()).decode()}"


def salted_hmac_sha256(key_salt: str, value: str) -> bytes:
    """``django.utils.crypto.salted_hmac(key_salt, value, algorithm="sha256").digest()`` with
    its key derived once per salt and ``SECRET_KEY``, not per call."""
    mac = _keyed_hmac(key_salt, settings.SECRET_KEY).copy()
    mac.update(value.encode())
    return mac.digest()


@functools.cache
def _keyed_hmac(key_salt: str, secret_key: str) -> hmac.HMAC:
    # As salted_hmac derives it: sha256(salt + secret) is the HMAC key.
    return hmac.new(
        hashlib.sha256((key_salt + secret_key).encode()).digest(), digestmod=hashlib.sha256
    )


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
