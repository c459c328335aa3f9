"""The day's vaccination reminders, planned set-based with the stage messages (a plan step).

For each lead time in use, the schedule's rules are turned (vaccinations.schedule.plan_candidates)
into the few birth dates, due dates and recorded doses whose children have a dose opening or
closing that many days ahead; one ``INSERT … SELECT`` per reminder joins them by index against
the children and their readers. One row per child, day and reminder, however many doses: the
message lists them (vaccinations.messages decides at sending, from the child's records).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.db import connection

from delivery import outbox
from delivery.planner import PlanStepContext
from kizuna import clock

from . import schedule
from .models import MESSAGE_KIND, ReminderSettings

Group = tuple[int, int, tuple[str, ...]]  # lead days before opening, before the last day, optional


def _groups(municipality_ids: Sequence[int]) -> dict[Group, list[int]]:
    groups: dict[Group, list[int]] = defaultdict(list)
    rows = ReminderSettings.objects.filter(
        municipality_id__in=municipality_ids, reminders_on=True
    ).values_list("municipality_id", "opens_lead_days", "deadline_lead_days", "optional_vaccines")
    for municipality_id, opens, deadline, optional in rows:
        groups[(opens, deadline, tuple(sorted(optional or [])))].append(municipality_id)
    return groups


def _day(value: datetime.date) -> outbox.SQLParam:
    return connection.ops.adapt_datefield_value(value)


def _date_mark() -> str:
    # VALUES columns take their type from their values: PostgreSQL must be told they are dates.
    return "CAST(%s AS date)" if connection.vendor == "postgresql" else "%s"


def _not_recorded(codes_sql: str) -> str:
    return f"""NOT EXISTS (SELECT 1 FROM vaccinations_doserecord d
        WHERE d.child_id = c.id AND ',' || {codes_sql} || ',' LIKE '%%,' || d.dose || ',%%')"""  # noqa: S608 (a column name)


def _select_children(
    anchors: list[schedule.ByAnchor], records: list[schedule.ByRecord], ids: list[int]
) -> tuple[str, list[outbox.SQLParam]] | None:
    """SELECT child_id, municipality_id of every child one of these candidates is for."""
    mark = _date_mark()
    in_ids = ", ".join(["%s"] * len(ids))
    parts: list[str] = []
    params: list[outbox.SQLParam] = []
    for pregnancy in (False, True):
        # One row per anchor date (a school-year cohort is 365 of them): an equality join keeps
        # PostgreSQL's estimate at the few children born that day, so it walks the index.
        rows = [
            (a, datetime.date.fromordinal(day))
            for a in anchors
            if a.pregnancy == pregnancy
            for day in range(a.first.toordinal(), a.last.toordinal() + 1)
        ]
        if not rows:
            continue
        values = ", ".join([f"(%s, {mark}, %s, {mark})"] * len(rows))
        for row, day in rows:
            params += [
                ",".join(row.same_as),
                _day(day),
                row.after or "",
                _day(row.after_by or datetime.date.min),
            ]
        anchor, status = ("due_date", "expecting") if pregnancy else ("birth_date", "born")
        parts.append(
            f"""SELECT c.id AS child_id, c.municipality_id AS municipality_id
            FROM (VALUES {values}) AS a(same_as, day, after_dose, after_by)
            JOIN subscribers_child c ON c.municipality_id IN ({in_ids}) AND c.status = '{status}'
                AND c.{anchor} = a.day
            WHERE {_not_recorded("a.same_as")}
              AND (a.after_dose = '' OR EXISTS (SELECT 1 FROM vaccinations_doserecord p
                   WHERE p.child_id = c.id AND p.dose = a.after_dose
                     AND p.given_on <= a.after_by))"""  # noqa: S608 (placeholders, fixed SQL)
        )
        params += ids
    if records:
        values = ", ".join([f"(%s, %s, {mark}, {mark}, {mark})"] * len(records))
        for record in records:
            params += [
                record.dose,
                record.after,
                _day(record.given_on),
                _day(record.born_by),
                _day(record.born_from or datetime.date.min),
            ]
        parts.append(
            f"""SELECT c.id AS child_id, c.municipality_id AS municipality_id
            FROM (VALUES {values}) AS r(dose, after_dose, given_on, born_by, born_from)
            JOIN vaccinations_doserecord p ON p.dose = r.after_dose AND p.given_on = r.given_on
            JOIN subscribers_child c ON c.id = p.child_id AND c.status = 'born'
                AND c.municipality_id IN ({in_ids})
                AND c.birth_date BETWEEN r.born_from AND r.born_by
            WHERE {_not_recorded("r.dose")}"""  # noqa: S608
        )
        params += ids
    if not parts:
        return None
    return " UNION ".join(parts), params


def plan_reminders(context: PlanStepContext) -> dict[str, int]:
    """The plan step: this day's reminders for the municipalities that turned them on."""
    groups = _groups(context.municipality_ids)
    if not groups:
        return {}
    jit = _jit_off(context.cursor)
    try:
        return _plan(context, groups)
    finally:
        if jit is not None:
            context.cursor.execute("SELECT set_config('jit', %s, true)", [jit])


