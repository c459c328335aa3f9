"""The interface every channel implements: a batch of composed messages in, one result each out.

Like healthchecks' transports and anymail's backends: the dispatcher knows nothing of SMTP or
LINE, and a new channel (SMS) is one new module beside these.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol


class Outcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"  # transient: timeout, 429, 5xx; try again later
    FAILED = "failed"  # permanent: bad address, blocked; stop this channel for the reader
    # The provider refused the request itself (a text too long, our token, our plan): the
    # message fails with the reason for operators to see, and no reader is stopped for it.
    REFUSED = "refused"


@dataclass(frozen=True)
class OutgoingMessage:
    delivery_id: int
    municipality_id: int
    to: str  # an email address or a LINE user id
    subject: str
    html: str
    text: str
    line_text: str
    sender_name: str
    sender_email: str
    headers: dict[str, str] = field(default_factory=dict)
    message_id: str = ""  # stable per delivery: a resend is recognisable as the same message
    # The retry key of an earlier request that carried this message and may have been accepted
    # (LINE): the message must go again in a request with this key, which LINE drops if so.
    retry_key: str = ""
    # LINE quick-reply buttons under the text: (label, postback data), the same for every reader
    # of the text (the reader is the postback's sender), so a multicast still carries them all.
    line_postbacks: tuple[tuple[str, str], ...] = ()
    # Files sent with an email (name, content, MIME type): a health check's .ics. LINE carries
    # a link instead, written into the text by the kind.
    attachments: tuple[tuple[str, bytes, str], ...] = ()
    # The stage a LINE message is about (「妊娠20週0日」): the header of its Flex Message.
    line_header: str = ""
    # The LINE aggregation unit of a stage message (``p_w20``), for Insight's per-stage counts.
    line_unit: str = ""


@dataclass(frozen=True)
class Result:
    delivery_id: int
    outcome: Outcome
    provider_message_id: str = ""
    error: str = ""
    retry_after: float | None = None  # seconds, when the provider said (Retry-After)


class Sender(Protocol):
    channel: str
    # Results to gather before the dispatcher records them. 1 records each request as soon as
    # it is answered, so a crash resends as little as possible; a channel whose requests are
    # idempotent (LINE's retry keys) can gather more and spend fewer database writes.
    record_every: int

    def send(self, messages: list[OutgoingMessage]) -> Iterator[list[Result]]:
        """Send each message once, yielding what each provider request settled.

        Yielding per request lets the dispatcher record a message as sent right after the
        provider took it, which keeps the window in which a crash could resend it tiny. Never
        raise for a per-message problem: report it as a result.
        """
        ...


def retry_after_seconds(headers: Mapping[str, str] | None) -> float | None:
    """The provider's ``Retry-After`` in seconds, from any mapping of headers, if it sent one."""
    for name, value in dict(headers or {}).items():
        if name.lower() == "retry-after":
            try:
                return float(value)
            except (TypeError, ValueError):
                return None
    return None
