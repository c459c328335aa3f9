"""A local mailbox for `make run`: with no mail server configured and DEBUG on, every mail is
kept as an .eml file under var/mailbox/ and shown, decoded, at /dev/mailbox/.

Files rather than memory or a table: the web server and the Celery worker both send mail, and
both must land in the one mailbox without a migration.
"""

from __future__ import annotations

import datetime
import email
import email.policy
import re
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend

from . import clock

NAME = re.compile(r"^[0-9]{8}T[0-9]{6}-[0-9a-f]{32}\.eml$")


def folder() -> Path:
    return Path(settings.VAR_DIR) / "mailbox"


class MailboxBackend(BaseEmailBackend):
    """Keeps each message as one .eml file; nothing leaves the machine."""

    def send_messages(self, email_messages) -> int:
        target = folder()
        target.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            if not message.recipients():
                continue
            stamp = clock.now().strftime("%Y%m%dT%H%M%S")
            path = target / f"{stamp}-{uuid.uuid4().hex}.eml"
            path.write_bytes(message.message().as_bytes(linesep="\r\n"))
            sent += 1
        return sent


@dataclass(frozen=True)
class Mail:
    name: str
    to: str
    sender: str
    subject: str
    sent_at: datetime.datetime | None
    text: str
    html: str


def _read(path: Path) -> Mail:
    message: EmailMessage = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    try:
        sent_at = parsedate_to_datetime(message["Date"]).astimezone(clock.TOKYO)
    except (TypeError, ValueError):
        sent_at = None
    return Mail(
        name=path.name,
        to=str(message["To"] or ""),
        sender=str(message["From"] or ""),
        subject=str(message["Subject"] or ""),
        sent_at=sent_at,
        text=text_part.get_content() if text_part else "",
        html=html_part.get_content() if html_part else "",
    )


def mails(limit: int = 200) -> list[Mail]:
    """The newest mails first."""
    if not folder().is_dir():
        return []
    paths = sorted(folder().glob("*.eml"), reverse=True)[:limit]
    return [_read(path) for path in paths]


def mail(name: str) -> Mail | None:
    if not NAME.match(name):
        return None
    path = folder() / name
    return _read(path) if path.is_file() else None