def _jit_off(cursor: Any) -> str | None:
    """These statements are short indexed joins: PostgreSQL's JIT, which a national day's row
    estimates switch on, would spend about a second compiling each. Off for them, then back."""
    if connection.vendor != "postgresql":
        return None
    cursor.execute("SELECT current_setting('jit')")
    previous = str(cursor.fetchone()[0])
    cursor.execute("SELECT set_config('jit', 'off', true)")
    return previous


def _plan(context: PlanStepContext, groups: dict[Group, list[int]]) -> dict[str, int]:
    planned = 0
    next_day = datetime.datetime.combine(
        context.on + datetime.timedelta(days=1), datetime.time(), tzinfo=clock.TOKYO
    )
    for (opens, deadline, optional), ids in groups.items():
        for reminder, lead in (
            (schedule.Reminder.OPENS, opens),
            (schedule.Reminder.DEADLINE, deadline),
        ):
            target = context.on + datetime.timedelta(days=lead)
            anchors, records = schedule.plan_candidates(reminder, target, optional=optional)
            children = _select_children(anchors, records, ids)
            if children is None:
                continue
            children_sql, params = children
            record_id = schedule.reminder_id(reminder, target)
            row = outbox.row_sql(
                municipality="due.municipality_id",
                subscriber="s.id",
                child="due.child_id",
                channel="s.channel",
                key=f"'c' || due.child_id || ':{MESSAGE_KIND}:{int(record_id)}'",
            )
            readers = ""
            reader_params: list[outbox.SQLParam] = []
            if context.subscriber_ids is not None:
                readers = (
                    "AND s.id IN ("
                    + (", ".join(["%s"] * len(context.subscriber_ids)) or "NULL")
                    + ")"
                )
                reader_params = list(context.subscriber_ids)
            select = f"""SELECT {row}
                FROM ({children_sql}) AS due
                JOIN subscribers_subscription sub
                     ON sub.child_id = due.child_id AND sub.ended_at IS NULL
                JOIN subscribers_subscriber s ON s.id = sub.subscriber_id
                     AND s.confirmed_at < %s AND s.unsubscribed_at IS NULL
                     AND s.channel_stopped_at IS NULL {readers}"""  # noqa: S608
            all_params = [
                *outbox.row_params(context.on, context.now, context.now),
                *params,
                connection.ops.adapt_datetimefield_value(next_day),
                *reader_params,
            ]
            if context.dry_run:
                queued = outbox.already_queued_sql(
                    subscriber="n.subscriber_id", key="n.message_key"
                )
                context.cursor.execute(
                    f"SELECT count(*) FROM ({select}) AS n WHERE NOT {queued}",  # noqa: S608
                    all_params,
                )
                planned += context.cursor.fetchone()[0]
            else:
                context.cursor.execute(outbox.insert_sql(select), all_params)
                inserted = context.cursor.rowcount
                if inserted < 0:  # SQLite gives no count for some statements
                    context.cursor.execute("SELECT changes()")
                    inserted = context.cursor.fetchone()[0]
                planned += inserted
    return {MESSAGE_KIND: planned} if planned else {}
