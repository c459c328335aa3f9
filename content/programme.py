"""What the programme promises: which stages get a message, for whom, in which language.

The single Python statement of the table in content/packs/README.md, shared by the timeline
preview, the coverage report and the LINE length check.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any, cast

from django.utils import translation
from django.utils.translation import gettext, gettext_lazy

from kizuna.choices import CADENCE_PRESETS, Cadence

from .pack import SPECIAL_KINDS as SPECIAL_KINDS  # one list, shared with the pack reader
from .pack import stage_label
from .stages import DAYS_PER_WEEK, Stage, Track, Unit, add_months, stage_start

PREGNANCY_WEEKS = range(4, 43)
BIRTHDAY_AGES = (1, 2, 3)
DEFAULT_PROGRAMME_MONTHS = 36
# The longest programme: to the end of 小学1年生 for a child born on 2 April (7歳11か月).
LONGEST_PROGRAMME_MONTHS = 95
ALL_BIRTHDAY_AGES = (1, 2, 3, 4, 5, 6, 7)


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
# fall back to "everyone", then to Japanese (content.selectors.variant_order). Japanese is
# promised every step of the finest cadence to the longest end (FINEST, below); the other
# languages and the variants keep the original weekly and monthly steps.
PROMISED_STAGES: dict[tuple[str, str], list[Stage]] = {
    ("ja", "everyone"): pregnancy_stages() + child_stages(),  # replaced by FINEST's below
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


# --- The daily programme: cadence per age band -------------------------------------------------
#
# Every band has anchors (the weekly and monthly texts written first) and finer steps between
# them. A coarser cadence keeps a subset of a finer one's steps and always keeps the anchors, so
# switching cadence never repeats a text, never sends two on one day and never skips the band's
# next anchor. On a day where an anchor and a finer step fall together, the anchor wins.

PREGNANCY_DAYS = range(4 * DAYS_PER_WEEK, 42 * DAYS_PER_WEEK)  # 妊娠4週0日 … 41週6日
NEWBORN_DAYS = range(8, 100)  # the daily steps between the first week and 生後100日
INFANT_DAYS = range(103, 365, 3)  # every 3rd day after 生後100日, to the first birthday
AGE_ONE_WEEKS = range(53, 105)
AGE_TWO_WEEKS = range(105, 157)


CADENCE_LABELS_JA = {cadence: str(cadence.label) for cadence in Cadence}


@dataclass(frozen=True)
class Band:
    name: str
    label_ja: str
    choices: tuple[Cadence, ...]


BANDS = (
    Band("pregnancy", "妊娠中（4週〜41週）", (Cadence.DAILY, Cadence.WEEKLY)),
    Band("newborn", "生後0〜100日", (Cadence.DAILY, Cadence.WEEKLY)),
    Band("infant", "生後100日〜1歳", (Cadence.EVERY_3_DAYS, Cadence.WEEKLY, Cadence.MONTHLY)),
    Band("age_one", "1歳", (Cadence.WEEKLY, Cadence.EVERY_14_DAYS, Cadence.MONTHLY)),
    Band("age_two", "2歳", (Cadence.EVERY_14_DAYS, Cadence.WEEKLY, Cadence.MONTHLY)),
    Band("preschool", "3歳から配信の終わりまで", (Cadence.MONTHLY, Cadence.WEEKLY, Cadence.OFF)),
)


@dataclass(frozen=True)
class Programme:
    """A municipality's choice: a cadence per band, and where the programme ends.

    ``months`` ends it on that month birthday (36 = the 3rd birthday); ``to_first_grade`` ends it
    on 31 March of the child's 小学1年生 instead. With ``preschool`` off it ends at 3 years.
    """

    pregnancy: Cadence = Cadence.WEEKLY
    newborn: Cadence = Cadence.WEEKLY
    infant: Cadence = Cadence.MONTHLY
    age_one: Cadence = Cadence.MONTHLY
    age_two: Cadence = Cadence.MONTHLY
    preschool: Cadence = Cadence.MONTHLY
    months: int = DEFAULT_PROGRAMME_MONTHS
    to_first_grade: bool = False

    def __post_init__(self) -> None:
        for band in BANDS:
            if Cadence(getattr(self, band.name)) not in band.choices:
                raise ValueError(f"{band.name} cannot be {getattr(self, band.name)}")

    @property
    def cadences(self) -> tuple[Cadence, ...]:
        return tuple(Cadence(getattr(self, band.name)) for band in BANDS)

    @property
    def longest_months(self) -> int:
        """The most months after birth any child of this programme is followed."""
        if self.preschool == Cadence.OFF:
            return min(self.months, DEFAULT_PROGRAMME_MONTHS)
        return LONGEST_PROGRAMME_MONTHS if self.to_first_grade else self.months

    def end(self, birth: datetime.date) -> datetime.date:
        """The programme's last day (its graduation message) for a child born on ``birth``."""
        if self.to_first_grade and self.preschool != Cadence.OFF:
            return first_grade_end(birth)
        return add_months(birth, min(self.months, self.longest_months))

    def stages(self) -> list[Stage]:
        return list(_stages_of(self))

    def birthday_ages(self) -> list[int]:
        return [age for age in ALL_BIRTHDAY_AGES if age * 12 <= self.longest_months]


