"""Channel access tokens Kizuna issues for itself, so that connecting it to an account another
tool already uses never invalidates that tool's token (reissuing the long-lived token does).

- **v2.1** (``POST /oauth2/v2.1/token``): a JWT assertion signed (RS256) with the account's
  assertion signing key, whose public half is registered in the LINE Developers console; the
  token lives up to 30 days (``token_exp``), carries a ``key_id``, and is renewed by beat a week
  before it expires. Kizuna revokes only tokens it issued, found by their key id in its own table.
- **stateless** (``POST /oauth2/v3/token``, ``client_credentials`` with the channel id and
  secret): 15 minutes, cannot be revoked; a new one is issued when the last is nearly spent.
- **static**: ``LINE_CHANNEL_ACCESS_TOKEN_<SLUG>``, as before.

The environment holds the secrets per municipality, as for the static token:
``LINE_CHANNEL_ID_<SLUG>``, ``LINE_ASSERTION_KEY_<SLUG>`` (the private key as LINE's console
gives it, a JWK, or PEM) and ``LINE_ASSERTION_KID_<SLUG>`` (the kid the console showed on
registering the public key; a JWK's own ``kid`` also counts). Tokens are stored encrypted with a
key derived from SECRET_KEY and never logged.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import logging
import os
from dataclasses import dataclass

import jwt
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from django.conf import settings
from django.db import transaction
from linebot.v3.oauth import ApiClient, ApiException, ChannelAccessToken, Configuration

from delivery.senders.line import channel_secret
from kizuna import clock
from municipalities.models import Municipality

from .models import ChannelToken, LineAccountSettings

logger = logging.getLogger(__name__)
Kind = LineAccountSettings.TokenKind

AUDIENCE = "https://api.line.me/"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_LIFETIME = datetime.timedelta(minutes=30)  # LINE: a JWT assertion lives 30 min at most
V2_1_LIFETIME = datetime.timedelta(days=30)  # LINE: token_exp at most 30 days
RENEW_BEFORE = datetime.timedelta(days=7)  # beat issues the next v2.1 token this early
# A token handed to a sender must outlast the batch it sends (a stateless one lives 15 min).
USE_MARGIN = datetime.timedelta(minutes=3)
# An old v2.1 token is revoked this long after its successor was issued: a request that took it
# just before the switch still goes through.
REVOKE_AFTER = datetime.timedelta(hours=1)


class TokenError(Exception):
    """What keeps Kizuna from issuing a token: a missing key or id, or LINE refusing."""


def _env(name: str, slug: str) -> str:
    return os.environ.get(f"{name}_{slug.upper().replace('-', '_')}", "")


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: RSAPrivateKey | str  # a JWK's key object, or PEM text


def signing_key(slug: str) -> SigningKey:
    """The municipality's assertion signing key from the environment (JWK or PEM)."""
    raw = _env("LINE_ASSERTION_KEY", slug).strip()
    if not raw:
        raise TokenError(f"LINE_ASSERTION_KEY for {slug} is not set")
    kid = _env("LINE_ASSERTION_KID", slug).strip()
    try:
        if raw.startswith("{"):
            jwk = json.loads(raw)
            kid = kid or str(jwk.get("kid") or "")
            key: RSAPrivateKey | str = jwt.PyJWK(jwk, algorithm="RS256").key
            if not isinstance(key, RSAPrivateKey):
                raise ValueError("not an RSA private key")
        else:
            key = raw
    except (ValueError, jwt.PyJWKError) as error:
        raise TokenError(f"LINE_ASSERTION_KEY for {slug} is not a private key") from error
    if not kid:
        raise TokenError(f"LINE_ASSERTION_KID for {slug} is not set")
    return SigningKey(kid, key)


def assertion(slug: str, *, token_lifetime: datetime.timedelta | None = None) -> str:
    """The JWT LINE takes as proof (header ``kid``; ``iss`` = ``sub`` = the channel id)."""
    channel_id = _env("LINE_CHANNEL_ID", slug)
    if not channel_id:
        raise TokenError(f"LINE_CHANNEL_ID for {slug} is not set")
    key = signing_key(slug)
    now = clock.now()
    claims: dict[str, object] = {
        "iss": channel_id,
        "sub": channel_id,
        "aud": AUDIENCE,
        "exp": int((now + ASSERTION_LIFETIME).timestamp()),
    }
    if token_lifetime is not None:
        claims["token_exp"] = int(min(token_lifetime, V2_1_LIFETIME).total_seconds())
    try:
        return jwt.encode(
            claims, key.private_key, algorithm="RS256", headers={"kid": key.kid, "typ": "JWT"}
        )
    except (ValueError, TypeError, jwt.PyJWTError) as error:
        raise TokenError(f"LINE_ASSERTION_KEY for {slug} cannot sign") from error


