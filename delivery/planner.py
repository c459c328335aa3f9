"""The daily planner: which messages fall due on a date, written as deliveries in set-based SQL.

The stage calendar's inverse turns "who enters stage S on day D" into "whose anchor date is in
this small set", so each statement is an indexed join of a short VALUES list against the
children's anchor dates: its cost grows with the deliveries due, not with the families. Every
statement is ``INSERT … SELECT … ON CONFLICT DO NOTHING`` against the unique
(subscriber, message_key), whatever the reader's channel: planning twice, or from two beats
at once, or again after the reader switched channel, adds nothing.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q

from content.models import Audience, BirthdayMessage, StageMessage
from content.programme import (
    ALL_PROGRAMME_STAGES,
    Programme,
    anchor_wins,
    is_anchor,
    programme_from,
)
from content.selectors import FALLBACK_LANGUAGE
from content.stages import Stage, Track, Unit, add_months, anchors_entering, stage_start
from kizuna import clock
from municipalities.models import Municipality
from subscribers.models import Child

from . import heartbeats, outbox
from .models import PlanRun

logger = logging.getLogger(__name__)

ANALYZE_AFTER_ROWS = 50  # autovacuum's analyze threshold, and the table's scale factor (0009)
ANALYZE_AFTER_SHARE = 0.02


# LINE readers of one text: (municipality id, (kind, track, unit, number, audience, language),
# whether they have a nickname).
LineGroup = tuple[int, tuple[object, ...], bool]


@dataclass
class PlanResult:
    day: datetime.date
    municipality_ids: list[int]
    # kind -> rows inserted (or, dry, to insert)
    planned: Counter[str] = field(default_factory=Counter)
    # (municipality id, channel) -> rows to insert, in dry runs
    by_channel: Counter[tuple[int, str]] = field(default_factory=Counter)
    # Dry runs: LINE readers per (municipality id, text group, named): see line_requests().
    line_groups: Counter[LineGroup] = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.planned.values())


@dataclass(frozen=True)
class PlanStepContext:
    """What a plan step gets: the day, the municipalities of one programme, and the open cursor.

    A step runs inside the day's transaction, after the stage messages are written, so it can
    join the day's deliveries (to fold into them) and is undone with them. With ``dry_run`` it
    writes nothing and returns what it would add. ``replan``: the day was planned before for
    some of these municipalities. ``subscriber_ids``: plan these readers only.
    """

    on: datetime.date
    municipality_ids: list[int]
    programme: Programme
    now: datetime.datetime
    cursor: Any
    dry_run: bool
    replan: bool
    subscriber_ids: list[int] | None


# A step adds another app's day-planned messages (vaccination reminders, health-check
# invitations) set-based with the stage messages; it returns rows added (or, dry, to add) per
# kind. Registered from the owning app's AppConfig.ready(), run in registration order.
PlanStep = Callable[[PlanStepContext], Mapping[str, int]]
PLAN_STEPS: dict[str, PlanStep] = {}


def register_plan_step(name: str, step: PlanStep) -> None:
    """Run ``step`` in every day's plan, after the engine's own statements."""
    PLAN_STEPS[name] = step


def stages_with_messages() -> list[Stage]:
    """Stages that have a published text for everyone (the end of every fallback chain)."""
    rows = (
        StageMessage.objects.published()
        .filter(audience=Audience.EVERYONE)
        .order_by()  # the model's ordering would make DISTINCT keep one row per language
        .values_list("track", "unit", "number")
        .distinct()
    )
    return sorted(Stage(Track(t), Unit(u), n) for t, u, n in rows)


# (track, unit, number, anchor): one per stage and anchor date.
StageAnchor = tuple[str, str, int, datetime.date]
# The VALUES rows of a statement: a StageAnchor and the languages that have its text.
AnchorRow = tuple[str, str, int, datetime.date, str]


def _keep_all(stage: Stage, anchor: datetime.date) -> bool:
    return True


def _anchor_rows(
    stages: Iterable[Stage],
    on: datetime.date,
    keep: Callable[[Stage, datetime.date], bool] = _keep_all,
) -> list[StageAnchor]:
    return [
        (stage.track.value, stage.unit.value, stage.number, anchor)
        for stage in stages
        for anchor in anchors_entering(stage, on)
        if keep(stage, anchor)
    ]


def _first_birth_date_still_in_programme(programme: Programme, on: datetime.date) -> datetime.date:
    """The earliest anchor whose programme has not ended before ``on``."""
    anchor = add_months(on, -programme.longest_months - 1) - datetime.timedelta(days=4)
    while programme.end(anchor) < on:
        anchor += datetime.timedelta(days=1)
    return anchor


def _anchors_ending(programme: Programme, on: datetime.date) -> list[datetime.date]:
    """Birth dates whose programme ends on ``on`` (the day of the graduation message)."""
    anchor = _first_birth_date_still_in_programme(programme, on)
    ending = []
    while programme.end(anchor) == on:
        ending.append(anchor)
        anchor += datetime.timedelta(days=1)
    return ending


def one_stage_a_day(rows: list[StageAnchor]) -> list[StageAnchor]:
    """Of the stages one anchor enters on the day, keep one: the anchor text wins over a step.

    Week and month stages are the original programme's anchors; a daily or 3-day step that
    falls on the same day as one of them (生後106日 on the day of 生後3か月 for some birth dates)
    gives way, so a family never gets two stage texts on one day.
    """
    best: dict[tuple[str, datetime.date], StageAnchor] = {}
    for row in rows:
        track, unit, number, anchor = row
        kept = best.get((track, anchor))
        if kept is None or anchor_wins(Stage(Track(track), Unit(unit), number), _stage(kept)) != (
            _stage(kept)
        ):
            best[(track, anchor)] = row
    return [row for row in rows if best[(row[0], row[3])] is row]


def unknown_to_programme(stages: Iterable[Stage]) -> set[Stage]:
    return set(stages) - ALL_PROGRAMME_STAGES


def stage_entered(
    stages: Iterable[Stage], anchor: datetime.date, on: datetime.date
) -> Stage | None:
    """The one stage of ``stages`` a family with this anchor enters on ``on``, if any."""
    entered = [stage for stage in stages if stage_start(stage, anchor) == on]
    if not entered:
        return None
    winner = entered[0]
    for stage in entered[1:]:
        winner = anchor_wins(winner, stage)
    return winner


def _stage(row: StageAnchor) -> Stage:
    return Stage(Track(row[0]), Unit(row[1]), row[2])


class _Statements:
    """SQL for one day and one group of municipalities sharing a programme."""

    def __init__(
        self,
        on: datetime.date,
        municipality_ids: Sequence[int],
        now: datetime.datetime,
        subscriber_ids: Sequence[int] | None = None,
    ):
        self.on = on
        self.ids = list(municipality_ids)
        self.now = now
        self.subscriber_ids = list(subscriber_ids) if subscriber_ids is not None else None

    def _select(
        self,
        rows: list[AnchorRow],
        key_sql: str,
        child_filter: str,
        where: str,
        extra: str = "",
    ) -> tuple[str, str, list[outbox.SQLParam]]:
        values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(rows))
        in_ids = ", ".join(["%s"] * len(self.ids))
        readers = ""
        if self.subscriber_ids is not None:
            readers = f"AND s.id IN ({', '.join(['%s'] * len(self.subscriber_ids)) or 'NULL'})"
        row = outbox.row_sql(
            municipality="c.municipality_id",
            subscriber="s.id",
            child="c.id",
            channel="s.channel",
            key=key_sql,
        )
        select = f"""
            SELECT {row}{extra}
            FROM v
            JOIN subscribers_child c ON c.municipality_id IN ({in_ids}) AND {child_filter}
            JOIN subscribers_subscription sub ON sub.child_id = c.id AND sub.ended_at IS NULL
            JOIN subscribers_subscriber s ON s.id = sub.subscriber_id
                 AND s.confirmed_at < %s AND s.unsubscribed_at IS NULL
                 AND s.channel_stopped_at IS NULL {readers}
            WHERE {where}
        """  # noqa: S608 (only placeholders and fixed SQL fragments are interpolated)
        # Readers get the messages of the days from their confirmation on: a catch-up never
        # sends a new reader what fell due before they joined.
        next_day = datetime.datetime.combine(
            self.on + datetime.timedelta(days=1), datetime.time(), tzinfo=clock.TOKYO
        )
        params = [_db(value) for row in rows for value in row]
        params += [*outbox.row_params(self.on, self.now, self.now), *self.ids, _db(next_day)]
        params += self.subscriber_ids or []
        params += [_db(self.on)] * where.count("%s")
        return f"WITH v(track, unit, number, anchor, langs) AS (VALUES {values})", select, params

    def insert(
        self,
        rows: list[AnchorRow],
        key_sql: str,
        child_filter: str,
        where: str = "true",
        *,
        replan: bool = True,
    ) -> tuple[str, list[outbox.SQLParam]]:
        """``rows`` are (track, unit, number, anchor, languages); ``child_filter`` matches
        ``v.anchor``; ``where`` may compare with the day as ``%s``.

        ``replan``: the day was planned before for some of the municipalities, so most rows are
        there already and are left out before the sort (a re-plan sorts nothing). A first plan
        finds next to none, so it skips that probe per row; ON CONFLICT DO NOTHING (one row
        per reader and message) still keeps any that are there from a second insert.
        """
        unplanned = where
        if replan:
            queued = outbox.already_queued_sql(subscriber="s.id", key=key_sql)
            unplanned = f"({where}) AND NOT {queued}"
        with_values, select, params = self._select(rows, key_sql, child_filter, unplanned)
        # Rows go in by municipality, stage, channel and greeting, so consecutive ids (the order
        # senders claim in) share a text: a batch is a few multicasts and a few renderings.
        # Then by reader, whatever join order the query plan takes.
        order = (
            "ORDER BY c.municipality_id, v.track, v.unit, v.number, s.channel,"
            " s.nickname = '', s.id"
        )
        return outbox.insert_sql(select, with_clause=with_values, order=order), params

    def count_new(
        self, rows: list[AnchorRow], key_sql: str, child_filter: str, where: str = "true"
    ) -> tuple[str, list[outbox.SQLParam]]:
        """How many rows :meth:`insert` would add: the same SELECT, less what already exists.

        Per municipality, channel and stage, and whether the reader has a nickname: what decides
        how many LINE requests carry them (:func:`line_requests`).
        """
        # Grouped as the sender groups LINE texts: the same stage and audience, and a nickname.
        extra = (
            ", v.track AS g_track, v.unit AS g_unit, v.number AS g_number,"
            " s.relationship AS g_audience, s.language AS g_language,"
            " CASE WHEN s.nickname = '' THEN 0 ELSE 1 END AS g_named"
        )
        with_values, select, params = self._select(rows, key_sql, child_filter, where, extra)
        queued = outbox.already_queued_sql(subscriber="due.subscriber_id", key="due.message_key")
        groups = (
            "due.municipality_id, due.channel, due.g_track, due.g_unit, due.g_number,"
            " due.g_audience, due.g_language, due.g_named"
        )
        sql = f"""{with_values} SELECT {groups}, count(*)
            FROM ({select}) AS due
            WHERE NOT {queued}
            GROUP BY {groups}"""  # noqa: S608
        return sql, params


def _db(value: outbox.SQLParam) -> outbox.SQLParam:
    """Dates and datetimes as the database stores them (SQLite keeps text in UTC)."""
    if isinstance(value, datetime.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, datetime.date):
        return connection.ops.adapt_datefield_value(value)
    return value


STAGE_KEY_SQL = outbox.stage_key_sql("c.id", "v.track", "v.unit", "v.number")
BIRTHDAY_KEY_SQL = outbox.birthday_key_sql("c.id", "v.number")
EVENT_KEY_SQL = outbox.special_key_sql("c.id", "v.unit")
EXPECTING = "c.status = 'expecting' AND c.due_date = v.anchor"
BORN = "c.status = 'born' AND c.birth_date = v.anchor"
# A child whose date moved later enters again stages it has been through (delivery.services):
# until the last of them comes round, its stages and birthdays are planned by a statement of
# their own that looks each up in the sent records; every other child, by the plain one.
UNCHECKED = "(c.stages_checked_until IS NULL OR c.stages_checked_until < %s)"


ANY_LANGUAGE = "*"
READER_LANGUAGE = "(v.langs = '*' OR v.langs LIKE '%%,' || s.language || ',%%')"


def _languages_of(stages: Iterable[Stage]) -> dict[Stage, str]:
    """``,en,ja,``: the languages with a published text, for the steps between anchors.

    Japanese is the pack's own language (every step is written in it); others are looked up.
    """
    steps = {stage for stage in stages if stage in ALL_PROGRAMME_STAGES and not is_anchor(stage)}
    if not steps:
        return {}
    found: dict[Stage, set[str]] = {}
    rows = (
        StageMessage.objects.published()
        .filter(audience=Audience.EVERYONE)
        .exclude(language=FALLBACK_LANGUAGE)
        .order_by()
        .values_list("track", "unit", "number", "language")
        .distinct()
    )
    for track, unit, number, language in rows:
        stage = Stage(Track(track), Unit(unit), number)
        if stage in steps:
            found.setdefault(stage, set()).add(language)
    japanese_only = f",{FALLBACK_LANGUAGE},"
    return {
        stage: ",".join(["", *sorted(found[stage] | {FALLBACK_LANGUAGE}), ""])
        if stage in found
        else japanese_only
        for stage in steps
    }


def _not_sent_before(key_sql: str) -> str:
    return f"""c.stages_checked_until >= %s AND NOT EXISTS (
        SELECT 1 FROM delivery_sentmessage sm
        WHERE sm.subscriber_id = s.id AND sm.message_key = {key_sql})"""  # noqa: S608


def plan_day(
    on: datetime.date,
    municipalities: Sequence[Municipality],
    *,
    stages: Sequence[Stage] | None = None,
    dry_run: bool = False,
    subscriber_ids: Sequence[int] | None = None,
) -> PlanResult:
    """Write every delivery due on ``on`` for these municipalities' confirmed families.

    Stage messages (pregnancy by due date; child by birth date, or by the due date once the
    birth grace period has passed without a report), birthdays, the graduation message, and the
    one-time "has the baby arrived?" question, for the stages of the municipalities' cadence
    (:mod:`content.programme`). Municipalities must share a programme (cadence and end).
    With ``dry_run`` nothing is written: the counts are what would be inserted.
    ``subscriber_ids`` plans the day again for these readers only (a stop taken back).
    """
    started = time.monotonic()
    if not municipalities:
        return PlanResult(on, [])
    if not dry_run:
        _refuse_rolled_up(on)
    programmes = {programme_from(m) for m in municipalities}
    if len(programmes) != 1:
        raise ValueError("plan municipalities with different programmes separately")
    programme = programmes.pop()
    stages = stages_with_messages() if stages is None else stages
    # Only the stages of the municipalities' cadence: a coarser cadence is a subset of a finer.
    # A stage no cadence knows (a municipality's own addition, a benchmark's) is sent as written.
    stages = sorted(set(stages) & (set(programme.stages()) | unknown_to_programme(stages)))
    grace = datetime.timedelta(days=settings.KIZUNA_BIRTH_GRACE_DAYS)
    child_track_from = on - grace  # expecting families with due dates up to here follow the child

    def in_programme(stage: Stage, anchor: datetime.date) -> bool:
        return stage_start(stage, anchor) <= programme.end(anchor)

    pregnancy = _anchor_rows(
        (s for s in stages if s.track == Track.PREGNANCY),
        on,
        keep=lambda stage, anchor: anchor > child_track_from,
    )
    child: list[StageAnchor] = _anchor_rows(
        (s for s in stages if s.track == Track.CHILD), on, keep=in_programme
    )
    # Expecting families past their due date (and grace) follow the child's stages by due date:
    # the same join on the same index as the pregnancy stages, so one statement serves both.
    expecting: list[StageAnchor] = one_stage_a_day(
        pregnancy + [row for row in child if row[3] <= child_track_from]
    )
    child = one_stage_a_day(child)
    birthday_ages = _birthday_ages(municipalities, programme)
    birthdays: list[StageAnchor] = [
        ("child", "year", age, anchor)
        for age in birthday_ages
        for anchor in anchors_entering(Stage(Track.CHILD, Unit.YEAR, age), on)
        if in_programme(Stage(Track.CHILD, Unit.YEAR, age), anchor)
    ]
    graduation: list[StageAnchor] = [
        ("child", "graduation", programme.longest_months, anchor)
        for anchor in _anchors_ending(programme, on)
    ]
    birth_check: list[StageAnchor] = [("pregnancy", "birth-check", 0, child_track_from)]

    # A step between anchors goes only to readers whose language has its text (no Japanese text
    # in between for an English reader); anchors keep the fallback to Japanese.
    languages = _languages_of(stages)

    def by_language(rows: list[StageAnchor], of_stage: bool = False) -> list[AnchorRow]:
        return [
            (*row, languages.get(_stage(row), ANY_LANGUAGE) if of_stage else ANY_LANGUAGE)
            for row in rows
        ]

    expecting_rows = by_language(expecting, of_stage=True)
    child_rows = by_language(child, of_stage=True)
    birthday_rows, graduation_rows = by_language(birthdays), by_language(graduation)
    birth_check_rows = by_language(birth_check)
    stage_where = f"{READER_LANGUAGE} AND "
    statements = _Statements(on, [m.pk for m in municipalities], clock.now(), subscriber_ids)
    # Stages and birthdays come round again when a date moves later; one-off messages keep
    # their rows, which stop a second send on their own.
    batches: list[tuple[str, list[AnchorRow], str, str, str]] = [
        ("stage", expecting_rows, STAGE_KEY_SQL, EXPECTING, stage_where + UNCHECKED),
        (
            "stage",
            expecting_rows,
            STAGE_KEY_SQL,
            EXPECTING,
            stage_where + _not_sent_before(STAGE_KEY_SQL),
        ),
        ("stage", child_rows, STAGE_KEY_SQL, BORN, stage_where + UNCHECKED),
        ("stage", child_rows, STAGE_KEY_SQL, BORN, stage_where + _not_sent_before(STAGE_KEY_SQL)),
        ("birthday", birthday_rows, BIRTHDAY_KEY_SQL, BORN, UNCHECKED),
        ("birthday", birthday_rows, BIRTHDAY_KEY_SQL, BORN, _not_sent_before(BIRTHDAY_KEY_SQL)),
        ("special", graduation_rows, EVENT_KEY_SQL, BORN, "true"),
        ("special", birth_check_rows, EVENT_KEY_SQL, EXPECTING, "true"),
    ]
    result = PlanResult(on, statements.ids)
    replan = PlanRun.objects.filter(municipality_id__in=statements.ids, day=on).exists()
    with transaction.atomic():
        with connection.cursor() as cursor:
            for kind, rows, key_sql, child_filter, where in batches:
                if not rows:
                    continue
                if dry_run:
                    cursor.execute(*statements.count_new(rows, key_sql, child_filter, where))
                    for municipality_id, channel, *group, named, count in cursor.fetchall():
                        result.planned[kind] += count
                        result.by_channel[(municipality_id, channel)] += count
                        if channel == "line":
                            text = (kind, *group)
                            result.line_groups[(municipality_id, text, bool(named))] += count
                else:
                    cursor.execute(
                        *statements.insert(rows, key_sql, child_filter, where, replan=replan)
                    )
                    inserted = cursor.rowcount
                    if inserted < 0:  # SQLite gives no row count for a statement led by WITH
                        cursor.execute("SELECT changes()")
                        inserted = cursor.fetchone()[0]
                    result.planned[kind] += inserted
            context = PlanStepContext(
                on=on,
                municipality_ids=statements.ids,
                programme=programme,
                now=statements.now,
                cursor=cursor,
                dry_run=dry_run,
                replan=replan,
                subscriber_ids=statements.subscriber_ids,
            )
            for step in PLAN_STEPS.values():
                result.planned.update(step(context))
        if not dry_run and subscriber_ids is None:
            _graduate(statements.ids, programme, on)
            _remember(municipalities, on, statements.now)
    result.seconds = time.monotonic() - started
    logger.info(
        "%s %s deliveries for %s municipalities on %s in %.3fs",
        "would plan" if dry_run else "planned",
        result.total,
        len(statements.ids),
        on,
        result.seconds,
        extra={
            "event": "plan_day",
            "day": str(on),
            "dry_run": dry_run,
            "municipalities": len(statements.ids),
            "planned": dict(result.planned),
            "total": result.total,
            "seconds": round(result.seconds, 3),
        },
    )
    return result


class RolledUpDay(ValueError):
    """The day's sent rows were rolled up: planning it again would send it all again."""


