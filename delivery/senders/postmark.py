"""Email through Postmark's batch API: up to 500 separate messages in one request.

django-anymail sends one message per API call, which is right for the mail a person triggers
(a confirmation, a manage link) but makes a national morning a million calls. Here each reader
still gets their own message (their nickname, their signed links, their Message-ID); only the
HTTP request is shared. The account's token and API address are anymail's settings, so the
site has one Postmark configuration.

Accepted but unanswered (a timeout, a 5xx after Postmark took the batch): the whole batch goes
again later with the same ``Message-ID`` headers, so a mailbox that got it shows one message.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from email.utils import formataddr
from typing import TypedDict

import requests
from django.conf import settings

from kizuna import email_addresses

from .. import pacing
from .base import Outcome, OutgoingMessage, Result, retry_after_seconds
from .email import CIRCUIT_BREAKER, EMAIL_ACCOUNT

BATCH_LIMIT = 500  # Postmark's maximum messages per batch request
DEFAULT_API_URL = "https://api.postmarkapp.com/"
# Per-message error codes that are about the recipient (inactive, invalid address): stop.
RECIPIENT_ERRORS = {300, 406}


def batch_size() -> int:
    return max(1, min(int(settings.KIZUNA_EMAIL_BATCH_SIZE), BATCH_LIMIT))


def is_configured() -> bool:
    return bool(
        settings.EMAIL_BACKEND == "anymail.backends.postmark.EmailBackend"
        and settings.KIZUNA_EMAIL_BATCH_SIZE > 1
    )


class PostmarkBatchSender:
    channel = "email"
    record_every = 1  # each batch is recorded as soon as Postmark has answered it

    def __init__(self) -> None:
        anymail = getattr(settings, "ANYMAIL", {}) or {}
        self._url = str(anymail.get("POSTMARK_API_URL") or DEFAULT_API_URL).rstrip("/")
        self._url += "/email/batch"
        self._token = str(anymail.get("POSTMARK_SERVER_TOKEN") or "")
        self._timeout = float(anymail.get("REQUESTS_TIMEOUT") or 30)
        self._session = requests.Session()
        self._session.trust_env = False  # no proxy lookup from the environment per request

    def send(self, messages: list[OutgoingMessage]) -> Iterator[list[Result]]:
        size = batch_size()
        transient_in_a_row = 0
        try:
            for start in range(0, len(messages), size):
                chunk = messages[start : start + size]
                if transient_in_a_row >= CIRCUIT_BREAKER:
                    yield [_retry(m, "メールサーバーが応答しません") for m in chunk]
                    continue
                results = self._send_batch(chunk)
                retried = all(r.outcome == Outcome.RETRY for r in results)
                transient_in_a_row = transient_in_a_row + 1 if retried else 0
                yield results
        finally:
            self._session.close()

    def _send_batch(self, chunk: list[OutgoingMessage]) -> list[Result]:
        if not self._token:
            return [
                _retry(m, "PostmarkのサーバートークンANYMAIL_POSTMARK_SERVER_TOKENが未設定です")
                for m in chunk
            ]
        body = json.dumps([_payload(m) for m in chunk], ensure_ascii=False).encode()
        pacing.wait_for_slot(EMAIL_ACCOUNT, settings.KIZUNA_EMAIL_PER_SECOND)
        try:
            response = self._session.post(
                self._url,
                data=body,
                headers={
                    "Accept": "application/json",
                    "Content-Type": "application/json",
                    "X-Postmark-Server-Token": self._token,
                },
                timeout=self._timeout,
            )
        except (requests.RequestException, OSError) as error:
            return [_retry(m, f"{type(error).__name__}: {error}") for m in chunk]
        status = response.status_code
        if status != 200:
            # A refused request is never about one reader (their errors come per message in a
            # 200): a limit, an outage, or our token or request, so nobody's mail is stopped.
            retry_after = retry_after_seconds(response.headers)
            if status == 429:  # the account's limit: every worker waits, not just this one
                pacing.hold_back(EMAIL_ACCOUNT, retry_after or 1.0)
            refused = f"Postmark {status}: {_message_of(response)}"
            return [_retry(m, refused, retry_after) for m in chunk]
        try:
            answers = response.json()
        except ValueError:
            answers = None
        if not isinstance(answers, list) or len(answers) != len(chunk):
            # Postmark took the request but its answer can't be matched to the messages: they
            # go again, and their Message-IDs keep a mailbox from showing a second copy.
            return [_retry(m, "Postmarkの応答を読めませんでした") for m in chunk]
        return [_result(m, answer) for m, answer in zip(chunk, answers, strict=True)]


class PostmarkHeader(TypedDict):
    Name: str
    Value: str


class PostmarkAttachment(TypedDict):
    Name: str
    Content: str  # base64
    ContentType: str


class PostmarkMessage(TypedDict, total=False):
    """One message of Postmark's batch API (``POST /email/batch``)."""

    From: str
    To: str
    Subject: str
    HtmlBody: str
    TextBody: str
    Headers: list[PostmarkHeader]
    Attachments: list[PostmarkAttachment]


def _payload(message: OutgoingMessage) -> PostmarkMessage:
    headers = {"Message-ID": message.message_id, **message.headers}
    payload: PostmarkMessage = {
        "From": formataddr((message.sender_name, message.sender_email)),
        "To": email_addresses.for_sending(message.to),
        "Subject": message.subject,
        "HtmlBody": message.html,
        "TextBody": message.text,
        "Headers": [{"Name": name, "Value": value} for name, value in headers.items()],
    }
    if message.attachments:
        payload["Attachments"] = [
            {
                "Name": name,
                "Content": base64.b64encode(content).decode("ascii"),
                "ContentType": mimetype,
            }
            for name, content, mimetype in message.attachments
        ]
    return payload


def _result(message: OutgoingMessage, answer: object) -> Result:
    if not isinstance(answer, dict):
        return _retry(message, "Postmarkの応答を読めませんでした")
    code = answer.get("ErrorCode", 0)
    if code == 0 and answer.get("MessageID"):
        return Result(
            message.delivery_id, Outcome.SENT, provider_message_id=str(answer["MessageID"])
        )
    if code in RECIPIENT_ERRORS:
        # Postmark's text names the address: keep personal data out of last_error.
        return Result(
            message.delivery_id, Outcome.FAILED, error=f"ESP: 宛先が拒否されました ({code})"
        )
    return _retry(message, f"Postmark ErrorCode {code}")


def _retry(message: OutgoingMessage, error: str, retry_after: float | None = None) -> Result:
    return Result(message.delivery_id, Outcome.RETRY, error=error[:500], retry_after=retry_after)


def _message_of(response: requests.Response) -> str:
    try:
        return str(response.json().get("Message", ""))[:300]
    except (ValueError, AttributeError):
        return response.text[:300]
