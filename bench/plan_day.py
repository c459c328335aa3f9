"""Benchmark: plan one day for 100,000 and 1,000,000 families on PostgreSQL.

Content at Kizuna Mail's daily cadence (a message for every gestational day from 4w0d and every
day of the first 100 days, weekly and monthly after), families spread evenly over the whole
programme. Each size reports the planner's time beside a raw ``INSERT … SELECT`` that creates the
same rows in the same run (the floor), the re-plan of the same day (all conflicts), and µs per
delivery. Run: ``make bench`` (or ``.venv/bin/python bench/plan_day.py --sizes 100000 1000000``).
"""

from __future__ import annotations

import argparse
import datetime
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kizuna.settings")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kizuna_bench")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from content.models import StageMessage  # noqa: E402
from content.stages import Stage, Track, Unit, anchors_entering  # noqa: E402
from delivery import planner  # noqa: E402
from municipalities.models import Municipality  # noqa: E402

ON = datetime.date(2026, 11, 24)
PROGRAMME_DAYS = (280 - 28) + 3 * 365  # from 4w0d to the 3rd birthday


def daily_content() -> list[Stage]:
    stages = [Stage(Track.PREGNANCY, Unit.DAY, d) for d in range(28, 294)]
    stages += [Stage(Track.CHILD, Unit.DAY, d) for d in range(101)]
    stages += [Stage(Track.CHILD, Unit.WEEK, w) for w in range(15, 53)]
    stages += [Stage(Track.CHILD, Unit.MONTH, m) for m in range(12, 37)]
    truncate_deliveries()  # deliveries (from bench/send.py too) protect the texts they sent
    StageMessage.objects.all().delete()
    StageMessage.objects.bulk_create(
        StageMessage(
            track=s.track,
            unit=s.unit,
            number=s.number,
            subject=s.key,
            body="## a\nb",
            published=True,
        )
        for s in stages
    )
    return stages


def families(count: int, municipality: Municipality) -> None:
    """``count`` confirmed families spread evenly over every day of the programme."""
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE delivery_delivery, subscribers_subscription, subscribers_subscriber, subscribers_child RESTART IDENTITY CASCADE"
        )
        cursor.execute(
            """
            INSERT INTO subscribers_child (municipality_id, due_date, birth_date, status, loss, created_at)
            SELECT %(m)s,
                   CASE WHEN g.age < 252 THEN %(on)s::date + (252 - g.age) ELSE NULL END,
                   CASE WHEN g.age >= 252 THEN %(on)s::date - (g.age - 252) ELSE NULL END,
                   CASE WHEN g.age < 252 THEN 'expecting' ELSE 'born' END, '', now()
            FROM (SELECT i, ((i::bigint * 7919) %% %(span)s)::int AS age FROM generate_series(1, %(n)s) AS i) AS g
            ORDER BY g.i
            """,
            {"m": municipality.pk, "on": ON, "n": count, "span": PROGRAMME_DAYS},
        )
        cursor.execute(
            """
            INSERT INTO subscribers_subscriber (municipality_id, email, channel, relationship, nickname,
                language, source, consent_at, consent_policy_version, confirmed_at, unsubscribe_reason,
                channel_stop_reason, created_at, updated_at, signup_tag)
            SELECT %(m)s, 'reader' || i || '@example.jp', 'email', 'self', '', 'ja', 'signup',
                   now() - interval '400 days', '2026-04', now() - interval '400 days', '', '', now(), now(), ''
            FROM generate_series(1, %(n)s) AS i
            """,
            {"m": municipality.pk, "n": count},
        )
        cursor.execute(
            "INSERT INTO subscribers_subscription (subscriber_id, child_id, created_at) "
            "SELECT id, id, now() FROM subscribers_subscriber"
        )
        cursor.execute(
            "ANALYZE subscribers_child, subscribers_subscriber, subscribers_subscription"
        )


FLOOR_SQL = """
    WITH v(anchor, key) AS (VALUES {values})
    INSERT INTO delivery_delivery (municipality_id, subscriber_id, child_id, channel, message_key,
        due_on, status, attempts, last_error, next_attempt_at, provider_message_id, text_versions,
        feedback, planned_at)
    SELECT c.municipality_id, s.id, c.id, s.channel, 'c' || c.id || ':stage:' || v.key, %s,
           'planned', 0, '', now(), '', '{{}}', '', now()
    FROM v
    JOIN subscribers_child c ON c.municipality_id = %s AND c.status = '{status}'
         AND c.{anchor} = v.anchor
    JOIN subscribers_subscription sub ON sub.child_id = c.id
    JOIN subscribers_subscriber s ON s.id = sub.subscriber_id
    ON CONFLICT DO NOTHING
"""


def floor(stages: list[Stage], municipality: Municipality) -> tuple[float, int]:
    """The same rows by two hand-written statements (pregnancy by due date, child by birth)."""
    inserted = 0
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for track, status, anchor_column in (
            (Track.PREGNANCY, "expecting", "due_date"),
            (Track.CHILD, "born", "birth_date"),
        ):
            rows = [
                (anchor, f"{s.track}:{s.unit}:{s.number}")
                for s in stages
                if s.track == track
                for anchor in anchors_entering(s, ON)
            ]
            sql = FLOOR_SQL.format(
                values=", ".join(["(%s::date, %s)"] * len(rows)),
                status=status,
                anchor=anchor_column,
            )
            cursor.execute(sql, [value for row in rows for value in row] + [ON, municipality.pk])
            inserted += cursor.rowcount
    return time.perf_counter() - started, inserted


