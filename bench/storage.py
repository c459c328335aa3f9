"""Benchmark: what a day of deliveries adds to the database, and that the delivery table stays
bounded.

Families and content as in ``bench/plan_day.py`` (imported from it). Day 1 is planned and then
"sent" by set-based UPDATEs that write what the senders write (claim, then status, provider id,
text versions, sent time), and vacuumed when autovacuum would (with the table's own thresholds:
2 % of it dead, or PostgreSQL's default 20 % inserted). Then days 2… are planned and sent the
same way, with the day counts recounted and the nightly roll-up (``delivery.retention``) run
after each day: rows older than the kept days go, each sent one leaving a slim
``SentMessage`` record.

Prints, each with its goal: bytes per delivery row with every index, after sending; bytes per
sent-message record; what a day of 1.0 million deliveries adds to both once in use; planning
day 30 beside day 1 (the floor, same run); the delivery table's size by day (bounded once the
roll-up deletes).

Run: ``make bench-storage`` (or ``.venv/bin/python bench/storage.py --families 300000``;
national scale: ``--families 2600000``).
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kizuna_bench")

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from plan_day import ON, daily_content, nation, truncate_deliveries

from delivery import planner, retention, stats
from delivery.models import SentMessage
from municipalities.models import Municipality

NATIONAL_A_DAY = 1_000_000
MB = 1e6


def size(table: str = "delivery_delivery") -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_total_relation_size(%s)", [table])
        return cursor.fetchone()[0]


def history_size() -> int:
    return size("delivery_sentmessage")


def live_rows() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM delivery_delivery")
        return cursor.fetchone()[0]


def breakdown(rows: int, table: str = "delivery_delivery") -> str:
    """Bytes per row of the heap (with TOAST) and of each index."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_table_size(%s)", [table])
        parts = [("table", cursor.fetchone()[0])]
        cursor.execute(
            "SELECT indexrelid::regclass::text, pg_relation_size(indexrelid) FROM pg_index"
            " WHERE indrelid = %s::regclass ORDER BY 2 DESC",
            [table],
        )
        parts += cursor.fetchall()
    return "\n".join(f"    {name:<40} {bytes_ / rows:7.1f} B/row" for name, bytes_ in parts)


def send(day: datetime.date, batch: int) -> None:
    """What the dispatchers write, a batch at a time as they do: the claim, then the outcome."""
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                """
                UPDATE delivery_delivery SET status = 'sending', claimed_by = 'bench-host:4242',
                       claimed_until = now() + interval '10 minutes', attempts = attempts + 1
                WHERE id IN (SELECT id FROM delivery_delivery
                             WHERE due_on = %s AND status = 'planned' ORDER BY id LIMIT %s)
                RETURNING id
                """,
                [day, batch],
            )
            claimed = [row[0] for row in cursor.fetchall()]
            if not claimed:
                return
            cursor.execute(
                """
                UPDATE delivery_delivery SET status = 'sent', sent_at = now(), last_error = '',
                       claimed_until = NULL, claimed_by = '',
                       provider_message_id = md5(id::text)::uuid::text,
                       text_versions = json_build_object('message', 1000 + id %% 400),
                       stage_message_id = (SELECT min(id) FROM content_stagemessage)
                WHERE id = ANY(%s)
                """,
                [claimed],
            )


