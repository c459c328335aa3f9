"""The daily planner: which messages fall due on a date, written as deliveries in set-based SQL.

The stage calendar's inverse turns "who enters stage S on day D" into "whose anchor date is in
this small set", so each statement is an indexed join of a short VALUES list against the
children's anchor dates: its cost grows with the deliveries due, not with the families. Every
statement is ``INSERT … SELECT … ON CONFLICT DO NOTHING`` against the unique
(subscriber, channel, message_key): planning twice, or from two beats at once, adds nothing.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q

from content.models import Audience, BirthdayMessage, StageMessage
from content.stages import Stage, Track, Unit, add_months, anchors_entering, stage_start
from kizuna import clock
from municipalities.models import Municipality
from subscribers.models import Child

from . import heartbeats, outbox
from .models import PlanRun

logger = logging.getLogger(__name__)

ANALYZE_AFTER_ROWS = 50  # autovacuum's analyze threshold, and the table's scale factor (0009)
ANALYZE_AFTER_SHARE = 0.02


@dataclass
class PlanResult:
    day: datetime.date
    municipality_ids: list[int]
    planned: Counter = field(default_factory=Counter)  # kind -> rows inserted (or, dry, to insert)
    by_channel: Counter = field(default_factory=Counter)  # (municipality id, channel), dry runs
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.planned.values())


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


def _anchor_rows(
    stages: Iterable[Stage], on: datetime.date, keep=lambda stage, anchor: True
) -> list[tuple[str, str, int, datetime.date]]:
    return [
        (stage.track.value, stage.unit.value, stage.number, anchor)
        for stage in stages
        for anchor in anchors_entering(stage, on)
        if keep(stage, anchor)
    ]


def _first_birth_date_still_in_programme(months: int, on: datetime.date) -> datetime.date:
    """The earliest anchor whose programme (``months`` long) has not ended before ``on``."""
    anchor = add_months(on, -months) - datetime.timedelta(days=4)
    while add_months(anchor, months) < on:
        anchor += datetime.timedelta(days=1)
    return anchor


class _Statements:
    """SQL for one day and one group of municipalities sharing a programme length."""

    def __init__(self, on: datetime.date, municipality_ids: Sequence[int], now: datetime.datetime):
        self.on = on
        self.ids = list(municipality_ids)
        self.now = now

    def _select(
        self, rows: list[tuple], key_sql: str, child_filter: str, where: str
    ) -> tuple[str, str, list]:
        values = ", ".join(["(%s, %s, %s, %s)"] * len(rows))
        in_ids = ", ".join(["%s"] * len(self.ids))
        row = outbox.row_sql(
            municipality="c.municipality_id",
            subscriber="s.id",
            child="c.id",
            channel="s.channel",
            key=key_sql,
        )
        select = f"""
            SELECT {row}
            FROM v
            JOIN subscribers_child c ON c.municipality_id IN ({in_ids}) AND {child_filter}
            JOIN subscribers_subscription sub ON sub.child_id = c.id AND sub.ended_at IS NULL
            JOIN subscribers_subscriber s ON s.id = sub.subscriber_id
                 AND s.confirmed_at < %s AND s.unsubscribed_at IS NULL
                 AND s.channel_stopped_at IS NULL
            WHERE {where}
        """  # noqa: S608 (only placeholders and fixed SQL fragments are interpolated)
        # Readers get the messages of the days from their confirmation on: a catch-up never
        # sends a new reader what fell due before they joined.
        next_day = datetime.datetime.combine(
            self.on + datetime.timedelta(days=1), datetime.time(), tzinfo=clock.TOKYO
        )
        params = [_db(value) for row in rows for value in row]
        params += [*outbox.row_params(self.on, self.now, self.now), *self.ids, _db(next_day)]
        params += [_db(self.on)] * where.count("%s")
        return f"WITH v(track, unit, number, anchor) AS (VALUES {values})", select, params

    def insert(
        self,
        rows: list[tuple],
        key_sql: str,
        child_filter: str,
        where: str = "true",
        *,
        replan: bool = True,
    ) -> tuple[str, list]:
        """``rows`` are (track, unit, number, anchor); ``child_filter`` matches ``v.anchor``;
        ``where`` may compare with the day as ``%s``.

        ``replan``: the day was planned before for some of the municipalities, so most rows are
        there already and are left out before the sort (a re-plan sorts nothing). A first plan
        finds next to none, so it skips that probe per row; ON CONFLICT DO NOTHING (one row
        per reader, channel and message) still keeps any that are there from a second insert.
        """
        unplanned = where
        if replan:
            queued = outbox.already_queued_sql(subscriber="s.id", channel="s.channel", key=key_sql)
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
        self, rows: list[tuple], key_sql: str, child_filter: str, where: str = "true"
    ) -> tuple[str, list]:
        """How many rows :meth:`insert` would add: the same SELECT, less what already exists."""
        with_values, select, params = self._select(rows, key_sql, child_filter, where)
        queued = outbox.already_queued_sql(
            subscriber="due.subscriber_id", channel="due.channel", key="due.message_key"
        )
        sql = f"""{with_values} SELECT due.municipality_id, due.channel, count(*)
            FROM ({select}) AS due
            WHERE NOT {queued}
            GROUP BY due.municipality_id, due.channel"""  # noqa: S608
        return sql, params


def _db(value):
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
) -> PlanResult:
    """Write every delivery due on ``on`` for these municipalities' confirmed families.

    Stage messages (pregnancy by due date; child by birth date, or by the due date once the
    birth grace period has passed without a report), birthdays, the graduation message, and the
    one-time "has the baby arrived?" question. Municipalities must share a programme length.
    With ``dry_run`` nothing is written: the counts are what would be inserted.
    """
    started = time.monotonic()
    if not municipalities:
        return PlanResult(on, [])
    if not dry_run:
        _refuse_rolled_up(on)
    months = {m.programme_months for m in municipalities}
    if len(months) != 1:
        raise ValueError("plan municipalities with different programme lengths separately")
    months = months.pop()
    stages = stages_with_messages() if stages is None else stages
    grace = datetime.timedelta(days=settings.KIZUNA_BIRTH_GRACE_DAYS)
    child_track_from = on - grace  # expecting families with due dates up to here follow the child

    def in_programme(stage: Stage, anchor: datetime.date) -> bool:
        return stage_start(stage, anchor) <= add_months(anchor, months)

    pregnancy = _anchor_rows(
        (s for s in stages if s.track == Track.PREGNANCY),
        on,
        keep=lambda stage, anchor: anchor > child_track_from,
    )
    child = _anchor_rows((s for s in stages if s.track == Track.CHILD), on, keep=in_programme)
    # Expecting families past their due date (and grace) follow the child's stages by due date:
    # the same join on the same index as the pregnancy stages, so one statement serves both.
    expecting = pregnancy + [row for row in child if row[3] <= child_track_from]
    birthday_ages = _birthday_ages(municipalities, months)
    birthdays = [
        ("child", "year", age, anchor)
        for age in birthday_ages
        for anchor in anchors_entering(Stage(Track.CHILD, Unit.YEAR, age), on)
    ]
    graduation = [
        ("child", "graduation", months, anchor)
        for anchor in anchors_entering(Stage(Track.CHILD, Unit.MONTH, months), on)
    ]
    birth_check = [("pregnancy", "birth-check", 0, child_track_from)]

    statements = _Statements(on, [m.pk for m in municipalities], clock.now())
    # Stages and birthdays come round again when a date moves later; one-off messages keep
    # their rows, which stop a second send on their own.
    batches = [
        ("stage", expecting, STAGE_KEY_SQL, EXPECTING, UNCHECKED),
        ("stage", expecting, STAGE_KEY_SQL, EXPECTING, _not_sent_before(STAGE_KEY_SQL)),
        ("stage", child, STAGE_KEY_SQL, BORN, UNCHECKED),
        ("stage", child, STAGE_KEY_SQL, BORN, _not_sent_before(STAGE_KEY_SQL)),
        ("birthday", birthdays, BIRTHDAY_KEY_SQL, BORN, UNCHECKED),
        ("birthday", birthdays, BIRTHDAY_KEY_SQL, BORN, _not_sent_before(BIRTHDAY_KEY_SQL)),
        ("special", graduation, EVENT_KEY_SQL, BORN, "true"),
        ("special", birth_check, EVENT_KEY_SQL, EXPECTING, "true"),
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
                    for municipality_id, channel, count in cursor.fetchall():
                        result.planned[kind] += count
                        result.by_channel[(municipality_id, channel)] += count
                else:
                    cursor.execute(
                        *statements.insert(rows, key_sql, child_filter, where, replan=replan)
                    )
                    inserted = cursor.rowcount
                    if inserted < 0:  # SQLite gives no row count for a statement led by WITH
                        cursor.execute("SELECT changes()")
                        inserted = cursor.fetchone()[0]
                    result.planned[kind] += inserted
        if not dry_run:
            _graduate(statements.ids, months, on)
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


def _birthday_ages(municipalities: Sequence[Municipality], months: int) -> list[int]:
    """Ages (1, 2, 3…) within the programme that have a birthday text to send."""
    ages = range(1, months // 12 + 1)
    available = set(
        BirthdayMessage.objects.published()
        .filter(age_years__in=ages)
        .filter(Q(municipality__isnull=True) | Q(municipality__in=municipalities))
        .values_list("age_years", flat=True)
    )
    return sorted(available)


def _graduate(municipality_ids: list[int], months: int, on: datetime.date) -> None:
    """Children whose programme ended before ``on`` leave the planner's indexes for good."""
    cutoff = _first_birth_date_still_in_programme(months, on)
    Child.objects.filter(
        municipality_id__in=municipality_ids, status=Child.Status.BORN, birth_date__lt=cutoff
    ).update(status=Child.Status.GRADUATED, status_changed_at=clock.now())
    grace = datetime.timedelta(days=settings.KIZUNA_BIRTH_GRACE_DAYS)
    Child.objects.filter(
        municipality_id__in=municipality_ids,
        status=Child.Status.EXPECTING,
        due_date__lt=min(cutoff, on - grace),
    ).update(status=Child.Status.GRADUATED, status_changed_at=clock.now())


def _remember(municipalities: Sequence[Municipality], on: datetime.date, started_at) -> None:
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
        results += [plan_day(day, group) for group in groups_by_programme_length(due)]
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


def groups_by_programme_length(
    municipalities: Iterable[Municipality],
) -> list[list[Municipality]]:
    groups: dict[int, list[Municipality]] = {}
    for municipality in municipalities:
        groups.setdefault(municipality.programme_months, []).append(municipality)
    return list(groups.values())


def forecast(
    municipalities: Sequence[Municipality], start: datetime.date, days: int = 30
) -> dict[tuple[datetime.date, int, str], int]:
    """Messages per (day, municipality id, channel) for the coming days, from today's families.

    Computed by the planner's own statements in count mode, so it can't drift from what the
    planner will do (new signups and births will add to it).
    """
    stages = stages_with_messages()
    counts: dict[tuple[datetime.date, int, str], int] = {}
    for offset in range(days):
        day = start + datetime.timedelta(days=offset)
        for group in groups_by_programme_length(municipalities):
            result = plan_day(day, group, stages=stages, dry_run=True)
            for (municipality_id, channel), count in result.by_channel.items():
                counts[(day, municipality_id, channel)] = count
    return counts