PRESETS = CADENCE_PRESETS
FINEST = Programme(
    **cast(dict[str, Any], PRESETS["daily"][1]), to_first_grade=True
)  # what the pack is written for


def _all_programme_stages() -> frozenset[Stage]:
    finest_each_band = {band.name: band.choices[0] for band in BANDS}
    weekly_after_one = {"age_two": Cadence.WEEKLY, "preschool": Cadence.WEEKLY}
    return frozenset(
        FINEST.stages()
        + Programme(
            **cast(dict[str, Any], {**finest_each_band, **weekly_after_one}), to_first_grade=True
        ).stages()
    )


def first_grade_end(birth: datetime.date) -> datetime.date:
    """31 March of the school year in which the child is in 小学1年生.

    A child enters school in the April after turning 6; one born on 1 April is in the year above
    (the school year counts from 2 April).
    """
    entry_year = birth.year + (7 if (birth.month, birth.day) >= (4, 2) else 6)
    return datetime.date(entry_year + 1, 3, 31)


def _pregnancy_steps(cadence: Cadence) -> list[Stage]:
    days = [d for d in PREGNANCY_DAYS if d % DAYS_PER_WEEK] if cadence == Cadence.DAILY else []
    return [Stage(Track.PREGNANCY, Unit.DAY, d) for d in days]


def _newborn_steps(cadence: Cadence) -> list[Stage]:
    anchors = {DAYS_PER_WEEK * week for week in range(1, 4)}
    days = [d for d in NEWBORN_DAYS if d not in anchors]
    if cadence == Cadence.WEEKLY:
        days = [d for d in days if d % DAYS_PER_WEEK == 0]
    return [Stage(Track.CHILD, Unit.DAY, d) for d in days]


