"""A stage message as a LINE Flex Message: a header with the stage (「妊娠20週0日」, 「生後4か月」),
the body, the municipality's notices and buttons, built from the plain LINE text.

Built from the text, not beside it: readers who get the same text get the same bubble, so the
sender's grouping of identical texts into one multicast holds as it is (a text with a reader's
nickname is its own group either way). The buttons send chat commands (「設定」, 「相談窓口」), not
personal links, for the same reason. A bubble over LINE's size limit, or a text without the
plain layout, gives None: the plain text goes instead.

LINE's Messaging API reference (Flex Message): ``altText`` at most 1,500 characters, a bubble's
JSON at most 30 KB; a button's label at most 40 characters.
"""

from __future__ import annotations

import json
from typing import Any

from content.stages import Stage, Track, Unit, child_month_label_ja

from .outbox import MessageKey

ALT_TEXT_LIMIT = 400  # ours, under LINE's 1,500: a notification shows far less
BUBBLE_LIMIT_BYTES = 30 * 1024
BUTTONS = ("設定", "相談窓口")
RULE = "━━━━━━━━━━"
FOOTER_RULE = "――――"
ACCENT = "#E4788A"

Json = dict[str, Any]


def stage_header(message_key: str) -> str:
    """「妊娠20週0日」, 「生後4日」, 「生後4か月」, 「1歳」 for a stage message's key, else ""."""
    try:
        key = MessageKey.parse(message_key)
    except (ValueError, KeyError):
        return ""
    stage: Stage | None = key.stage
    if stage is None:
        return f"{key.age}歳の誕生日" if key.age else ""
    if stage.track == Track.PREGNANCY:
        if stage.unit == Unit.WEEK:
            return f"妊娠{stage.number}週0日"
        if stage.unit == Unit.MONTH:
            return f"妊娠{stage.number}か月"
        return f"妊娠{stage.number // 7}週{stage.number % 7}日"
    if stage.unit == Unit.DAY:
        return f"生後{stage.number}日"
    if stage.unit == Unit.WEEK:
        return f"生後{stage.number}週"
    if stage.unit == Unit.MONTH:
        return child_month_label_ja(stage.number)
    return f"{stage.number}歳"


def _text(text: str, **style: Any) -> Json:
    return {"type": "text", "text": text, "wrap": True, **style}


def _sections(line_text: str) -> tuple[str, list[str], list[str], list[str]] | None:
    """(subject, body paragraphs, notice lines, sender lines) of a plain LINE text."""
    lines = line_text.strip("\n").split("\n")
    if not lines or not (lines[0].startswith("【") and lines[0].endswith("】")):
        return None
    subject = lines[0][1:-1]
    try:
        footer_at = lines.index(FOOTER_RULE)
    except ValueError:
        return None
    main, sender = lines[1:footer_at], lines[footer_at + 1 :]
    notices: list[str] = []
    if RULE in main:
        first = main.index(RULE)
        main, notices = main[:first], [line for line in main[first:] if line != RULE]
    paragraphs = [p.strip() for p in "\n".join(main).split("\n\n") if p.strip()]
    # The last sender line names the chat commands, which the buttons replace.
    return subject, paragraphs, [n for n in notices if n.strip()], sender[:-1] or sender


def stage_flex(line_text: str, header: str) -> Json | None:
    """The Flex Message (``type: flex``) for ``line_text``, or None to send the text as it is."""
    parts = _sections(line_text)
    if parts is None:
        return None
    subject, paragraphs, notices, sender = parts
    title = header or subject
    body: list[Json] = [_text(p, size="sm", color="#333333") for p in paragraphs]
    if notices:
        body.append({"type": "separator", "margin": "lg"})
        body.append(_text(notices[0], weight="bold", size="sm", margin="lg", color=ACCENT))
        body += [_text(line, size="sm", color="#333333") for line in notices[1:]]
    if sender:
        body.append({"type": "separator", "margin": "lg"})
        body.append(_text("\n".join(sender), size="xxs", color="#888888", margin="md"))
    bubble: Json = {
        "type": "bubble",
        "header": {
            "type": "box",
            "layout": "vertical",
            "backgroundColor": "#FDF1F3",
            "contents": [
                _text(title, weight="bold", size="lg", color=ACCENT),
                *([_text(subject, size="sm", color="#555555")] if header else []),
            ],
        },
        "body": {"type": "box", "layout": "vertical", "spacing": "md", "contents": body},
        "footer": {
            "type": "box",
            "layout": "horizontal",
            "spacing": "sm",
            "contents": [
                {
                    "type": "button",
                    "style": "secondary",
                    "height": "sm",
                    "action": {"type": "message", "label": label, "text": label},
                }
                for label in BUTTONS
            ],
        },
    }
    if len(json.dumps(bubble, ensure_ascii=False).encode()) > BUBBLE_LIMIT_BYTES:
        return None
    alt = f"{header}　{subject}" if header else subject
    return {"type": "flex", "altText": alt[:ALT_TEXT_LIMIT], "contents": bubble}