def _refuse_rolled_up(on: datetime.date) -> None:
    through = heartbeats.rolled_up_through()
    if through is not None and on <= through:
        raise RolledUpDay(
            f"{on} の配信記録は {through} までまとめ済みのため、この日は計画し直せません"
            "（送信済みのメッセージをもう一度送ってしまいます）。"
        )


def _birthday_ages(municipalities: Sequence[Municipality], programme: Programme) -> list[int]:
    """Ages (1, 2, 3…) within the programme that have a birthday text to send."""
    ages = programme.birthday_ages()
    available = set(
        BirthdayMessage.objects.published()
        .filter(age_years__in=ages)
        .filter(Q(municipality__isnull=True) | Q(municipality__in=municipalities))
        .values_list("age_years", flat=True)
    )
    return sorted(available)


def _graduate(municipality_ids: list[int], programme: Programme, on: datetime.date) -> None:
    """Children whose programme ended before ``on`` leave the planner's indexes for good."""
    cutoff = _first_birth_date_still_in_programme(programme, on)
    Child.objects.filter(
        municipality_id__in=municipality_ids, status=Child.Status.BORN, birth_date__lt=cutoff
    ).update(status=Child.Status.GRADUATED, status_changed_at=clock.now())
    grace = datetime.timedelta(days=settings.KIZUNA_BIRTH_GRACE_DAYS)
    Child.objects.filter(
        municipality_id__in=municipality_ids,
        status=Child.Status.EXPECTING,
        due_date__lt=min(cutoff, on - grace),
    ).update(status=Child.Status.GRADUATED, status_changed_at=clock.now())


