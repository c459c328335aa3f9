"""Reading content: which text a reader gets, which notices join it, what is missing.

The variant rule lives here once: the delivery planner, the timeline preview and the coverage
report all ask :func:`variant_order` / :func:`choose_variant`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, TypeVar

from django.db.models import Max, Q

from kizuna.choices import Language

from .models import Audience, BirthdayMessage, LocalNotice, SpecialMessage, StageMessage
from .pack import LOSS_MESSAGE_KINDS
from .programme import (
    BANDS,
    PROMISED_BIRTHDAY_AGES,
    PROMISED_STAGES,
    SPECIAL_KINDS,
    band_of,
    programme_from,
    programme_summary_ja,
    stage_label_ja,
)
from .stages import Stage, Track, Unit

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from municipalities.models import Municipality

T = TypeVar("T")
FALLBACK_LANGUAGE = Language.JA.value
EXPIRY_WARNING_DAYS = 30


def languages_to_try(language: str, chain: Sequence[str] | None = None) -> tuple[str, ...]:
    """The reader's fallback chain (content.language_policy), or their language then Japanese."""
    return tuple(dict.fromkeys([*(chain or (language,)), FALLBACK_LANGUAGE]))


def variant_order(
    audience: str, language: str, chain: Sequence[str] | None = None
) -> list[tuple[str, str]]:
    """(audience, language) pairs to try, best first.

    Within each language of the reader's chain, the reader's own variant, then the text for
    everyone: a partner reading English gets the English text for everyone before any Japanese
    text, and a Nepali reader the やさしい日本語 text before the Japanese one.
    """
    pairs = []
    for each in languages_to_try(language, chain):
        pairs += [(audience, each), (Audience.EVERYONE.value, each)]
    return list(dict.fromkeys(pairs))


def choose_variant(
    candidates: Iterable[T],
    *,
    audience: str,
    language: str,
    chain: Sequence[str] | None = None,
) -> T | None:
    """The best of ``candidates`` (texts of one stage or kind) for a reader, or None."""
    by_variant = {
        (getattr(text, "audience", Audience.EVERYONE.value), text.language): text
        for text in candidates
    }
    for pair in variant_order(audience, language, chain):
        if pair in by_variant:
            return by_variant[pair]
    return None


def _texts(queryset: QuerySet, include_drafts: bool, approved_only: bool = False) -> QuerySet:
    texts = queryset if include_drafts else queryset.published()
    # Where only reviewed texts may go out, an unreviewed variant is as good as none: the reader
    # gets the next variant that is approved, or nothing (never the unreviewed text).
    return texts.approved() if approved_only else texts  # type: ignore[union-attr]


def stage_message_for(
    stage: Stage,
    *,
    audience: str,
    language: str,
    include_drafts: bool = False,
    approved_only: bool = False,
    chain: Sequence[str] | None = None,
) -> StageMessage | None:
    """The published stage message a reader gets for ``stage`` (drafts too in previews)."""
    candidates = _texts(StageMessage.objects, include_drafts, approved_only).filter(
        track=stage.track.value,
        unit=stage.unit.value,
        number=stage.number,
        language__in=languages_to_try(language, chain),
    )
    return choose_variant(candidates, audience=audience, language=language, chain=chain)


def special_message_for(
    kind: str,
    *,
    audience: str,
    language: str,
    include_drafts: bool = False,
    approved_only: bool = False,
    chain: Sequence[str] | None = None,
) -> SpecialMessage | None:
    """The welcome, birth, loss, graduation or birth-check message for a reader."""
    candidates = _texts(SpecialMessage.objects, include_drafts, approved_only).filter(
        kind=kind, language__in=languages_to_try(language, chain)
    )
    return choose_variant(candidates, audience=audience, language=language, chain=chain)


def loss_message_for(
    loss: str,
    *,
    audience: str,
    language: str,
    include_drafts: bool = False,
    approved_only: bool = False,
    chain: Sequence[str] | None = None,
) -> SpecialMessage | None:
    """The message after a loss, written for the situation reported, else the general one.

    ``loss`` is what the parent reported (miscarriage, stillbirth, infant_death). The reader's
    language comes first: an English reader gets the general English text before a Japanese
    text written for the situation.
    """
    kinds = [kind for kind in (LOSS_MESSAGE_KINDS.get(loss), SpecialMessage.Kind.LOSS) if kind]
    candidates = list(
        _texts(SpecialMessage.objects, include_drafts, approved_only).filter(
            kind__in=kinds, language__in=languages_to_try(language, chain)
        )
    )
    for each_language in languages_to_try(language, chain):
        for kind in kinds:
            found = choose_variant(
                [t for t in candidates if t.kind == kind and t.language == each_language],
                audience=audience,
                language=each_language,
            )
            if found is not None:
                return found
    return None


