"""Who may enrol a first authenticator: a password alone must not be enough.

A new account may enrol by itself for ``KIZUNA_ENROLMENT_WINDOW_HOURS`` after it is created
(the person who was just given it). After that, an account without an authenticator needs an
enrolment link an operator created for it (signed, naming the account, valid for
``KIZUNA_ENROLMENT_LINK_HOURS``): whoever learns the password of a dormant account cannot
attach their own phone to it.
"""

from __future__ import annotations

import datetime
import secrets

from django.conf import settings
from django.core import signing
from django.http import HttpRequest
from django.urls import reverse

from kizuna import clock

_SALT = "kizuna.accounts.enrolment-link"
SESSION_KEY = "kizuna_enrolment_link_user"


def link(user) -> str:
    """An enrolment link for ``user``, to hand over by a channel the operator trusts."""
    token = signing.dumps({"u": user.pk, "n": secrets.token_hex(4)}, salt=_SALT, compress=True)
    return f"{settings.SITE_URL}{reverse('accounts:enrol_with_link', args=[token])}"


class LinkProblem(Exception):
    def __init__(self, expired: bool) -> None:
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def read_link(token: str, user) -> None:
    """Raise LinkProblem unless ``token`` is a live enrolment link for ``user``."""
    try:
        payload = signing.loads(
            token,
            salt=_SALT,
            max_age=datetime.timedelta(hours=settings.KIZUNA_ENROLMENT_LINK_HOURS),
        )
    except signing.SignatureExpired as error:
        raise LinkProblem(expired=True) from error
    except signing.BadSignature as error:
        raise LinkProblem(expired=False) from error
    if not isinstance(payload, dict) or payload.get("u") != user.pk:
        raise LinkProblem(expired=False)


def within_first_window(user) -> bool:
    window = datetime.timedelta(hours=settings.KIZUNA_ENROLMENT_WINDOW_HOURS)
    return clock.now() < user.date_joined + window


def may_enrol(request: HttpRequest) -> bool:
    """Whether this session may enrol a first authenticator for its user."""
    user = request.user
    return within_first_window(user) or request.session.get(SESSION_KEY) == user.pk
