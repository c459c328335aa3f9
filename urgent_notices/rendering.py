"""An urgent notice as readers get it: the same renderer, sanitising and footer as every message."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from content.rendering import RenderedMessage, placeholder_values, render_message
from content.validators import (
    LINE_TEXT_LIMIT,
    SAMPLE_NICKNAME,
    SAMPLE_TOKEN,
    line_too_long,
)

if TYPE_CHECKING:
    from municipalities.models import Municipality

    from .models import UrgentNotice

SUBJECT_PREFIX = "【重要なお知らせ】"


@dataclass(frozen=True)
class UrgentText:
    """What render_message needs from a text."""

    subject: str
    body: str
    language: str = "ja"
    kind: str = "urgent"


def as_text(notice: UrgentNotice) -> UrgentText:
    return UrgentText(subject=SUBJECT_PREFIX + notice.title, body=notice.body)


def render_notice(
    notice: UrgentNotice,
    *,
    municipality: Municipality,
    nickname: str,
    manage_url: str,
    unsubscribe_url: str,
    contacts=(),
) -> RenderedMessage:
    return render_message(
        as_text(notice),
        municipality=municipality,
        placeholders=placeholder_values(municipality=municipality, nickname=nickname),
        contacts=contacts,
        manage_url=manage_url,
        unsubscribe_url=unsubscribe_url,
    )


def check_line_length(notice: UrgentNotice) -> None:
    """The notice, with greeting, contacts and footer, must fit LINE's limit for every reader."""
    municipality = notice.municipality
    base = f"/m/{municipality.slug}/"
    rendered = render_notice(
        notice,
        municipality=municipality,
        nickname=SAMPLE_NICKNAME,
        manage_url=base + SAMPLE_TOKEN,
        unsubscribe_url=base + SAMPLE_TOKEN,
        contacts=list(municipality.contacts.all()),
    )
    if rendered.line_length > LINE_TEXT_LIMIT:
        raise line_too_long(
            rendered.line_length, "あいさつ・相談窓口・配信停止の案内を含む", "body"
        )
