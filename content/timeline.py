"""Every message one family receives, from signup to graduation, rendered as they will see it.

Used by the staff preview: a municipality and a due date (or a birth date) in, a dated list of
messages out, with the same variant choice, notices and rendering the delivery engine uses.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.http import urlencode

from .models import Audience, LocalNotice, SpecialMessage, StageMessage
from .programme import (
    is_anchor,
    pregnancy_stages,
    programme_from,
    stage_label_ja,
    stages_by_day,
)
from .rendering import RenderedMessage, placeholder_values, render_message
from .selectors import FALLBACK_LANGUAGE, birthday_message_for, choose_variant, select_notices
from .stages import Stage, Track, Unit, add_years, anchors_entering, stage_start

if TYPE_CHECKING:
    from municipalities.models import Municipality


# Messages on the same day, in the order a family reads them.
_KIND_ORDER = {"welcome": 0, "birth": 1, "stage": 2, "birthday": 3, "graduation": 4}
KIND_LABELS = {
    "welcome": "登録のお礼",
    "birth": "出産のお祝い",
    "stage": "ステージメッセージ",
    "birthday": "誕生日メッセージ",
    "graduation": "卒業",
}


@dataclass(frozen=True)
class TimelineEntry:
    on: date
    kind: str  # welcome, birth, stage, birthday, graduation
    label: str  # 妊娠20週, 生後4か月, 1歳の誕生日 …
    key: str  # stable id for links: stage-pregnancy-week-20, birthday-1 …
    text: Any | None  # the chosen StageMessage / SpecialMessage / BirthdayMessage, None if missing
    notices: list[LocalNotice] = field(default_factory=list)
    rendered: RenderedMessage | None = None
    reader_audience: str = Audience.EVERYONE.value
    reader_language: str = FALLBACK_LANGUAGE

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def missing(self) -> bool:
        return self.text is None

    @property
    def is_draft(self) -> bool:
        return self.text is not None and not self.text.published

    @property
    def has_draft_notice(self) -> bool:
        return any(not notice.published for notice in self.notices)

    @property
    def is_fallback(self) -> bool:
        """Whether the text is another audience's or language's, chosen by the fallback rule."""
        if self.text is None:
            return False
        audience = getattr(self.text, "audience", self.reader_audience)
        return self.text.language != self.reader_language or audience != self.reader_audience


@dataclass(frozen=True)
class Timeline:
    municipality: Municipality
    due_date: date | None
    birth_date: date | None
    signup_on: date
    child_from: date
    graduation_on: date
    entries: list[TimelineEntry]

    @property
    def missing(self) -> list[TimelineEntry]:
        return [entry for entry in self.entries if entry.missing]


def preview_urls(municipality: Municipality) -> tuple[str, str]:
    """Stand-ins for a reader's personal manage and unsubscribe links."""
    base = f"{settings.SITE_URL}/m/{municipality.slug}"
    return f"{base}/manage/preview/", f"{base}/unsubscribe/preview/"


