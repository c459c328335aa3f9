"""Mail addresses as parents type them, including the old carrier ones, and as each sender wants them.

docomo and au let subscribers choose addresses such as ``taro..yamada.@docomo.ne.jp`` until
2009, and many are still in use. They break RFC 5322's dot-atom rule (no leading, trailing or
doubled dot), so Django's EmailValidator refuses them, yet the carriers deliver to them. Kizuna
accepts them everywhere an address is typed or imported (:func:`validate`), and hands each mail
backend the form it can send (:func:`for_sending`): as typed, or with the local part quoted
(``"taro..yamada."@docomo.ne.jp``, the RFC-valid spelling of the same mailbox), or not at all.
docs/carrier-addresses.md says which ESP takes which form and where that comes from.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import models

MAX_LENGTH = 254
MAX_LOCAL_LENGTH = 64
# RFC 5322 atext; the dots may sit anywhere (that is the carriers' old rule).
_LOCAL_PART = re.compile(r"^[a-z0-9!#$%&'*+/=?^_`{|}~.-]+$")
_DOT_ATOM = re.compile(r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_domain_check = EmailValidator()

INVALID = "メールアドレスの形式が正しくありません（例：hanako@example.jp）。"


class OldAddressSupport(StrEnum):
    AS_TYPED = "as_typed"  # the backend passes the address through unchanged
    QUOTED = "quoted"  # the backend takes it once the local part is quoted
    REFUSED = "refused"  # the backend refuses it in either form


# What each mail backend does with an address like taro..yamada.@docomo.ne.jp (see
# docs/carrier-addresses.md for the sources). Backends not listed are treated as refusing, so a
# parent is told before signing up rather than silently never getting mail;
# KIZUNA_OLD_CARRIER_ADDRESSES overrides this for a backend the operator has tested.
OLD_ADDRESS_SUPPORT = {
    "django.core.mail.backends.smtp.EmailBackend": OldAddressSupport.AS_TYPED,
    "django.core.mail.backends.console.EmailBackend": OldAddressSupport.AS_TYPED,
    "django.core.mail.backends.filebased.EmailBackend": OldAddressSupport.AS_TYPED,
    "django.core.mail.backends.locmem.EmailBackend": OldAddressSupport.AS_TYPED,
    "django.core.mail.backends.dummy.EmailBackend": OldAddressSupport.AS_TYPED,
    "anymail.backends.postmark.EmailBackend": OldAddressSupport.AS_TYPED,
    "anymail.backends.sendgrid.EmailBackend": OldAddressSupport.QUOTED,
    "anymail.backends.amazon_ses.EmailBackend": OldAddressSupport.REFUSED,
}


def normalize(address: str) -> str:
    """The address as stored: NFKC (full-width ＠, digits and letters), trimmed, lower case."""
    return unicodedata.normalize("NFKC", address or "").strip().lower()


def is_old_carrier_form(address: str) -> bool:
    """True for a local part with a leading, trailing or doubled dot (valid only when quoted)."""
    local = normalize(address).rpartition("@")[0]
    return bool(local) and not _DOT_ATOM.match(local)


def validate(address: str) -> None:
    """Raise ValidationError (Japanese) unless ``address`` (normalised) is a deliverable mailbox."""
    local, at, domain = address.rpartition("@")
    if (
        not at
        or len(address) > MAX_LENGTH
        or len(local) > MAX_LOCAL_LENGTH
        or not _LOCAL_PART.match(local)
        or not local.strip(".")
    ):
        raise ValidationError(INVALID, code="invalid")
    try:
        # Django's check of the domain part (labels, IDNs, literals), on a plain local part.
        _domain_check(f"x@{domain}")
    except ValidationError:
        raise ValidationError(INVALID, code="invalid") from None


def support() -> OldAddressSupport:
    """What the configured mail backend does with old carrier addresses."""
    override = getattr(settings, "KIZUNA_OLD_CARRIER_ADDRESSES", "")
    if override:
        return OldAddressSupport(override)
    return OLD_ADDRESS_SUPPORT.get(settings.EMAIL_BACKEND, OldAddressSupport.REFUSED)


def can_send_to(address: str) -> bool:
    """Whether the configured backend can deliver to ``address`` at all."""
    return not is_old_carrier_form(address) or support() != OldAddressSupport.REFUSED


def for_sending(address: str) -> str:
    """``address`` in the form the configured backend delivers (quoted where it needs that)."""
    if is_old_carrier_form(address) and support() == OldAddressSupport.QUOTED:
        local, _, domain = address.rpartition("@")
        return f'"{local}"@{domain}'
    return address


class MailboxField(models.EmailField):
    """A model's address column that takes what :func:`validate` takes (the admin's forms too)."""

    default_validators = [validate]

    def formfield(self, **kwargs):
        from django import forms

        return super().formfield(**{"form_class": forms.CharField, **kwargs})

    def to_python(self, value):
        value = super().to_python(value)
        return normalize(value) if value else value
