"""The day's health-check messages, written set-based with the stage messages (a plan step).

Three statements at most per day and programme, whatever the number of readers: the national
reminders (one VALUES list of municipality, birth date and check), the invitations of the
sessions whose invitation day has come, and the day-before reminders. Every row is keyed per
child (``c42:checkup:3``), so ON CONFLICT DO NOTHING keeps a re-plan from adding anything.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.db import connection

from delivery import outbox
from delivery.planner import PlanStepContext

from . import selectors
from .models import EVE_KIND, INVITATION_KIND, REMINDER_KIND
from .timings import BY_NUMBER, births_reminded_on

Param = outbox.SQLParam


def _db(value: Param) -> Param:
    if isinstance(value, datetime.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, datetime.date):
        return connection.ops.adapt_datefield_value(value)
    return value


def readers_of_children_sql(context: PlanStepContext, key: str, child_filter: str) -> str:
    """SELECT one row per confirmed reader following a born child that matches the filter."""
    row = outbox.row_sql(
        municipality="c.municipality_id",
        subscriber="s.id",
        child="c.id",
        channel="s.channel",
        key=key,
    )
    readers = ""
    if context.subscriber_ids is not None:
        readers = f"AND s.id IN ({', '.join(['%s'] * len(context.subscriber_ids)) or 'NULL'})"
    return f"""SELECT {row} FROM v
        JOIN subscribers_child c ON {child_filter} AND c.status = 'born'
        JOIN subscribers_subscription sub ON sub.child_id = c.id AND sub.ended_at IS NULL
        JOIN subscribers_subscriber s ON s.id = sub.subscriber_id
             AND s.confirmed_at IS NOT NULL AND s.confirmed_at < %s
             AND s.unsubscribed_at IS NULL AND s.channel_stopped_at IS NULL {readers}
        WHERE true"""  # noqa: S608 (fixed SQL and placeholders only)


def _run(
    context: PlanStepContext,
    kind: str,
    columns: str,
    values: Sequence[tuple[Param, ...]],
    key: str,
    child_filter: str,
    where: str = "",
    where_params: Sequence[Param] = (),
) -> int:
    if not values:
        return 0
    placeholders = ", ".join(["(" + ", ".join(["%s"] * len(values[0])) + ")"] * len(values))
    with_clause = f"WITH v({columns}) AS (VALUES {placeholders})"
    select = readers_of_children_sql(context, key, child_filter) + where
    next_day = datetime.datetime.combine(
        context.on + datetime.timedelta(days=1), datetime.time(), tzinfo=context.now.tzinfo
    )
    params: list[Param] = [_db(value) for row in values for value in row]
    params += outbox.row_params(context.on, context.now, context.now)
    params.append(_db(next_day))
    params += context.subscriber_ids or []
    params += list(where_params)
    cursor = context.cursor
    if context.dry_run:
        queued = outbox.already_queued_sql(subscriber="n.subscriber_id", key="n.message_key")
        cursor.execute(
            f"{with_clause} SELECT count(*) FROM ({select}) AS n WHERE NOT {queued}",  # noqa: S608
            params,
        )
        return int(cursor.fetchone()[0])
    # Most of a session's invitations were written on an earlier day: leaving them out before
    # the insert is far cheaper than letting each one conflict (as the planner's re-plan does).
    if context.replan or kind == INVITATION_KIND:
        select += " AND NOT " + outbox.already_queued_sql(subscriber="s.id", key=key)
    cursor.execute(outbox.insert_sql(select, with_clause=with_clause), params)
    inserted = int(cursor.rowcount)
    if inserted < 0:  # SQLite gives no row count for a statement led by WITH
        cursor.execute("SELECT changes()")
        inserted = int(cursor.fetchone()[0])
    return inserted


def _reminders(context: PlanStepContext) -> int:
    values: list[tuple[Param, ...]] = []
    for setting in selectors.settings_for(context.municipality_ids):
        if not setting.reminders_on:
            continue
        for number in setting.checks:
            check = BY_NUMBER.get(int(number))
            if check is None:
                continue
            for birth in births_reminded_on(check, context.on, setting.lead_days):
                values.append((setting.municipality_id, birth, check.number))
    key = f"'c' || c.id || ':{REMINDER_KIND}:' || v.check_number"
    return _run(
        context,
        REMINDER_KIND,
        "municipality_id, birth_date, check_number",
        values,
        key,
        "c.municipality_id = v.municipality_id AND c.birth_date = v.birth_date",
    )


def _invitations(context: PlanStepContext) -> int:
    values: list[tuple[Param, ...]] = [
        (s.pk, s.municipality_id, s.born_from, s.born_until)
        for s in selectors.sessions_inviting_on(context.municipality_ids, context.on)
    ]
    key = f"'c' || c.id || ':{INVITATION_KIND}:' || v.session_id"
    return _run(
        context,
        INVITATION_KIND,
        "session_id, municipality_id, born_from, born_until",
        values,
        key,
        "c.municipality_id = v.municipality_id"
        " AND c.birth_date BETWEEN v.born_from AND v.born_until",
    )


def _eve_reminders(context: PlanStepContext) -> int:
    """The day before a session, to each reader whose invitation went out."""
    values: list[tuple[Param, ...]] = [
        (session.pk, change_id, session.municipality_id, session.born_from, session.born_until)
        for session, change_id in selectors.sessions_on_eve(context.municipality_ids, context.on)
    ]
    key = f"'c' || c.id || ':{EVE_KIND}:' || v.change_id"
    invited = (
        f" AND EXISTS (SELECT 1 FROM {outbox.TABLE} d WHERE d.subscriber_id = s.id"  # noqa: S608
        " AND d.status = 'sent'"
        f" AND d.message_key = 'c' || c.id || ':{INVITATION_KIND}:' || v.session_id)"
    )
    return _run(
        context,
        EVE_KIND,
        "session_id, change_id, municipality_id, born_from, born_until",
        values,
        key,
        "c.municipality_id = v.municipality_id"
        " AND c.birth_date BETWEEN v.born_from AND v.born_until",
        where=invited,
    )


def plan_checkups(context: PlanStepContext) -> dict[str, int]:
    """The plan step registered with the delivery planner (checkups.apps)."""
    return {
        REMINDER_KIND: _reminders(context),
        INVITATION_KIND: _invitations(context),
        EVE_KIND: _eve_reminders(context),
    }
