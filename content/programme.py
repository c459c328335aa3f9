"""What the programme promises: which stages get a message, for whom, in which language.

The single Python statement of the table in content/packs/README.md, shared by the timeline
preview, the coverage report and the LINE length check.
"""

from __future__ import annotations

from .pack import SPECIAL_KINDS as SPECIAL_KINDS  # one list, shared with the pack reader
from .pack import stage_label
from .stages import Stage, Track, Unit

PREGNANCY_WEEKS = range(4, 43)
BIRTHDAY_AGES = (1, 2, 3)
DEFAULT_PROGRAMME_MONTHS = 36


def pregnancy_stages() -> list[Stage]:
    return [Stage(Track.PREGNANCY, Unit.WEEK, week) for week in PREGNANCY_WEEKS]


def child_stages(months: int = DEFAULT_PROGRAMME_MONTHS) -> list[Stage]:
    """Daily for the first week, weekly to 3 weeks, monthly to ``months``, plus 100 and 1000 days."""
    return (
        [Stage(Track.CHILD, Unit.DAY, day) for day in range(7)]
        + [Stage(Track.CHILD, Unit.WEEK, week) for week in range(1, 4)]
        + [Stage(Track.CHILD, Unit.MONTH, month) for month in range(1, months + 1)]
        + [Stage(Track.CHILD, Unit.DAY, 100), Stage(Track.CHILD, Unit.DAY, 1000)]
    )


def programme_stages(track: str, months: int = DEFAULT_PROGRAMME_MONTHS) -> list[Stage]:
    return pregnancy_stages() if track == Track.PREGNANCY else child_stages(months)


_PARTNER_CHILD = [
    stage
    for stage in child_stages()
    if not (stage.unit == Unit.MONTH and stage.number > 12) and stage.number not in (100, 1000)
]
_GRANDPARENT = [Stage(Track.PREGNANCY, Unit.WEEK, week) for week in (12, 24, 36)] + [
    Stage(Track.CHILD, Unit.DAY, 0),
    *(Stage(Track.CHILD, Unit.MONTH, month) for month in (1, 2, 4, 6, 9, 12, 18, 24)),
]

# (language, audience) -> the stages promised a text of their own. Missing variants elsewhere
# fall back to "everyone", then to Japanese (content.selectors.variant_order).
PROMISED_STAGES: dict[tuple[str, str], list[Stage]] = {
    ("ja", "everyone"): pregnancy_stages() + child_stages(),
    ("en", "everyone"): pregnancy_stages() + child_stages(),
    ("ja", "partner"): pregnancy_stages() + _PARTNER_CHILD,
    ("ja", "grandparent"): _GRANDPARENT,
}

UNIT_SUFFIX_JA = {
    (Track.PREGNANCY, Unit.DAY): "日",
    (Track.PREGNANCY, Unit.WEEK): "週",
    (Track.PREGNANCY, Unit.MONTH): "か月",
    (Track.CHILD, Unit.DAY): "日",
    (Track.CHILD, Unit.WEEK): "週",
    (Track.CHILD, Unit.MONTH): "か月",
    (Track.CHILD, Unit.YEAR): "歳",
}


def stage_label_ja(stage: Stage) -> str:
    """妊娠20週, 生後3日, 生後2週, 生後4か月, 1歳6か月: the words staff and parents use."""
    if stage.track == Track.PREGNANCY and stage.unit == Unit.DAY:
        return f"妊娠{stage.number // 7}週{stage.number % 7}日"
    if stage.track == Track.PREGNANCY and stage.unit == Unit.MONTH:
        return f"妊娠{stage.number}か月"
    if stage.track == Track.CHILD and stage.unit == Unit.YEAR:
        return f"{stage.number}歳"
    return stage_label("ja", stage)


def stage_range_label(track: str, unit: str, number_from: int, number_to: int) -> str:
    """Where a notice appears, in staff words: 「子ども 3〜4か月」, 「妊娠 20〜24週」."""
    try:
        suffix = UNIT_SUFFIX_JA[(Track(track), Unit(unit))]
    except (KeyError, ValueError):
        return ""
    track_word = "妊娠" if track == Track.PREGNANCY else "子ども"
    if number_from == number_to:
        return f"{track_word} {number_from}{suffix}"
    return f"{track_word} {number_from}〜{number_to}{suffix}"