def build_timeline(
    municipality: Municipality,
    *,
    due_date: date | None = None,
    birth_date: date | None = None,
    signup_on: date | None = None,
    audience: str = Audience.EVERYONE.value,
    language: str = FALLBACK_LANGUAGE,
    nickname: str = "",
    include_drafts: bool = False,
) -> Timeline:
    """The dated list of messages for one family, each rendered (HTML mail, text, LINE).

    The stages are the municipality's cadence (content.programme), one a day. Pregnancy stages
    count from the due date until the child track starts; the child track starts on the birth
    date, or on the due date as if born that day; it ends with graduation at the programme's end.
    A reader whose language has no text for a step between anchors gets nothing that day.
    """
    if due_date is None and birth_date is None:
        raise ValueError("a timeline needs a due date or a birth date")
    child_from: date = birth_date or due_date  # type: ignore[assignment]
    first_week = stage_start(pregnancy_stages()[0], due_date) if due_date else child_from
    start = signup_on or min(first_week, child_from)
    programme = programme_from(municipality)
    graduation_on = programme.end(child_from)
    cadence = programme.stages()

    stage_pool, special_pool = _load_texts(language, include_drafts)
    notice_pool = list(
        LocalNotice.objects.filter(municipality=municipality)
        if include_drafts
        else LocalNotice.objects.published().filter(municipality=municipality)
    )
    contacts = list(municipality.contacts.all())
    manage_url, unsubscribe_url = preview_urls(municipality)

    def make(
        on: date, kind: str, label: str, key: str, text: Any, track: str, anchor: date
    ) -> TimelineEntry:
        notices = (
            select_notices(notice_pool, track=track, anchor=anchor, on=on)
            if kind == "stage"
            else []
        )
        rendered = None
        if text is not None:
            rendered = render_message(
                text,
                municipality=municipality,
                placeholders=placeholder_values(
                    municipality=municipality, nickname=nickname, track=track, anchor=anchor, on=on
                ),
                notices=notices,
                contacts=contacts,
                manage_url=manage_url,
                unsubscribe_url=unsubscribe_url,
            )
        return TimelineEntry(on, kind, label, key, text, notices, rendered, audience, language)

    def special(kind: str) -> SpecialMessage | None:
        return choose_variant(special_pool.get(kind, []), audience=audience, language=language)

    entries: list[TimelineEntry] = []
    welcome_track = Track.PREGNANCY if due_date and start < child_from else Track.CHILD
    welcome_anchor = due_date if welcome_track == Track.PREGNANCY else child_from
    entries.append(
        make(
            start,
            "welcome",
            "登録のお礼",
            "welcome",
            special("welcome"),
            welcome_track,
            welcome_anchor,
        )
    )

    def sent_in_language(stage: Stage) -> bool:
        return is_anchor(stage) or any(t.language == language for t in stage_pool.get(stage, []))

    if due_date is not None:
        pregnancy = [s for s in cadence if s.track == Track.PREGNANCY and sent_in_language(s)]
        last_day = child_from - timedelta(days=1)
        for on, stage in stages_by_day(pregnancy, due_date, start, last_day):
            entries.append(_stage_entry(make, stage, on, due_date, stage_pool, audience, language))
    if start < child_from:
        entries.append(
            make(
                child_from,
                "birth",
                "出産のお祝い",
                "birth",
                special("birth"),
                Track.CHILD,
                child_from,
            )
        )
    child = [s for s in cadence if s.track == Track.CHILD and sent_in_language(s)]
    for on, stage in stages_by_day(child, child_from, start, graduation_on):
        entries.append(_stage_entry(make, stage, on, child_from, stage_pool, audience, language))
    for age in programme.birthday_ages():
        on = add_years(child_from, age)
        if start <= on <= graduation_on:
            text = birthday_message_for(
                municipality, age, language=language, include_drafts=include_drafts
            )
            entries.append(
                make(
                    on,
                    "birthday",
                    f"{age}歳の誕生日",
                    f"birthday-{age}",
                    text,
                    Track.CHILD,
                    child_from,
                )
            )
    entries.append(
        make(
            graduation_on,
            "graduation",
            "卒業",
            "graduation",
            special("graduation"),
            Track.CHILD,
            child_from,
        )
    )
    entries.sort(key=lambda entry: (entry.on, _KIND_ORDER[entry.kind]))
    return Timeline(
        municipality=municipality,
        due_date=due_date,
        birth_date=birth_date,
        signup_on=start,
        child_from=child_from,
        graduation_on=graduation_on,
        entries=entries,
    )


def _stage_entry(make, stage: Stage, on: date, anchor: date, pool, audience, language):
    text = choose_variant(pool.get(stage, []), audience=audience, language=language)
    key = f"stage-{stage.track}-{stage.unit}-{stage.number}"
    return make(on, "stage", stage_label_ja(stage), key, text, stage.track.value, anchor)


def _load_texts(
    language: str, include_drafts: bool
) -> tuple[dict[Stage, list[StageMessage]], dict[str, list[SpecialMessage]]]:
    languages = {language, FALLBACK_LANGUAGE}
    stages = StageMessage.objects.filter(language__in=languages)
    specials = SpecialMessage.objects.filter(language__in=languages)
    if not include_drafts:
        stages, specials = stages.published(), specials.published()
    stage_pool: dict[Stage, list[StageMessage]] = defaultdict(list)
    for message in stages:
        stage_pool[message.stage].append(message)
    special_pool: dict[str, list[SpecialMessage]] = defaultdict(list)
    for message in specials:
        special_pool[message.kind].append(message)
    return stage_pool, special_pool


def preview_anchor_for(track: str, unit: str, number: int, on: date) -> date:
    """A due date or birth date whose family enters (track, unit, number) on or just before ``on``."""
    if track == Track.PREGNANCY and unit == Unit.MONTH:
        number = max(number, 1)
    stage = Stage(Track(track), Unit(unit), number)
    # Month stages have no anchor on some month-end days: step back to the nearest day that has.
    for back in range(4):
        anchors = anchors_entering(stage, on - timedelta(days=back))
        if anchors:
            return anchors[0]
    return stage_start(stage, on)  # unreachable: a month has at most three days without anchors


def preview_query_for_notice(notice: LocalNotice, on: date) -> str:
    """Query string for the timeline preview of a family entering the notice's range on ``on``."""
    anchor = preview_anchor_for(notice.track, notice.unit, notice.number_from, on)
    date_field = "due_date" if notice.track == Track.PREGNANCY else "birth_date"
    return urlencode(
        {
            "municipality": notice.municipality_id,
            date_field: anchor.isoformat(),
            "drafts": "1",
            "notice": notice.pk,
        }
    )
