"""LINE messages as HTML, the way the LINE app lays them out: for staff to check a Flex Message
before turning it on, and for the chat screenshots in the README.

Everything from the message JSON is escaped; colours are taken only when they are hex codes.
"""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from content import selectors as content_selectors
from content.rendering import placeholder_values, render_message
from content.stages import Stage, stage_start
from delivery import line_flex
from delivery.senders.line import QuickButton, line_message, quick_reply
from kizuna import clock
from municipalities.models import ConsultationContact, Municipality
from subscribers import line_chat
from subscribers.line_chat import Reply

_HEX = re.compile(r"^#[0-9A-Fa-f]{6}([0-9A-Fa-f]{2})?$")
Json = dict[str, Any]


def _style(node: Json, *, background: bool = False) -> str:
    colour = node.get("backgroundColor" if background else "color")
    if isinstance(colour, str) and _HEX.match(colour):
        return f"{'background-color' if background else 'color'}:{colour}"
    return ""


def _component(node: Json) -> SafeString:
    kind = node.get("type")
    if kind == "box":
        inner = mark_safe("".join(_component(c) for c in node.get("contents", [])))  # noqa: S308 (each escaped)
        return format_html(
            '<div class="lp-box lp-{}" style="{}">{}</div>',
            node.get("layout", "vertical"),
            _style(node, background=True),
            inner,
        )
    if kind == "text":
        return format_html(
            '<p class="lp-text lp-size-{} lp-weight-{}" style="{}">{}</p>',
            node.get("size", "md"),
            node.get("weight", "regular"),
            _style(node),
            node.get("text", ""),
        )
    if kind == "separator":
        return mark_safe('<hr class="lp-separator">')
    if kind == "button":
        return format_html(
            '<span class="lp-button lp-{}">{}</span>',
            node.get("style", "link"),
            (node.get("action") or {}).get("label", ""),
        )
    return mark_safe("")


def message_html(message: Json) -> SafeString:
    """One message object (text with its quick reply buttons, or Flex) as the app shows it."""
    if message.get("type") == "flex":
        bubble = message.get("contents") or {}
        blocks = format_html_join(
            "",
            '<div class="lp-block lp-block-{}">{}</div>',
            ((block, _component(bubble[block])) for block in ("header", "body", "footer")
             if isinstance(bubble.get(block), dict)),
        )  # fmt: skip
        return format_html('<div class="lp-bubble lp-flex">{}</div>', blocks)
    chips = format_html_join(
        "",
        '<span class="lp-chip{}">{}</span>',
        (
            (" lp-chip-date" if item["action"]["type"] == "datetimepicker" else "",
             item["action"].get("label", ""))
            for item in (message.get("quickReply") or {}).get("items", [])
        ),
    )  # fmt: skip
    return format_html(
        '<div class="lp-bubble lp-from-account"><p class="lp-plain">{}</p></div>{}',
        message.get("text", ""),
        format_html('<div class="lp-chips">{}</div>', chips) if chips else "",
    )


def user_html(text: str) -> SafeString:
    """What the user sent (a tap shows as their own message)."""
    return format_html('<div class="lp-bubble lp-from-user"><p class="lp-plain">{}</p></div>', text)


@dataclass(frozen=True)
class StagePreview:
    stage_label: str
    message: Json  # what LINE would be sent (Flex, or the text where Flex does not fit)
    flex: bool
    size_bytes: int
    line_text: str


def stage_preview(
    municipality: Municipality, stage: Stage, on: datetime.date
) -> StagePreview | None:
    """The stage text a family entering ``stage`` on ``on`` would get, as its Flex Message."""
    text = content_selectors.stage_message_for(stage, audience="everyone", language="ja")
    if text is None:
        return None
    # The anchor whose family enters the stage on ``on``: stage_start shifts with the anchor.
    anchor = on + (on - stage_start(stage, on))
    track = stage.track.value
    rendered = render_message(
        text,
        municipality=municipality,
        placeholders=placeholder_values(
            municipality=municipality, track=track, anchor=anchor, on=on
        ),
        notices=content_selectors.notices_for(municipality, track=track, anchor=anchor, on=on),
        contacts=list(ConsultationContact.objects.filter(municipality=municipality)),
        manage_url="",
        unsubscribe_url="",
    )
    header = line_flex.stage_header(f"c0:stage:{stage.key}")
    message = line_message(rendered.line_text, header, flex=True).to_dict()
    return StagePreview(
        stage_label=header,
        message=message,
        flex=message.get("type") == "flex",
        size_bytes=len(json.dumps(message.get("contents") or message, ensure_ascii=False).encode()),
        line_text=rendered.line_text,
    )


PREVIEW_USER = "U" + "0" * 31 + "f"  # no real user: the steps run in a transaction rolled back


def signup_transcript(municipality: Municipality) -> list[tuple[str, Json]]:
    """The chat signup as a newcomer sees it, up to the consent question: ("user", text) and
    ("account", message) turns, made by the real chat code in a transaction rolled back."""
    turns: list[tuple[str, Json]] = []

    def account(reply: Reply | None) -> None:
        if reply is not None:
            buttons = reply.buttons()
            message: Json = {"type": "text", "text": reply.text}
            if buttons:
                built = quick_reply([QuickButton.from_json(b) for b in buttons])
                message["quickReply"] = built.to_dict() if built else {}
            turns.append(("account", message))

    today = clock.today()
    with transaction.atomic():
        account(line_chat.followed(municipality, PREVIEW_USER))
        turns.append(("user", {"text": "妊娠中です"}))
        account(line_chat.wrote(municipality, PREVIEW_USER, "妊娠中です"))
        due = today + datetime.timedelta(days=200)
        turns.append(("user", {"text": f"（日付を選択）{due.year}年{due.month}月{due.day}日"}))
        account(line_chat.picked(municipality, PREVIEW_USER, "kizuna:due", due))
        turns.append(("user", {"text": "本人"}))
        account(line_chat.wrote(municipality, PREVIEW_USER, "本人"))
        transaction.set_rollback(True)
    return turns


def transcript_html(turns: list[tuple[str, Json]]) -> SafeString:
    return mark_safe(  # noqa: S308 (each part escaped)
        "".join(
            user_html(turn["text"]) if who == "user" else message_html(turn) for who, turn in turns
        )
    )