def _remember(
    municipalities: Sequence[Municipality], on: datetime.date, started_at: datetime.datetime
) -> None:
    PlanRun.objects.bulk_create(
        [
            PlanRun(municipality=m, day=on, started_at=started_at, finished_at=clock.now())
            for m in municipalities
        ],
        update_conflicts=True,
        unique_fields=["municipality", "day"],
        update_fields=["finished_at"],
    )


def plan_due(now: datetime.datetime | None = None) -> list[PlanResult]:
    """Plan every day not yet planned, per municipality, whose delivery time has come.

    After downtime this catches up at most ``KIZUNA_CATCH_UP_DAYS`` missed days, oldest first, so
    a family receives what it missed in order; older days are not planned.
    """
    now = (now or clock.now()).astimezone(clock.TOKYO)
    today = now.date()
    first_day = today - datetime.timedelta(days=settings.KIZUNA_CATCH_UP_DAYS)
    municipalities = list(Municipality.objects.order_by("pk"))
    done = set(PlanRun.objects.filter(day__gte=first_day).values_list("municipality_id", "day"))
    results = []
    day = first_day
    while day <= today:
        due = [
            m
            for m in municipalities
            if (m.pk, day) not in done
            and (day < today or m.delivery_time <= now.time())
            and m.created_at.astimezone(clock.TOKYO).date() <= day
        ]
        results += [plan_day(day, group) for group in groups_by_programme(due)]
        day += datetime.timedelta(days=1)
    refresh_statistics(sum(result.total for result in results))
    return results


