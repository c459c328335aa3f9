"""Reading reviews: the queue, a version's diff against the last approved one, scores."""

from __future__ import annotations

import datetime
import difflib
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from content.models import StageMessage
from content.programme import Programme, programme_from, stage_label_ja, stage_order
from content.stages import Stage, Track, Unit, anchors_entering
from delivery.models import Delivery
from delivery.outbox import STAGE
from municipalities.access import roles_of
from municipalities.models import Municipality
from subscribers.models import Subscription

from .models import FIELD_GROUPS, TextVersion
from .services import current_decisions, due_for_re_review, requirement, reviewer_of

STATE_FILTERS = {
    **{state.value: str(state.label) for state in TextVersion.State},
    "due": "再監修の時期",
    "flagged": "読者の評価が低い",
}
TRACKS = {
    "pregnancy": "妊娠",
    "child": "子ども",
    "birthday": "誕生日",
    "special": "特別メッセージ",
}


def visible_versions(user: Any) -> QuerySet[TextVersion]:
    """Current versions this user may see: national texts for every reviewer and national
    editor; a municipality's own texts for its reviewers and staff."""
    versions = TextVersion.objects.current().select_related("municipality", "text_type")
    roles = roles_of(user)
    if roles.superuser or roles.content_editor:
        return versions
    reviewer = reviewer_of(user)
    if reviewer is not None and reviewer.municipality_id is None:
        return versions
    own = set(roles.viewer_of)
    if reviewer is not None and reviewer.municipality_id is not None:
        own.add(reviewer.municipality_id)
    return versions.filter(Q(municipality__isnull=True) | Q(municipality__in=own))


def queue(
    user: Any, *, field: str = "", track: str = "", stage: str = "", state: str = ""
) -> list[TextVersion]:
    """The review queue, filtered; in review first, then by stage.

    ``field``: versions that still need a reviewer of this field (a pediatrician sees what
    still lacks a physician's approval).
    """
    versions = visible_versions(user)
    if track:
        versions = versions.filter(track=track)
    if stage:
        versions = versions.filter(Q(stage_label__icontains=stage) | Q(subject__icontains=stage))
    if state == "due":
        versions = versions.filter(pk__in=due_for_re_review().values("pk"))
    elif state == "flagged":
        versions = versions.filter(flagged_by_readers=True)
    elif state:
        versions = versions.filter(state=state)
    found = list(
        versions.prefetch_related("decisions__reviewer__user").order_by(
            "sort_key", "language", "audience"
        )
    )
    if field:
        found = [
            v
            for v in found
            if v.state == TextVersion.State.IN_REVIEW and field in fields_still_needed(v)
        ]
    order: dict[str, int] = {
        TextVersion.State.IN_REVIEW.value: 0,
        TextVersion.State.CHANGES_REQUESTED.value: 1,
        TextVersion.State.DRAFT.value: 2,
    }
    return sorted(found, key=lambda v: order.get(v.state, 3))


def fields_still_needed(version: TextVersion) -> set[str]:
    """Fields whose approval would bring the version closer to approved."""
    needed = requirement(current_decisions(version), version.language)
    if needed.met:
        return set()
    fields: set[str] = set()
    for group in needed.missing_groups:
        fields |= FIELD_GROUPS.get(group, frozenset({group}))
    if not needed.missing_groups:
        approved = {d.reviewer.field for d in current_decisions(version)}
        fields = set(FIELD_GROUPS) - {"physician"} - approved
    return fields


def last_approved(version: TextVersion) -> TextVersion | None:
    """The text's most recent approved version other than this one."""
    return (
        TextVersion.objects.filter(
            text_type=version.text_type_id,
            text_id=version.text_id,
            state=TextVersion.State.APPROVED,
        )
        .exclude(pk=version.pk)
        .order_by("-approved_at")
        .first()
    )


@dataclass(frozen=True)
class DiffRow:
    left: str
    right: str
    kind: str  # "same", "changed", "removed", "added"


def side_by_side(before: str, after: str) -> list[DiffRow]:
    """Lines of two texts next to each other, changed ones marked."""
    old, new = before.splitlines(), after.splitlines()
    rows: list[DiffRow] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if tag == "equal":
            rows += [DiffRow(line, line, "same") for line in old[i1:i2]]
            continue
        left, right = old[i1:i2], new[j1:j2]
        for index in range(max(len(left), len(right))):
            a = left[index] if index < len(left) else ""
            b = right[index] if index < len(right) else ""
            kind = "changed" if a and b else ("removed" if a else "added")
            rows.append(DiffRow(a, b, kind))
    return rows