class Autovacuum:
    """Vacuums when PostgreSQL's autovacuum would, with the table's own thresholds.

    The delivery table sets its scale factors (migration 0009); whatever it does not set keeps
    PostgreSQL's default: 50 rows + 20 % of the table dead, 1,000 rows + 20 % inserted.
    """

    DEFAULTS = {
        "autovacuum_vacuum_threshold": 50.0,
        "autovacuum_vacuum_scale_factor": 0.2,
        "autovacuum_vacuum_insert_threshold": 1000.0,
        "autovacuum_vacuum_insert_scale_factor": 0.2,
    }

    def __init__(self) -> None:
        self.dead = 0
        self.inserted = 0
        self.runs = 0
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT unnest(reloptions) FROM pg_class WHERE oid = 'delivery_delivery'::regclass"
            )
            table = dict(option.split("=", 1) for (option,) in cursor.fetchall())
        self.settings = {
            name: float(table.get(name, value)) for name, value in self.DEFAULTS.items()
        }

    def describe(self) -> str:
        return (
            f"vacuum after {self.settings['autovacuum_vacuum_scale_factor']:.0%} of the table dead"
            f" or {self.settings['autovacuum_vacuum_insert_scale_factor']:.0%} inserted"
        )

    def after(self, *, inserted: int, dead: int) -> None:
        self.inserted += inserted
        self.dead += dead
        live = live_rows()
        limits = self.settings
        if self.dead > (
            limits["autovacuum_vacuum_threshold"] + limits["autovacuum_vacuum_scale_factor"] * live
        ) or self.inserted > (
            limits["autovacuum_vacuum_insert_threshold"]
            + limits["autovacuum_vacuum_insert_scale_factor"] * live
        ):
            with connection.cursor() as cursor:
                cursor.execute("VACUUM (ANALYZE) delivery_delivery")
            self.dead = self.inserted = 0
            self.runs += 1