def refresh_statistics(planned: int) -> bool:
    """ANALYZE the delivery table when a plan has just added a large share of it.

    The senders' claim walks its index in claim order only while PostgreSQL knows how many rows
    are waiting. Statistics from before a morning's plan say almost none are, and then every
    claim sorts the whole day instead (half a second a batch for a national day) until
    autovacuum's next round, up to a minute later, analyzes the table. Planning more than that
    round would wait for (50 rows + 2 % of the table, migration 0009) analyzes it at once.
    """
    if connection.vendor != "postgresql" or planned <= 0:
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT greatest(reltuples, 0) FROM pg_class WHERE oid = 'delivery_delivery'::regclass"
        )
        rows_known = cursor.fetchone()[0]
        if planned <= ANALYZE_AFTER_ROWS + ANALYZE_AFTER_SHARE * rows_known:
            return False
        cursor.execute("ANALYZE delivery_delivery")
    logger.info(
        "analyzed the delivery table after planning %d rows",
        planned,
        extra={"event": "analyze_deliveries", "planned": planned},
    )
    return True


def groups_by_programme(municipalities: Iterable[Municipality]) -> list[list[Municipality]]:
    """Municipalities that share a programme (cadence and end), planned by the same statements."""
    groups: dict[Programme, list[Municipality]] = {}
    for municipality in municipalities:
        groups.setdefault(programme_from(municipality), []).append(municipality)
    return list(groups.values())