def full_text(version: TextVersion) -> str:
    return f"件名：{version.subject}\n\n{version.body}"


# Where review holds a stage back: in advance and today -----------------------------------------


def unreviewed_stages() -> list[Stage]:
    """Stages with a published text for everyone in Japanese, none of them approved.

    Japanese for everyone ends every reader's fallback chain (content.selectors.variant_order):
    while it is not approved, readers whose own variant is not approved either get nothing
    where the municipality sends only reviewed texts.
    """
    everyone = StageMessage.objects.published().filter(audience="everyone", language="ja")
    approved = set(everyone.approved().values_list("track", "unit", "number"))
    return sorted(
        Stage(Track(track), Unit(unit), number)
        for track, unit, number in everyone.values_list("track", "unit", "number")
        if (track, unit, number) not in approved
    )


@dataclass(frozen=True)
class HeldBackDay:
    day: datetime.date
    readers: int
    stages: list[tuple[str, int]]  # (stage label, readers)


def held_back_forecast(
    municipality_ids: Iterable[int] | None, start: datetime.date, days: int = 30
) -> list[HeldBackDay]:
    """Days of the coming ``days`` on which readers of municipalities that send only reviewed
    texts enter a stage of their programme whose text is not approved, from today's families:
    nothing will be sent to them that day unless the text is approved first.

    One query (readers counted by municipality and anchor date); the stage calendar does the
    rest, per cadence: a weekly municipality's families never enter the daily steps.
    """
    unreviewed = set(unreviewed_stages())
    municipalities = Municipality.objects.filter(send_only_reviewed=True)
    if municipality_ids is not None:
        municipalities = municipalities.filter(pk__in=list(municipality_ids))
    by_programme: dict[Programme, list[int]] = defaultdict(list)
    for municipality in municipalities:
        by_programme[programme_from(municipality)].append(municipality.pk)
    if not unreviewed or not by_programme:
        return []
    counts: Counter[tuple[int, str, datetime.date]] = Counter()
    for row in (
        Subscription.objects.filter(
            subscriber__confirmed_at__isnull=False,
            subscriber__unsubscribed_at__isnull=True,
            child__municipality__in=[pk for pks in by_programme.values() for pk in pks],
            child__status__in=["expecting", "born"],
        )
        .values("child__municipality_id", "child__status", "child__due_date", "child__birth_date")
        .annotate(readers=Count("pk"))
    ):
        born = row["child__status"] == "born"
        anchor = row["child__birth_date"] if born else row["child__due_date"]
        if anchor is not None:
            track = Track.CHILD.value if born else Track.PREGNANCY.value
            counts[(row["child__municipality_id"], track, anchor)] += row["readers"]
    held_stages = {
        programme: [stage for stage in programme.stages() if stage in unreviewed]
        for programme in by_programme
    }
    result = []
    for offset in range(days):
        day = start + datetime.timedelta(days=offset)
        readers_by_stage: Counter[Stage] = Counter()
        for programme, ids in by_programme.items():
            for stage in held_stages[programme]:
                for anchor in anchors_entering(stage, day):
                    readers_by_stage[stage] += sum(
                        counts[(pk, stage.track.value, anchor)] for pk in ids
                    )
        held = [
            (stage_label_ja(stage), readers)
            for stage, readers in sorted(readers_by_stage.items(), key=lambda i: stage_order(i[0]))
            if readers
        ]
        if held:
            result.append(HeldBackDay(day, sum(n for _, n in held), held))
    return result


@dataclass(frozen=True)
class MissingToday:
    reason: str
    readers: int


def missing_stage_texts(
    municipality_ids: Iterable[int] | None, day: datetime.date
) -> list[MissingToday]:
    """Readers who got no stage text on ``day``, by the reason the composer gave."""
    skipped = Delivery.objects.filter(
        due_on=day, status=Delivery.Status.SKIPPED, message_key__contains=f":{STAGE}:"
    )
    if municipality_ids is not None:
        skipped = skipped.filter(municipality__in=list(municipality_ids))
    rows = (
        skipped.values("last_error")
        .annotate(readers=Count("subscriber", distinct=True))
        .order_by("-readers")
    )
    return [MissingToday(row["last_error"], row["readers"]) for row in rows]
