"""The cells of a report table, and the small-count rule every count obeys.

A count under 10 is shown as 「10未満」 wherever it appears (page, PDF, Excel, sentences), and a
share built on such a count is not shown at all: with the whole known, the part could be worked
back.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

SMALL = 10
HIDDEN = "10未満"
NOT_SHOWN = "—"


@dataclass(frozen=True)
class Count:
    """How many families, readers or events: hidden under 10."""

    n: int

    @property
    def hidden(self) -> bool:
        return self.n < SMALL

    @property
    def value(self) -> int | str:
        """For a spreadsheet: the number, or the text that replaces it."""
        return HIDDEN if self.hidden else self.n

    def __str__(self) -> str:
        return HIDDEN if self.hidden else f"{self.n:,}"


@dataclass(frozen=True)
class Number:
    """A public figure (births from vital statistics, messages sent): always shown."""

    n: int | None
    unit: str = ""

    @property
    def hidden(self) -> bool:
        return False

    @property
    def value(self) -> int | str:
        return NOT_SHOWN if self.n is None else self.n

    def __str__(self) -> str:
        return "未入力" if self.n is None else f"{self.n:,}{self.unit}"


def percent(part: int, whole: int) -> Decimal | None:
    """One decimal, rounded half up as published reports do; None of nothing."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


@dataclass(frozen=True)
class Share:
    """``part`` of ``whole`` as a percentage; not shown when either is a small count.

    ``public_whole``: the whole is a public figure (births), so only the part must be 10 or more.
    ``pending``: the period has not ended for anyone yet (retention after 24 months).
    """

    part: int
    whole: int
    public_whole: bool = False
    pending: bool = False

    @property
    def hidden(self) -> bool:
        return self.part < SMALL or (not self.public_whole and self.whole < SMALL)

    @property
    def percent(self) -> Decimal | None:
        if self.pending or self.hidden:
            return None
        return percent(self.part, self.whole)

    @property
    def value(self) -> float | str:
        shown = self.percent
        return str(self) if shown is None else float(shown)

    def __str__(self) -> str:
        if self.pending:
            return "未到来"
        if not self.whole:
            return NOT_SHOWN
        shown = self.percent
        return NOT_SHOWN if shown is None else f"{shown}%"


@dataclass(frozen=True)
class Text:
    text: str

    @property
    def hidden(self) -> bool:
        return False

    @property
    def value(self) -> str:
        return self.text

    def __str__(self) -> str:
        return self.text


Cell = Count | Number | Share | Text


def count_text(n: int, unit: str = "") -> str:
    """A count inside a sentence: 「1,234人」, or 「10未満」 under the rule."""
    return HIDDEN if n < SMALL else f"{n:,}{unit}"