def truncate_deliveries() -> None:
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE delivery_delivery, delivery_planrun RESTART IDENTITY")
        cursor.execute("VACUUM ANALYZE delivery_delivery")


def run(size: int, stages: list[Stage], municipality: Municipality) -> dict:
    families(size, municipality)
    truncate_deliveries()
    floor_seconds, floor_rows = floor(stages, municipality)
    floor_conflict_seconds, _ = floor(stages, municipality)
    truncate_deliveries()
    started = time.perf_counter()
    result = planner.plan_day(ON, [municipality], stages=stages)
    plan_seconds = time.perf_counter() - started
    started = time.perf_counter()
    replan = planner.plan_day(ON, [municipality], stages=stages)
    replan_seconds = time.perf_counter() - started
    assert result.planned["stage"] == floor_rows, (result.planned, floor_rows)
    assert replan.total == 0
    return {
        "families": size,
        "deliveries": result.total,
        "floor_s": floor_seconds,
        "plan_s": plan_seconds,
        "ratio": plan_seconds / floor_seconds,
        "us_per_delivery": plan_seconds / max(result.total, 1) * 1e6,
        "floor_conflict_s": floor_conflict_seconds,
        "replan_s": replan_seconds,
        "replan_ratio": replan_seconds / floor_conflict_seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000, 2_600_000])
    arguments = parser.parse_args()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    call_command("migrate", verbosity=0)
    municipality, _ = Municipality.objects.get_or_create(
        slug="bench",
        defaults={
            "name": "ベンチ市",
            "prefecture": "東京都",
            "code": "139998",
            "service_name": "ベンチ",
            "sender_name": "ベンチ",
            "sender_email": "bench@example.jp",
        },
    )
    stages = daily_content()
    print(f"{len(stages)} stages with messages; day {ON}; PostgreSQL {connection.pg_version}")
    header = f"{'families':>10} {'deliveries':>10} {'floor s':>8} {'plan s':>8} {'ratio':>6} {'µs/dlv':>7} {'re-plan s':>9} {'floor re-run s':>14} {'ratio':>6}"
    print(header)
    results = []
    for size in arguments.sizes:
        print(f"  generating {size:,} families…", file=sys.stderr, flush=True)
        r = run(size, stages, municipality)
        results.append(r)
        print(
            f"{r['families']:>10,} {r['deliveries']:>10,} {r['floor_s']:>8.2f} {r['plan_s']:>8.2f} "
            f"{r['ratio']:>6.2f} {r['us_per_delivery']:>7.1f} {r['replan_s']:>9.2f} "
            f"{r['floor_conflict_s']:>14.2f} {r['replan_ratio']:>6.2f}",
            flush=True,
        )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the planning process: {peak_mb:.0f} MB")
    daily_mb = _storage(results[-1]["deliveries"])
    _goals(results, peak_mb, daily_mb)


def _storage(deliveries_a_day: int) -> float:
    """Bytes per delivery row as planned (heap, TOAST and every index), and a day's growth."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), pg_table_size('delivery_delivery'),"
            " pg_indexes_size('delivery_delivery') FROM delivery_delivery"
        )
        rows, table_bytes, index_bytes = cursor.fetchone()
    per_row = (table_bytes + index_bytes) / max(rows, 1)
    daily_mb = per_row * deliveries_a_day / 1e6
    print(
        f"delivery rows as planned: {table_bytes / max(rows, 1):.0f} B/row in the table"
        f" + {index_bytes / max(rows, 1):.0f} B/row in its indexes = {per_row:.0f} B/row"
        f" ({rows:,} rows); a day of {deliveries_a_day:,} deliveries adds {daily_mb:.0f} MB"
    )
    return daily_mb


def _goals(results: list[dict], peak_mb: float, daily_mb: float) -> None:
    """The national-scale goals, each with the figure measured above."""
    largest = results[-1]
    costs = [r["us_per_delivery"] for r in results]
    goals = [
        (
            f"plan {largest['families']:,} families ≤ 2× floor",
            largest["ratio"] <= 2,
            f"{largest['ratio']:.2f}×",
        ),
        (
            "re-plan of the same day ≤ 1.5× the floor's all-conflict re-run",
            all(r["replan_ratio"] <= 1.5 for r in results),
            ", ".join(f"{r['replan_ratio']:.2f}×" for r in results),
        ),
        (
            "cost per delivery flat across sizes (largest/smallest µs ≤ 1.5)",
            max(costs) / min(costs) <= 1.5,
            f"{max(costs) / min(costs):.2f}",
        ),
        ("peak RSS ≤ 256 MB", peak_mb <= 256, f"{peak_mb:.0f} MB"),
        ("a day's delivery rows ≤ 150 MB", daily_mb <= 150, f"{daily_mb:.0f} MB"),
    ]
    for r in results:
        if r["families"] == 100_000:
            goals.append(("100,000 families in ≤ 1 s", r["plan_s"] <= 1, f"{r['plan_s']:.2f} s"))
    for name, met, figure in goals:
        print(f"{'met' if met else 'NOT MET':>8}  {name}: {figure}")


if __name__ == "__main__":
    main()