def birthday_message_for(
    municipality: Municipality,
    age_years: int,
    *,
    language: str,
    include_drafts: bool = False,
    approved_only: bool = False,
    chain: Sequence[str] | None = None,
) -> BirthdayMessage | None:
    """The municipality's own birthday message for this age, else the national default.

    Language first: an English reader gets the English default before the municipality's
    Japanese text.
    """
    candidates = {
        (message.municipality_id, message.language): message
        for message in _texts(BirthdayMessage.objects, include_drafts, approved_only).filter(
            # SQL's IN never matches NULL: the national defaults need their own condition.
            Q(municipality__isnull=True) | Q(municipality=municipality.pk),
            age_years=age_years,
            language__in=languages_to_try(language, chain),
        )
    }
    keys = []
    for each in languages_to_try(language, chain):
        keys += [(municipality.pk, each), (None, each)]
    for key in keys:
        if key in candidates:
            return candidates[key]
    return None


def birthday_message_exists(
    municipality_id: int, age_years: int, *, language: str, chain: Sequence[str] | None = None
) -> bool:
    """Whether any published birthday text (approved or not) would reach this reader."""
    return (
        BirthdayMessage.objects.published()
        .filter(
            Q(municipality__isnull=True) | Q(municipality=municipality_id),
            age_years=age_years,
            language__in=languages_to_try(language, chain),
        )
        .exists()
    )


def notices_for(
    municipality: Municipality,
    *,
    track: str,
    anchor: date,
    on: date,
    include_drafts: bool = False,
) -> list[LocalNotice]:
    """The municipality's notices shown to a family with ``anchor`` on ``on``, in order.

    A notice is shown while the family's age, in the notice's unit, is inside its range (child
    months 3–4: every message from 生後3か月 until the day before 生後5か月) and ``on`` is inside
    its date window. Channel is left to the renderer, which puts each notice in the formats its
    channel allows.
    """
    notices = _texts(LocalNotice.objects, include_drafts).filter(
        municipality=municipality, track=track
    )
    return select_notices(notices.shown_on(on), track=track, anchor=anchor, on=on)


def select_notices(
    notices: Iterable[LocalNotice], *, track: str, anchor: date, on: date
) -> list[LocalNotice]:
    """The notices among ``notices`` (already loaded) shown on ``on``, by order."""
    shown = [
        notice
        for notice in notices
        if notice.track == track
        and (notice.starts_on is None or notice.starts_on <= on)
        and (notice.ends_on is None or notice.ends_on >= on)
        and notice.applies_at(anchor=anchor, on=on)
    ]
    return sorted(shown, key=lambda notice: (notice.order, notice.pk or 0))


def _latest_history_ids(model: type, ids: Sequence[int]) -> dict[int, int]:
    history = model.history.model
    rows = history.objects.filter(id__in=ids).values("id").annotate(latest=Max("history_id"))
    return {row["id"]: row["latest"] for row in rows}


def current_versions(
    *,
    stage_message: StageMessage | None = None,
    special_message: SpecialMessage | None = None,
    birthday_message: BirthdayMessage | None = None,
    notices: Sequence[LocalNotice] = (),
) -> dict[str, int | list[int] | None]:
    """History ids of the texts used for one message, for a delivery to record what it sent.

    e.g. ``{"stage_message": 123, "local_notices": [45, 46]}``; a text saved before history was
    kept has ``None``. Call it just before sending: the ids are those of the current versions.
    """
    versions: dict[str, int | list[int] | None] = {}
    for key, text in (
        ("stage_message", stage_message),
        ("special_message", special_message),
        ("birthday_message", birthday_message),
    ):
        if text is not None:
            versions[key] = _latest_history_ids(type(text), [text.pk]).get(text.pk)
    if notices:
        latest = _latest_history_ids(LocalNotice, [notice.pk for notice in notices])
        versions["local_notices"] = [latest.get(notice.pk) for notice in notices]
    return versions


# Coverage -------------------------------------------------------------------------------------

AUDIENCE_LABELS = dict(Audience.choices)
LANGUAGE_LABELS = dict(Language.choices)


@dataclass(frozen=True)
class StageGap:
    stage: Stage
    label: str
    draft: bool  # a text exists but is not published yet


@dataclass(frozen=True)
class BandCoverage:
    """One band of the programme: how many of its promised stages have a published text."""

    label: str
    promised: int
    covered: int


def _bands(stages: Iterable[Stage], have: Iterable[Stage]) -> list[BandCoverage]:
    have = set(have)
    promised: dict[str, int] = dict.fromkeys((band.name for band in BANDS), 0)
    covered: dict[str, int] = dict.fromkeys((band.name for band in BANDS), 0)
    for stage in stages:
        promised[band_of(stage)] += 1
        covered[band_of(stage)] += stage in have
    return [
        BandCoverage(band.label_ja, promised[band.name], covered[band.name])
        for band in BANDS
        if promised[band.name]
    ]