def run_day(
    number: int, stages, municipalities: list[Municipality], vacuum: Autovacuum, batch: int
) -> tuple[int, float, int]:
    """Plan, send, count and roll up one day; returns (rows planned, planning s, rolled up)."""
    day = ON + datetime.timedelta(days=number - 1)
    started = time.perf_counter()
    result = planner.plan_day(day, municipalities, stages=stages)
    seconds = time.perf_counter() - started
    send(day, batch)
    stats.recount_open_days(day)
    rolled = retention.roll_up(day).total
    # Each sent row left two dead versions (claim, outcome); each rolled-up row one.
    vacuum.after(inserted=result.total, dead=2 * result.total + rolled)
    return result.total, seconds, rolled


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--families", type=int, default=300_000)
    parser.add_argument("--days", type=int, default=40, help="days of sending to simulate")
    parser.add_argument("--per-municipality", type=int, default=10_000)
    parser.add_argument(
        "--keep-days", type=int, default=settings.KIZUNA_DELIVERY_KEEP_DAYS, help="rows kept whole"
    )
    parser.add_argument(
        "--batch", type=int, default=1000, help="rows claimed and marked sent at a time"
    )
    arguments = parser.parse_args()
    settings.KIZUNA_DELIVERY_KEEP_DAYS = arguments.keep_days
    call_command("migrate", verbosity=0)
    stages = daily_content()
    municipalities = nation(arguments.families, arguments.per_municipality)
    truncate_deliveries()
    print(
        f"{arguments.families:,} families, {len(stages)} stages with messages, from {ON};"
        f" {arguments.days} days, roll-up keeps {arguments.keep_days} days;"
        f" PostgreSQL {connection.pg_version}"
    )
    with connection.cursor() as cursor:
        cursor.execute("SHOW shared_buffers")
        shared_buffers = cursor.fetchone()[0]
    vacuum = Autovacuum()
    print(f"  shared_buffers {shared_buffers}; {vacuum.describe()}")
    empty = size()
    planned, day1_seconds, _ = run_day(1, stages, municipalities, vacuum, arguments.batch)
    if not vacuum.runs:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE) delivery_delivery")
    day1_size = size()
    per_row = (day1_size - empty) / planned
    print(f"day 1: {planned:,} deliveries planned in {day1_seconds:.2f} s, sent and vacuumed")
    print(f"  {per_row:.0f} B per delivery row with its indexes, of which:")
    print(breakdown(planned))

    sizes = {1: day1_size}
    history = {1: history_size()}
    timings = {1: (planned, day1_seconds)}
    rows_by_day = {1: planned}
    rolled_total = 0
    for number in range(2, arguments.days + 1):
        planned, seconds, rolled = run_day(number, stages, municipalities, vacuum, arguments.batch)
        timings[number] = (planned, seconds)
        rows_by_day[number] = planned
        rolled_total += rolled
        sizes[number] = size()
        history[number] = history_size()
        if number % 5 == 0 or number == arguments.days:
            print(
                f"day {number:>3}: {planned:,} planned in {seconds:.2f} s"
                f" ({seconds / planned * 1e6:.1f} µs/delivery); rolled up {rolled:,};"
                f" table {sizes[number] / MB:,.0f} MB, {live_rows():,} rows;"
                f" sent-message records {history[number] / MB:,.0f} MB",
                flush=True,
            )
    print(f"autovacuum-equivalent VACUUM runs: {vacuum.runs}; rows rolled up: {rolled_total:,}")
    records = SentMessage.objects.count()
    if records:
        print(
            f"the sent-message records: {records:,}, {history[arguments.days] / records:.0f} B each"
            " with their indexes, of which:"
        )
        print(breakdown(records, "delivery_sentmessage"))

    # Growth once the table is in steady use (days 21–30 by default): bytes the delivery table
    # and the sent-message records added together, per delivery planned.
    last_history = min(30, arguments.days)
    first = max(2, last_history - 9)
    planned_then = sum(rows_by_day[d] for d in range(first, last_history + 1))
    table_added = sizes[last_history] - sizes[first - 1]
    history_added = history[last_history] - history[first - 1]
    steady_per_row = (table_added + history_added) / planned_then
    day_mb = per_row * NATIONAL_A_DAY / MB
    steady_mb = steady_per_row * NATIONAL_A_DAY / MB
    print(
        f"growth over days {first}–{last_history}: {steady_per_row:.0f} B per delivery"
        f" (delivery table {table_added / planned_then:.0f} B: freed space of rolled-up rows,"
        f" claims and old versions reused; sent-message records {history_added / planned_then:.0f} B)"
    )

    def us(number: int) -> float:
        rows, seconds = timings[number]
        return seconds / rows * 1e6

    day30 = min(30, arguments.days)
    ratio = timings[day30][1] / timings[1][1]
    ratio_per_row = us(day30) / us(1)
    early = statistics.median(us(d) for d in range(1, min(6, day30 + 1)))
    late = statistics.median(us(d) for d in range(max(1, day30 - 4), day30 + 1))
    # The rows of the kept days have all been replaced once by then: from there the roll-up's
    # freed space takes each new day.
    keep_day = min(2 * arguments.keep_days, arguments.days)
    last = arguments.days
    bounded = sizes[last] <= sizes[keep_day] * 1.05
    print(
        "delivery table size: "
        + ", ".join(
            f"day {d} {sizes[d] / MB:,.0f} MB"
            for d in sorted({1, arguments.keep_days, keep_day, day30, last})
            if d in sizes
        )
    )
    print(
        f"kept {settings.KIZUNA_SENT_HISTORY_DAYS} days (KIZUNA_SENT_HISTORY_DAYS), the records of"
        f" a national day come to {settings.KIZUNA_SENT_HISTORY_DAYS} ×"
        f" {history_added / planned_then * NATIONAL_A_DAY / MB:.0f} MB at most"
    )
    print(
        f"a national day in the delivery table as sent (day 1, {per_row:.0f} B/row): {day_mb:.0f} MB,"
        f" held for the {arguments.keep_days} days the rows are kept"
    )
    goals = [
        (
            f"delivery storage grows ≤ 150 MB a day of {NATIONAL_A_DAY:,} deliveries (days"
            f" {first}–{last_history}, {steady_per_row:.0f} B/delivery)",
            steady_mb <= 150,
            f"{steady_mb:.0f} MB",
        ),
        (
            f"planning day {day30} ≤ 1.2× day 1 ({timings[day30][1]:.2f} s vs {timings[1][1]:.2f} s)",
            ratio <= 1.2,
            f"{ratio:.2f}×",
        ),
        (
            f"… per delivery ({us(day30):.1f} vs {us(1):.1f} µs)",
            ratio_per_row <= 1.2,
            f"{ratio_per_row:.2f}×",
        ),
        (
            f"… median µs/delivery of days {max(1, day30 - 4)}–{day30} vs days 1–5",
            late / early <= 1.2,
            f"{late / early:.2f}×",
        ),
        (
            f"delivery table bounded: day {last} ≤ 1.05× day {keep_day} (the roll-up keeps"
            f" {arguments.keep_days} days, so by day {keep_day} every kept day has been replaced)",
            bounded,
            f"{sizes[last] / sizes[keep_day]:.2f}×",
        ),
    ]
    for name, met, figure in goals:
        print(f"{'met' if met else 'NOT MET':>8}  {name}: {figure}")


if __name__ == "__main__":
    main()
