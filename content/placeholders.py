"""The placeholders a message text may use, and how to find them."""

import re

KNOWN_PLACEHOLDERS = {
    "nickname": "読者のニックネーム",
    "municipality": "自治体名（例: 江東区）",
    "service_name": "サービス名（例: こんにちは赤ちゃんメール）",
    "week": "妊娠週数",
    "days_until_due": "出産予定日までの日数",
    "age_months": "月齢（生後Nか月のN）",
    "age_days": "生後日数",
}

# Anything between double braces counts, so that "{{nick_name}}" or "{{ 週数 }}" is reported
# as unknown instead of slipping through as literal text.
PLACEHOLDER_PATTERN = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")


def placeholders_in(text: str) -> list[str]:
    """Names used as ``{{ name }}`` in ``text``, in order of appearance."""
    return PLACEHOLDER_PATTERN.findall(text)


def unknown_placeholders(text: str) -> list[str]:
    """Names in ``text`` that the renderer does not know, each once."""
    return sorted({name for name in placeholders_in(text) if name not in KNOWN_PLACEHOLDERS})


# Names every text may use; the others only make sense on one track, so a child message asking
# for {{ week }} would go out with a blank where the number should be.
COMMON_PLACEHOLDERS = ("nickname", "municipality", "service_name")
TRACK_PLACEHOLDERS = {
    "pregnancy": ("week", "days_until_due"),
    "child": ("age_months", "age_days"),
}
TRACK_LABELS_JA = {"pregnancy": "妊娠中", "child": "出生後"}


def placeholders_for(track: str | None) -> tuple[str, ...]:
    """The names a text on ``track`` may use (``None``: texts sent on either track)."""
    return COMMON_PLACEHOLDERS + TRACK_PLACEHOLDERS.get(track or "", ())


def track_of_placeholder(name: str) -> str | None:
    """The track a track-specific placeholder belongs to, or ``None`` for common ones."""
    for track, names in TRACK_PLACEHOLDERS.items():
        if name in names:
            return track
    return None