@dataclass(frozen=True)
class CoverageRow:
    """One (language, audience) the programme promises, and the stages it still lacks."""

    language: str
    audience: str
    promised: int
    gaps: list[StageGap] = field(default_factory=list)
    bands: list[BandCoverage] = field(default_factory=list)
    # Published, but not the version medical reviewers approved: municipalities that send only
    # reviewed texts fall back to another approved variant, or send nothing that day.
    unreviewed: list[StageGap] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"{LANGUAGE_LABELS.get(self.language, self.language)}・{AUDIENCE_LABELS.get(self.audience, self.audience)}"

    @property
    def covered(self) -> int:
        return self.promised - len(self.gaps)

    @property
    def approved(self) -> int:
        return self.covered - len(self.unreviewed)


@dataclass(frozen=True)
class ExpiringNotice:
    notice: LocalNotice
    days_left: int


@dataclass(frozen=True)
class MunicipalityCoverage:
    municipality: Municipality
    own_birthdays: list[int]  # ages with the municipality's own published birthday message
    uncovered_months: list[int]  # programme months beyond what the pack covers
    expiring: list[ExpiringNotice]
    cadence: str = ""  # the municipality's programme in staff words
    bands: list[BandCoverage] = field(default_factory=list)  # its cadence's stages, per band


def stage_coverage() -> list[CoverageRow]:
    """For each promised (language, audience): stages without a published message."""
    published: set[tuple] = set()
    drafts: set[tuple] = set()
    for row in StageMessage.objects.values_list(
        "track", "unit", "number", "audience", "language", "published"
    ):
        (published if row[5] else drafts).add(row[:5])
    approved = set(
        StageMessage.objects.published()
        .approved()
        .values_list("track", "unit", "number", "audience", "language")
    )
    rows = []
    for (language, audience), stages in PROMISED_STAGES.items():
        gaps, unreviewed = [], []
        for stage in stages:
            key = (stage.track.value, stage.unit.value, stage.number, audience, language)
            if key not in published:
                gaps.append(StageGap(stage, stage_label_ja(stage), draft=key in drafts))
            elif key not in approved:
                unreviewed.append(StageGap(stage, stage_label_ja(stage), draft=False))
        missing = {gap.stage for gap in gaps}
        bands = _bands(stages, [stage for stage in stages if stage not in missing])
        rows.append(CoverageRow(language, audience, len(stages), gaps, bands, unreviewed))
    return rows


def special_coverage() -> dict[str, list[str]]:
    """Per language, the special messages (for everyone) and default birthdays not published."""
    kinds = dict(SpecialMessage.Kind.choices)
    have = set(
        SpecialMessage.objects.published()
        .filter(audience=Audience.EVERYONE)
        .values_list("kind", "language")
    )
    birthdays = set(
        BirthdayMessage.objects.published()
        .filter(municipality=None)
        .values_list("age_years", "language")
    )
    missing: dict[str, list[str]] = {}
    for language in (Language.JA.value, Language.EN.value):
        missing[language] = [
            str(kinds.get(kind, kind)) for kind in SPECIAL_KINDS if (kind, language) not in have
        ] + [
            f"{age}歳の誕生日（既定）"
            for age in PROMISED_BIRTHDAY_AGES[language]
            if (age, language) not in birthdays
        ]
    return missing


def municipality_coverage(
    municipalities: Iterable[Municipality], *, today: date
) -> list[MunicipalityCoverage]:
    """Per municipality: own birthday messages, months past the pack, notices about to expire."""
    municipalities = list(municipalities)
    japanese = {
        Stage(Track(t), Unit(u), n)
        for t, u, n in StageMessage.objects.published()
        .filter(audience=Audience.EVERYONE, language="ja")
        .values_list("track", "unit", "number")
    }
    pack_months = {
        number
        for number in StageMessage.objects.published()
        .filter(track=Track.CHILD, unit=Unit.MONTH, audience=Audience.EVERYONE, language="ja")
        .values_list("number", flat=True)
    }
    own = {}
    for municipality_id, age in (
        BirthdayMessage.objects.published()
        .filter(municipality__in=municipalities)
        .values_list("municipality_id", "age_years")
    ):
        own.setdefault(municipality_id, set()).add(age)
    expiring: dict[int, list[ExpiringNotice]] = {}
    for notice in expiring_notices(municipalities, today=today):
        expiring.setdefault(notice.municipality_id, []).append(
            ExpiringNotice(notice, (notice.ends_on - today).days)
        )
    return [
        MunicipalityCoverage(
            municipality=municipality,
            own_birthdays=sorted(own.get(municipality.pk, ())),
            uncovered_months=[
                month
                for month in range(1, programme_from(municipality).longest_months + 1)
                if month not in pack_months
            ],
            expiring=expiring.get(municipality.pk, []),
            cadence=programme_summary_ja(programme_from(municipality)),
            bands=_bands(programme_from(municipality).stages(), japanese),
        )
        for municipality in municipalities
    ]


def expiring_notices(
    municipalities: Iterable[Municipality], *, today: date, days: int = EXPIRY_WARNING_DAYS
) -> list[LocalNotice]:
    """Published notices of these municipalities whose window closes within ``days`` days."""
    return list(
        LocalNotice.objects.expiring(today, days)
        .filter(municipality__in=list(municipalities))
        .select_related("municipality")
        .order_by("ends_on", "municipality__code", "order")
    )
