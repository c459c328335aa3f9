"""Options, points and thresholds of a questionnaire: plain Python, no database.

A municipality that holds the rights to a validated screen (EPDS and the like) enters its items
as scored questions with the thresholds its manual gives; Kizuna ships no such text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

CONTACT_MARK = "連絡"
SEPARATORS = ("|", "｜")


class OptionError(ValueError):
    """An option line that cannot be read; the message is for the staff member who wrote it."""


@dataclass(frozen=True)
class Option:
    label: str
    points: int | None = None
    contact: bool = False  # choosing it asks the health staff to get in touch


def _split(line: str) -> list[str]:
    for separator in SEPARATORS[1:]:
        line = line.replace(separator, SEPARATORS[0])
    return [part.strip() for part in line.split(SEPARATORS[0])]


def parse_options(text: str, *, scored: bool) -> list[Option]:
    """One option a line: ``選択肢``, ``点数|選択肢`` when scored; ``…|連絡`` marks a contact wish."""
    options = []
    for number, raw in enumerate((line for line in text.splitlines() if line.strip()), start=1):
        parts = _split(raw)
        contact = len(parts) > 1 and parts[-1] == CONTACT_MARK
        if contact:
            parts = parts[:-1]
        points = None
        if scored:
            if len(parts) != 2 or not parts[0].isdigit():
                raise OptionError(
                    f"{number}行目: 点数つきの選択肢は「点数|選択肢」の形で書いてください"
                    "（例: 0|まったくない）。"
                )
            points, parts = int(parts[0]), parts[1:]
        if len(parts) != 1 or not parts[0]:
            raise OptionError(
                f"{number}行目: 選択肢の文が読めません（「|」は点数と「連絡」の区切りにだけ使えます）。"
            )
        if len(parts[0]) > 200:
            raise OptionError(f"{number}行目: 選択肢は200文字以内にしてください。")
        options.append(Option(parts[0], points, contact))
    return options


@dataclass(frozen=True)
class Given:
    """One question's answer as the rules see it: its number on the form, options, choices."""

    number: int
    options: Sequence[Option]
    chosen: Sequence[int] = ()  # 1-based option numbers
    item_threshold: int | None = None

    @property
    def points(self) -> int | None:
        scores = [self.options[i - 1].points for i in self.chosen]
        known = [p for p in scores if p is not None]
        return sum(known) if known else None


@dataclass(frozen=True)
class Evaluation:
    total: int | None
    wants_contact: bool
    reasons: list[str] = field(default_factory=list)

    @property
    def crossed(self) -> bool:
        """A threshold was reached (apart from a wish to be contacted)."""
        return any(not r.endswith("連絡を希望") for r in self.reasons)

    @property
    def opens_case(self) -> bool:
        return bool(self.reasons)


def evaluate(given: Sequence[Given], *, total_threshold: int | None) -> Evaluation:
    """The total score, whether contact was asked for, and why a case opens (in staff words)."""
    reasons = []
    scored = [g.points for g in given if g.points is not None]
    total = sum(scored) if scored else None
    if total_threshold is not None and total is not None and total >= total_threshold:
        reasons.append(f"合計{total}点（{total_threshold}点以上）")
    for g in given:
        points = g.points
        if g.item_threshold is not None and points is not None and points >= g.item_threshold:
            reasons.append(f"問{g.number}が{points}点（{g.item_threshold}点以上）")
    wants_contact = any(g.options[i - 1].contact for g in given for i in g.chosen)
    if wants_contact:
        numbers = [g.number for g in given if any(g.options[i - 1].contact for i in g.chosen)]
        reasons.append("、".join(f"問{n}" for n in numbers) + "で連絡を希望")
    return Evaluation(total, wants_contact, reasons)