def _fernet() -> Fernet:
    digest = hashlib.sha256(f"kizuna.line_accounts.tokens:{settings.SECRET_KEY}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _seal(token: str) -> str:
    return _fernet().encrypt(token.encode()).decode()


def _open(sealed: str) -> str:
    try:
        return _fernet().decrypt(sealed.encode()).decode()
    except InvalidToken:  # SECRET_KEY changed: the stored token is unreadable, issue another
        return ""


def _api() -> ApiClient:
    return ApiClient(Configuration(host=settings.LINE_API_BASE_URL))


def issue(municipality: Municipality, kind: str) -> ChannelToken:
    """Ask LINE for a new token of ``kind`` and store it; raises TokenError."""
    slug = municipality.slug
    now = clock.now()
    try:
        with _api() as client:
            api = ChannelAccessToken(client)
            if kind == Kind.V2_1:
                v21 = api.issue_channel_token_by_jwt(
                    "client_credentials",
                    ASSERTION_TYPE,
                    assertion(slug, token_lifetime=V2_1_LIFETIME),
                    _request_timeout=settings.LINE_TIMEOUT_SECONDS,
                )
                token, expires_in, key_id = v21.access_token, v21.expires_in, v21.key_id
            else:
                channel_id = _env("LINE_CHANNEL_ID", slug)
                if not channel_id or not channel_secret(slug):
                    raise TokenError(f"LINE_CHANNEL_ID or LINE_CHANNEL_SECRET for {slug} unset")
                stateless = api.issue_stateless_channel_token(
                    grant_type="client_credentials",
                    client_id=channel_id,
                    client_secret=channel_secret(slug),
                    _request_timeout=settings.LINE_TIMEOUT_SECONDS,
                )
                token, expires_in, key_id = stateless.access_token, stateless.expires_in, ""
    except ApiException as error:
        # LINE's answer names the problem (invalid kid, expired assertion); never the token.
        raise TokenError(f"LINE refused a {kind} token for {slug}: {error.status}") from error
    except (OSError, ValueError) as error:
        raise TokenError(f"LINE unreachable for a {kind} token for {slug}") from error
    return ChannelToken.objects.create(
        municipality=municipality,
        kind=kind,
        key_id=key_id or "",
        encrypted_token=_seal(token),
        issued_at=now,
        expires_at=now + datetime.timedelta(seconds=expires_in),
    )


def _usable(municipality: Municipality, kind: str, until: datetime.datetime) -> str:
    for row in ChannelToken.objects.filter(
        municipality=municipality, kind=kind, revoked_at__isnull=True, expires_at__gt=until
    ).order_by("-expires_at")[:1]:
        return _open(row.encrypted_token)
    return ""


def current(municipality: Municipality, kind: str) -> str:
    """A token of ``kind`` good for a while yet, issued now if there is none; raises TokenError.

    Issuing takes a lock on the account's settings row: two workers finding none at once get
    the same new token, not one each.
    """
    until = clock.now() + USE_MARGIN
    token = _usable(municipality, kind, until)
    if token:
        return token
    with transaction.atomic():
        LineAccountSettings.objects.select_for_update().filter(municipality=municipality).first()
        token = _usable(municipality, kind, until)
        if token:
            return token
        return _open(issue(municipality, kind).encrypted_token)


def token_for(slug: str) -> str | None:
    """The sender's token source: None where the account uses the static token, "" where an
    issued token was wanted and could not be had (the sender retries later)."""
    row = (
        LineAccountSettings.objects.filter(municipality__slug=slug)
        .select_related("municipality")
        .first()
    )
    if row is None or row.token_kind == Kind.STATIC:
        return None
    try:
        return current(row.municipality, row.token_kind)
    except TokenError as error:
        logger.warning("LINE channel access token: %s", error)
        return ""


@dataclass(frozen=True)
class Renewal:
    issued: int = 0
    revoked: int = 0
    failed: int = 0


def renew_all() -> Renewal:
    """Beat: a new v2.1 token where the newest expires within RENEW_BEFORE, and Kizuna's own
    older v2.1 tokens revoked once their successor has been in use for a while."""
    issued = revoked = failed = 0
    now = clock.now()
    for row in LineAccountSettings.objects.filter(token_kind=Kind.V2_1).select_related(
        "municipality"
    ):
        municipality = row.municipality
        try:
            if not _usable(municipality, Kind.V2_1, now + RENEW_BEFORE):
                with transaction.atomic():
                    LineAccountSettings.objects.select_for_update().filter(pk=row.pk).first()
                    if not _usable(municipality, Kind.V2_1, now + RENEW_BEFORE):
                        issue(municipality, Kind.V2_1)
                        issued += 1
            revoked += revoke_superseded(municipality)
        except TokenError as error:
            failed += 1
            logger.warning("LINE channel access token renewal: %s", error)
    return Renewal(issued, revoked, failed)


def revoke_superseded(municipality: Municipality) -> int:
    """Revoke Kizuna's v2.1 tokens older than its newest, once REVOKE_AFTER has passed since
    the newest was issued. Only rows of our own table, by their key id: nothing else is touched."""
    now = clock.now()
    mine = ChannelToken.objects.filter(
        municipality=municipality, kind=Kind.V2_1, revoked_at__isnull=True
    ).order_by("-issued_at")
    newest = mine.first()
    if newest is None or newest.issued_at > now - REVOKE_AFTER:
        return 0
    revoked = 0
    for old in mine.exclude(pk=newest.pk):
        if old.expires_at > now:
            revoke(old)
        ChannelToken.objects.filter(pk=old.pk).update(revoked_at=now)
        revoked += 1
    return revoked


def revoke(row: ChannelToken) -> None:
    """``POST /oauth2/v2.1/revoke`` for one token Kizuna issued (identified by its key id)."""
    slug = row.municipality.slug
    token = _open(row.encrypted_token)
    if not token or not row.key_id:
        return
    try:
        with _api() as client:
            ChannelAccessToken(client).revoke_channel_token_by_jwt(
                _env("LINE_CHANNEL_ID", slug),
                channel_secret(slug),
                token,
                _request_timeout=settings.LINE_TIMEOUT_SECONDS,
            )
    except ApiException as error:
        raise TokenError(f"LINE refused to revoke key {row.key_id} of {slug}") from error
    except (OSError, ValueError) as error:
        raise TokenError(f"LINE unreachable to revoke key {row.key_id} of {slug}") from error
