"""Email through Django's mail connection: SMTP from EMAIL_URL, or any ESP via django-anymail."""

from __future__ import annotations

import contextlib
import smtplib
from collections.abc import Iterator
from email.utils import formataddr

from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend

from kizuna import email_addresses

from .. import pacing
from .base import Outcome, OutgoingMessage, Result, retry_after_seconds

TRANSIENT_HTTP = {408, 425, 429, 500, 502, 503, 504}
CIRCUIT_BREAKER = 3  # transient failures in a row before the rest of a batch waits
EMAIL_ACCOUNT = "email"  # one mail connection (SMTP server or ESP account) for the whole site


class EmailSender:
    channel = "email"
    record_every = 1  # mail has no retry key: record each message as soon as it is taken

    def __init__(self, connection: BaseEmailBackend | None = None) -> None:
        self._connection = connection

    def _open(self) -> BaseEmailBackend:
        if self._connection is None:
            self._connection = get_connection(fail_silently=False)
        self._connection.open()
        return self._connection

    def _reset(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self._connection.close()  # the server may have hung up already
            self._connection = None

    def send(self, messages: list[OutgoingMessage]) -> Iterator[list[Result]]:
        transient_in_a_row = 0
        try:
            for message in messages:
                if transient_in_a_row >= CIRCUIT_BREAKER:
                    # The server is down or hanging: don't spend a timeout on every message.
                    yield [
                        Result(
                            message.delivery_id, Outcome.RETRY, error="メールサーバーが応答しません"
                        )
                    ]
                    continue
                result = self._send_one(message)
                transient_in_a_row = (
                    transient_in_a_row + 1 if result.outcome == Outcome.RETRY else 0
                )
                yield [result]
        finally:
            self._reset()

    def _send_one(self, message: OutgoingMessage) -> Result:
        email = EmailMultiAlternatives(
            subject=message.subject,
            body=message.text,
            from_email=formataddr((message.sender_name, message.sender_email)),
            to=[email_addresses.for_sending(message.to)],
            headers={"Message-ID": message.message_id, **message.headers},
        )
        email.attach_alternative(message.html, "text/html")
        for name, content, mimetype in message.attachments:
            email.attach(name, content, mimetype)
        try:
            email.connection = self._open()
            pacing.wait_for_slot(EMAIL_ACCOUNT, settings.KIZUNA_EMAIL_PER_SECOND)
            email.send()
        except AnymailRecipientsRefused:
            # The exception's text names the address: keep personal data out of last_error.
            return Result(message.delivery_id, Outcome.FAILED, error="ESP: 宛先が拒否されました")
        except AnymailAPIError as error:
            status = getattr(error, "status_code", None)
            if status is None or status in TRANSIENT_HTTP:
                self._reset()
                retry_after = retry_after_seconds(
                    getattr(getattr(error, "response", None), "headers", None)
                )
                if status == 429:  # the account's limit: every worker waits, not just this one
                    pacing.hold_back(EMAIL_ACCOUNT, retry_after or 1.0)
                return Result(
                    message.delivery_id,
                    Outcome.RETRY,
                    error=str(error)[:500],
                    retry_after=retry_after,
                )
            return Result(message.delivery_id, Outcome.FAILED, error=str(error)[:500])
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            outcome = Outcome.RETRY if all(400 <= c < 500 for c in codes) else Outcome.FAILED
            return Result(message.delivery_id, outcome, error=f"SMTP {codes}"[:500])
        except smtplib.SMTPResponseException as error:
            self._reset()
            outcome = Outcome.RETRY if 400 <= error.smtp_code < 500 else Outcome.FAILED
            return Result(message.delivery_id, outcome, error=f"SMTP {error.smtp_code}"[:500])
        except (TimeoutError, smtplib.SMTPException, OSError) as error:
            self._reset()
            return Result(
                message.delivery_id, Outcome.RETRY, error=f"{type(error).__name__}: {error}"[:500]
            )
        status = getattr(email, "anymail_status", None)
        if status is not None and status.status and status.status <= {"rejected", "invalid"}:
            return Result(message.delivery_id, Outcome.FAILED, error=f"ESP: {status.status}")
        provider_id = (status.message_id if status is not None else None) or message.message_id
        return Result(message.delivery_id, Outcome.SENT, provider_message_id=str(provider_id))