groups_by_programme_length = groups_by_programme  # the name callers knew


NICKNAMES, MULTICAST = "nicknames", "multicast"


def line_requests(line_groups: Counter[LineGroup]) -> dict[tuple[int, str], int]:
    """LINE requests a day's messages take, per (municipality id, way of sending).

    ``nicknames``: a named reader's text is their own, a push each; the others at a stage share
    multicasts of up to 500. ``multicast``: every reader at a stage shares them. LINE counts
    the same messages either way (one per recipient); the requests are what its rate limits
    and the sending time see.
    """
    named: Counter[int] = Counter()
    shared: dict[tuple[int, str], Counter[tuple[object, ...]]] = {}
    for (municipality_id, text, is_named), count in line_groups.items():
        if is_named:
            named[municipality_id] += count
        for way in (NICKNAMES, MULTICAST):
            if way == NICKNAMES and is_named:
                continue
            shared.setdefault((municipality_id, way), Counter())[text] += count
    requests: dict[tuple[int, str], int] = {}
    for (municipality_id, way), readers in shared.items():
        multicasts = sum(-(-count // 500) for count in readers.values())
        requests[(municipality_id, way)] = multicasts
    for municipality_id, count in named.items():
        requests[(municipality_id, NICKNAMES)] = (
            requests.get((municipality_id, NICKNAMES), 0) + count
        )
    return requests


@dataclass
class ForecastResult:
    """Messages per (day, municipality id, channel), and LINE requests per (day, municipality
    id, way of sending: :data:`NICKNAMES` or :data:`MULTICAST`)."""

    counts: dict[tuple[datetime.date, int, str], int] = field(default_factory=dict)
    line_requests: dict[tuple[datetime.date, int, str], int] = field(default_factory=dict)


def forecast_with_requests(
    municipalities: Sequence[Municipality], start: datetime.date, days: int = 30
) -> ForecastResult:
    """The coming days as the planner would plan them from today's families.

    Computed by the planner's own statements in count mode, so it can't drift from what the
    planner will do (new signups and births will add to it).
    """
    stages = stages_with_messages()
    result = ForecastResult()
    for offset in range(days):
        day = start + datetime.timedelta(days=offset)
        for group in groups_by_programme(municipalities):
            planned = plan_day(day, group, stages=stages, dry_run=True)
            for (municipality_id, channel), count in planned.by_channel.items():
                result.counts[(day, municipality_id, channel)] = count
            for (municipality_id, way), count in line_requests(planned.line_groups).items():
                result.line_requests[(day, municipality_id, way)] = count
    return result


def forecast(
    municipalities: Sequence[Municipality], start: datetime.date, days: int = 30
) -> dict[tuple[datetime.date, int, str], int]:
    """Messages per (day, municipality id, channel) for the coming days, from today's families."""
    return forecast_with_requests(municipalities, start, days).counts
