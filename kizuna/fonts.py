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


# Fonts for the scripts the Japanese font lacks (Vietnamese letters, Devanagari), from Debian's
# fonts-noto-core: a flyer in Tiếng Việt or नेपाली draws every letter with a real font.
FALLBACK_FONTS = {
    "latin": ("NotoSans-Regular.ttf", "NotoSans-Bold.ttf"),
    "deva": ("NotoSansDevanagari-Regular.ttf", "NotoSansDevanagari-Bold.ttf"),
}
FALLBACK_FONT_DIR = Path("/usr/share/fonts/truetype/noto")


def add_fallback_fonts(pdf: Any) -> list[str]:
    """Register the fallback fonts found on this machine; the families registered."""
    families = []
    for family, (regular, bold) in FALLBACK_FONTS.items():
        regular_path, bold_path = FALLBACK_FONT_DIR / regular, FALLBACK_FONT_DIR / bold
        if not regular_path.exists():
            continue
        pdf.add_font(family, "", str(regular_path))
        pdf.add_font(family, "B", str(bold_path if bold_path.exists() else regular_path))
        families.append(family)
    if families:
        pdf.set_fallback_fonts(families)
    return families
