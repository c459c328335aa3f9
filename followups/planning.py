"""The plan step that writes each day's questionnaires with the stage messages, set-based."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.db import connection

from content.stages import Stage, Track, Unit, anchors_entering
from delivery import outbox
from delivery.planner import PlanStepContext
from kizuna import clock

from .models import MESSAGE_KIND, Questionnaire


def plan_questionnaires(context: PlanStepContext) -> Mapping[str, int]:
    """Every family entering a questionnaire's stage today gets it once, unless a loss was
    reported in the family or they have answered already."""
    found = Questionnaire.objects.filter(
        municipality_id__in=context.municipality_ids, active=True
    ).values_list("pk", "track", "unit", "number")
    rows = [
        (pk, track, anchor)
        for pk, track, unit, number in found
        for anchor in anchors_entering(Stage(Track(track), Unit(unit), number), context.on)
    ]
    if not rows:
        return {MESSAGE_KIND: 0}
    values = ", ".join(["(%s, %s, %s)"] * len(rows))
    readers = ""
    if context.subscriber_ids is not None:
        readers = f"AND s.id IN ({', '.join(['%s'] * len(context.subscriber_ids)) or 'NULL'})"
    key = f"'c' || c.id || ':{MESSAGE_KIND}:' || q.id"
    row = outbox.row_sql(
        municipality="c.municipality_id",
        subscriber="s.id",
        child="c.id",
        channel="s.channel",
        key=key,
    )
    select = f"""
        SELECT {row}
        FROM v
        JOIN followups_questionnaire q ON q.id = v.qid
        JOIN subscribers_child c ON c.municipality_id = q.municipality_id AND (
            (v.track = 'pregnancy' AND c.status = 'expecting' AND c.due_date = v.anchor)
            OR (v.track = 'child' AND c.status = 'born' AND c.birth_date = v.anchor))
        JOIN subscribers_subscription sub ON sub.child_id = c.id AND sub.ended_at IS NULL
        JOIN subscribers_subscriber s ON s.id = sub.subscriber_id
             AND s.confirmed_at < %s AND s.unsubscribed_at IS NULL
             AND s.channel_stopped_at IS NULL {readers}
        WHERE NOT EXISTS (
            SELECT 1 FROM subscribers_subscription ls
            JOIN subscribers_child lc ON lc.id = ls.child_id
            WHERE ls.subscriber_id = s.id AND lc.status = 'lost')
          AND NOT EXISTS (
            SELECT 1 FROM followups_response r
            WHERE r.questionnaire_id = q.id AND r.child_id = c.id AND r.subscriber_id = s.id)
    """  # noqa: S608 (only placeholders and fixed SQL fragments are interpolated)
    with_clause = f"WITH v(qid, track, anchor) AS (VALUES {values})"
    next_day = datetime.datetime.combine(
        context.on + datetime.timedelta(days=1), datetime.time(), tzinfo=clock.TOKYO
    )
    # As the database stores them: the embedded SQLite default keeps dates as text.
    ops = connection.ops
    params: list[Any] = [
        value
        for pk, track, anchor in rows
        for value in (pk, track, ops.adapt_datefield_value(anchor))
    ]
    params += outbox.row_params(context.on, context.now, context.now)
    params.append(ops.adapt_datetimefield_value(next_day))
    params += context.subscriber_ids or []
    if context.dry_run:
        count = f"{with_clause} SELECT count(*) FROM ({select}) AS n"  # noqa: S608
        context.cursor.execute(count, params)
        return {MESSAGE_KIND: context.cursor.fetchone()[0]}
    context.cursor.execute(outbox.insert_sql(select, with_clause=with_clause), params)
    inserted = context.cursor.rowcount
    if inserted < 0:  # SQLite gives no row count for a statement led by WITH
        context.cursor.execute("SELECT changes()")
        inserted = context.cursor.fetchone()[0]
    return {MESSAGE_KIND: inserted}