def _infant_steps(cadence: Cadence) -> list[Stage]:
    if cadence == Cadence.MONTHLY:
        return []
    days = list(INFANT_DAYS)
    if cadence == Cadence.WEEKLY:  # the first 3-day step of each week of age
        first_of_week: dict[int, int] = {}
        for day in days:
            first_of_week.setdefault(day // DAYS_PER_WEEK, day)
        days = sorted(first_of_week.values())
    return [Stage(Track.CHILD, Unit.DAY, d) for d in days]


def _weekly_steps(cadence: Cadence, weeks: range) -> list[Stage]:
    if cadence == Cadence.WEEKLY:
        chosen = list(weeks)
    elif cadence == Cadence.EVERY_14_DAYS:
        chosen = [w for w in weeks if w % 2 == 0]
    else:
        chosen = []
    return [Stage(Track.CHILD, Unit.WEEK, w) for w in chosen]


@functools.cache
def _stages_of(programme: Programme) -> tuple[Stage, ...]:
    return tuple(programme_stages_for(programme))


def programme_stages_for(programme: Programme) -> list[Stage]:
    """Every stage a programme may send, anchors and steps, in calendar order.

    Month stages run to the longest end; which of them a child reaches depends on its birth date
    (:meth:`Programme.end`).
    """
    longest = programme.longest_months
    stages = pregnancy_stages() + _pregnancy_steps(programme.pregnancy)
    stages += child_stages(longest)
    stages += _newborn_steps(programme.newborn)
    stages += _infant_steps(programme.infant)
    stages += _weekly_steps(programme.age_one, AGE_ONE_WEEKS)
    stages += _weekly_steps(programme.age_two, AGE_TWO_WEEKS)
    if programme.preschool == Cadence.WEEKLY and longest > DEFAULT_PROGRAMME_MONTHS:
        last_week = (longest + 1) * 31 // DAYS_PER_WEEK
        stages += [Stage(Track.CHILD, Unit.WEEK, w) for w in range(157, last_week + 1)]
    return sorted(set(stages), key=stage_order)


UNIT_RANK = {Unit.YEAR: 3, Unit.MONTH: 2, Unit.WEEK: 1, Unit.DAY: 0}


def stage_order(stage: Stage) -> tuple[int, int]:
    """Calendar order of the stages of one track (pregnancy before child)."""
    track = 0 if stage.track == Track.PREGNANCY else 1
    if stage.track == Track.PREGNANCY:
        return track, {Unit.DAY: 1, Unit.WEEK: 7, Unit.MONTH: 28}[stage.unit] * stage.number
    days = {Unit.DAY: 1, Unit.WEEK: 7, Unit.MONTH: 30.44, Unit.YEAR: 365.25}[stage.unit]
    return track, round(days * stage.number * 10)


def anchor_wins(first: Stage, second: Stage) -> Stage:
    """Of two stages a family enters on the same day, the one it gets: the coarser (the anchor)."""
    return first if UNIT_RANK[first.unit] >= UNIT_RANK[second.unit] else second


def is_anchor(stage: Stage) -> bool:
    """A weekly or monthly text of the original programme (what a weekly municipality keeps)."""
    return stage in _ANCHORS


_ANCHORS = frozenset(pregnancy_stages() + child_stages(LONGEST_PROGRAMME_MONTHS))


def band_of(stage: Stage) -> str:
    """The band a stage belongs to (for the coverage page and the forecast)."""
    if stage.track == Track.PREGNANCY:
        return "pregnancy"
    days = {Unit.DAY: 1, Unit.WEEK: 7, Unit.MONTH: 30.44, Unit.YEAR: 365.25}[stage.unit]
    age = days * stage.number
    if age <= 100:
        return "newborn"
    if age < 365:
        return "infant"
    if age < 730:
        return "age_one"
    if age < 1095:
        return "age_two"
    return "preschool"


def programme_from(obj: object) -> Programme:
    """The :class:`Programme` of a municipality (or anything with the same fields)."""
    values = {}
    for each in fields(Programme):
        attribute = "programme_months" if each.name == "months" else f"cadence_{each.name}"
        if each.name == "to_first_grade":
            attribute = "programme_to_first_grade"
        if hasattr(obj, attribute):
            values[each.name] = getattr(obj, attribute)
    return Programme(**values)


# Every stage some cadence may send: a stage outside it is no band's, and no cadence drops it.
ALL_PROGRAMME_STAGES = _all_programme_stages()


def stages_by_day(
    stages: Iterable[Stage], anchor: datetime.date, start: datetime.date, end: datetime.date
) -> list[tuple[datetime.date, Stage]]:
    """(day, stage) for each day from ``start`` to ``end`` on which the family enters one of
    ``stages`` (one track's), one stage a day: where an anchor and a step share a day, the anchor."""
    by_day: dict[datetime.date, Stage] = {}
    for stage in stages:
        on = stage_start(stage, anchor)
        if start <= on <= end:
            kept = by_day.get(on)
            by_day[on] = stage if kept is None else anchor_wins(kept, stage)
    return sorted(by_day.items())


PROMISED_STAGES[("ja", "everyone")] = FINEST.stages()
PROMISED_BIRTHDAY_AGES = {"ja": FINEST.birthday_ages(), "en": list(BIRTHDAY_AGES)}
BAND_LABELS_JA = {band.name: band.label_ja for band in BANDS}


def programme_summary_ja(programme: Programme) -> str:
    """「妊娠中 毎日・生後0〜100日 毎日・…・小学1年生の3月まで」: a cadence in staff words."""
    parts = [
        f"{band.label_ja} {CADENCE_LABELS_JA[Cadence(getattr(programme, band.name))]}"
        for band in BANDS
    ]
    return "・".join(parts) + "・" + programme_end_ja(programme)


def programme_end_ja(programme: Programme) -> str:
    """「小学1年生の3月まで」: the programme's end in staff words (always Japanese)."""
    with translation.override("ja"):
        return programme_end(programme) + "まで"


def programme_end(programme: Programme) -> str:
    """The programme's last day as the signup page names it, in the active language
    (「小学1年生の3月」, 「3歳の誕生日」): a noun, so each language places its own "until"."""
    if programme.to_first_grade and programme.preschool != Cadence.OFF:
        return gettext("小学1年生の3月")
    years, rest = divmod(programme.longest_months, 12)
    if rest == 0:
        return gettext("%(years)s歳の誕生日") % {"years": years}
    return gettext("%(years)s歳%(months)sか月") % {"years": years, "months": rest}


_CHILD_PROMISE = {
    ("newborn", Cadence.DAILY): gettext_lazy("生後100日までは毎日"),
    ("newborn", Cadence.WEEKLY): gettext_lazy("最初の1週間は毎日、生後100日までは毎週"),
    ("infant", Cadence.EVERY_3_DAYS): gettext_lazy("1歳までは3日ごと"),
    ("infant", Cadence.WEEKLY): gettext_lazy("1歳までは毎週"),
    ("infant", Cadence.MONTHLY): gettext_lazy("1歳までは毎月"),
    ("age_one", Cadence.WEEKLY): gettext_lazy("1歳の1年は毎週"),
    ("age_one", Cadence.EVERY_14_DAYS): gettext_lazy("1歳の1年は2週ごと"),
    ("age_one", Cadence.MONTHLY): gettext_lazy("1歳の1年は毎月"),
    ("age_two", Cadence.WEEKLY): gettext_lazy("2歳の1年は毎週"),
    ("age_two", Cadence.EVERY_14_DAYS): gettext_lazy("2歳の1年は2週ごと"),
    ("age_two", Cadence.MONTHLY): gettext_lazy("2歳の1年は毎月"),
    ("preschool", Cadence.WEEKLY): gettext_lazy("3歳から%(end)sまで毎週"),
    ("preschool", Cadence.MONTHLY): gettext_lazy("3歳から%(end)sまで毎月"),
}


@dataclass(frozen=True)
class Promise:
    """What the signup page says a family will receive (its 「届くもの」)."""

    until: str  # 小学1年生の3月, 3歳の誕生日
    pregnancy: str
    child: str


def promise(programme: Programme) -> Promise:
    """The signup page's 「届くもの」 for ``programme``, in the active language."""
    end = programme_end(programme)
    pregnancy = (
        gettext("妊娠中：妊娠4週から毎日。赤ちゃんの成長、からだの変化、その日に知っておきたいこと")
        if programme.pregnancy == Cadence.DAILY
        else gettext(
            "妊娠中：妊娠4週から毎週。赤ちゃんの成長、からだの変化、その週にしておきたいこと"
        )
    )
    parts = [
        str(_CHILD_PROMISE[(band.name, Cadence(getattr(programme, band.name)))]) % {"end": end}
        for band in BANDS[1:]
        if (band.name, Cadence(getattr(programme, band.name))) in _CHILD_PROMISE
        and not (band.name == "preschool" and programme.longest_months <= 36)
    ]
    child = gettext("出産後：%(parts)s。生後100日・1000日にも") % {
        "parts": gettext("、").join(parts)
    }
    return Promise(until=end, pregnancy=pregnancy, child=child)
