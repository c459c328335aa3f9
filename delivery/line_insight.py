"""LINE aggregation units for stage messages, so LINE's Insight API can count per stage how many
readers opened a message and tapped a link in it (``customAggregationUnits``).

One unit per week of pregnancy and per week, month or year of the child (``p_w20``, ``c_w3``,
``c_m4``, ``c_y2``), not per daily text: LINE returns null below 20 readers, and a municipality
has a few families a day at each stage, so a week or a month is the grain that shows numbers.
There are about 150 such names, well under LINE's 1,000 a month per account.

LINE's rules for a unit name (Messaging API reference, "Send push message"): one per request, 1
to 30 characters, half-width letters, digits and underscore only (so ``p_w20``, not ``p-w20``).
"""

from __future__ import annotations

import re

from content.stages import Track, Unit, child_month_label_ja

from .outbox import STAGE, MessageKey

UNIT_NAME = re.compile(r"[A-Za-z0-9_]{1,30}")


def stage_unit(message_key: str) -> str:
    """The aggregation unit of a stage message's key, "" for any other message."""
    try:
        key = MessageKey.parse(message_key)
    except (ValueError, KeyError, IndexError):
        return ""
    stage = key.stage
    if key.kind != STAGE or stage is None:
        return ""
    if stage.track == Track.PREGNANCY:
        if stage.unit == Unit.DAY:
            name = f"p_w{stage.number // 7}"
        elif stage.unit == Unit.WEEK:
            name = f"p_w{stage.number}"
        else:
            name = f"p_m{stage.number}"
    elif stage.unit == Unit.DAY:
        name = f"c_w{stage.number // 7}"
    elif stage.unit == Unit.WEEK:
        name = f"c_w{stage.number}"
    elif stage.unit == Unit.MONTH:
        name = f"c_m{stage.number}"
    else:
        name = f"c_y{stage.number}"
    return name if UNIT_NAME.fullmatch(name) else ""


_LABEL = re.compile(r"([pc])_([wmy])(\d+)")


def unit_label(unit: str) -> str:
    """「妊娠20週」, 「生後3週」, 「生後4か月」, 「2歳」 for a unit name; the name itself otherwise."""
    match = _LABEL.fullmatch(unit)
    if match is None:
        return unit
    track, grain, number = match[1], match[2], int(match[3])
    if track == "p":
        return f"妊娠{number}週" if grain == "w" else f"妊娠{number}か月"
    if grain == "w":
        return f"生後{number}週"
    if grain == "m":
        return child_month_label_ja(number)
    return f"{number}歳"


def unit_order(unit: str) -> tuple[int, int]:
    """Sorts units along the programme: pregnancy before the child, then by age."""
    match = _LABEL.fullmatch(unit)
    if match is None:
        return (9, 0)
    track, grain, number = match[1], match[2], int(match[3])
    if track == "p":
        return (0, number * (4 if grain == "m" else 1))
    days = {"w": 7, "m": 30, "y": 365}[grain]
    return (1, number * days)
