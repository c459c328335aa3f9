"""The Japanese font every printed page uses (the signup flyer, the review packet)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings


class FontUnavailable(Exception):
    """No Japanese font on this machine; the message says what to install."""


def japanese_fonts() -> tuple[Path, Path]:
    """The regular and bold font files (bold falls back to regular)."""
    regular = Path(settings.KIZUNA_FLYER_FONT)
    bold = Path(settings.KIZUNA_FLYER_BOLD_FONT)
    if not regular.exists():
        raise FontUnavailable(
            f"PDF用の日本語フォント {regular} がありません。"
            "apt-get install fonts-noto-cjk でインストールするか、KIZUNA_FLYER_FONT を設定してください。"
        )
    return regular, bold if bold.exists() else regular


def add_japanese_fonts(pdf: Any, family: str = "jp") -> None:
    """Register the fonts with an fpdf2 document as ``family`` (regular and "B")."""
    regular, bold = japanese_fonts()
    index = {"collection_font_number": 0} if regular.suffix == ".ttc" else {}
    pdf.add_font(family, "", str(regular), **index)
    pdf.add_font(family, "B", str(bold), **index)
