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
