"""Before erasure deletes what readers left, count it: the report's past years stay whole.

Registered with ``subscribers.erasure.register_step`` from ``ReportsConfig.ready()``. Only counts
are written (by year, week bucket, channel, source, reason, stage), never who; one statement each.
"""

from __future__ import annotations

from typing import Any

from django.db import connection

from .selectors import (
    BUCKET_SQL,
    FAMILY_SQL,
    FISCAL_YEAR_SQL,
    LEAVER_SQL,
    ORIGIN_SQL,
    STAGE_SQL,
    reason_sql,
)

# The families erasure will delete: every reader who follows them is among those erased.
_GONE = """
    c.id IN (
        SELECT f.child_id FROM subscribers_subscription f
        WHERE f.subscriber_id = ANY(%(ids)s)
          AND NOT EXISTS (
            SELECT 1 FROM subscribers_subscription o
            WHERE o.child_id = f.child_id AND NOT (o.subscriber_id = ANY(%(ids)s))
          )
    )"""
_LOST_ON = "(status_changed_at AT TIME ZONE 'Asia/Tokyo')::date"
_FAMILIES = f"""
    WITH family AS ({FAMILY_SQL.format(where=_GONE)})
    INSERT INTO reports_erasedfamilies (municipality_id, registered_fiscal_year, bucket, channel,
                                        origin, born_fiscal_year, loss, lost_fiscal_year, count)
    SELECT municipality_id, {FISCAL_YEAR_SQL.format(day="registered_on")}, {BUCKET_SQL}, channel,
        left({ORIGIN_SQL}, 30),
        COALESCE({FISCAL_YEAR_SQL.format(day="birth_date")}, 0),
        CASE WHEN status = 'lost' THEN loss ELSE '' END,
        CASE WHEN status = 'lost' AND status_changed_at IS NOT NULL
             THEN {FISCAL_YEAR_SQL.format(day=_LOST_ON)} ELSE 0 END,
        count(*)
    FROM family GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
    ON CONFLICT (municipality_id, registered_fiscal_year, bucket, channel, origin,
                 born_fiscal_year, loss, lost_fiscal_year)
    DO UPDATE SET count = reports_erasedfamilies.count + excluded.count
"""  # noqa: S608 (constant fragments; every value is a parameter)
_LEAVERS = """
    WITH leaver AS ({leavers})
    INSERT INTO reports_erasedleavers (municipality_id, left_fiscal_year, reason, stage, count)
    SELECT municipality_id, {year}, {reason}, {stage}, count(*) FROM leaver GROUP BY 1, 2, 3, 4
    ON CONFLICT (municipality_id, left_fiscal_year, reason, stage)
    DO UPDATE SET count = reports_erasedleavers.count + excluded.count
"""


def count_before_erasure(subscriber_ids: list[int]) -> None:
    """Add the families and leavers about to be erased to the kept counts."""
    if not subscriber_ids:
        return
    params: dict[str, Any] = {"ids": list(subscriber_ids)}
    leavers = _LEAVERS.format(
        leavers=LEAVER_SQL.format(where="s.id = ANY(%(ids)s)"),
        year=FISCAL_YEAR_SQL.format(day="left_on"),
        reason=reason_sql(params),
        stage=STAGE_SQL,
    )
    with connection.cursor() as cursor:
        cursor.execute(_FAMILIES, params)
        cursor.execute(leavers, params)
