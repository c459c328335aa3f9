"""Benchmark: plan one day at Japan's national scale on PostgreSQL, beside a raw SQL floor.

One nation is generated once: 2,600,000 confirmed families (Japan's 686,061 births in 2024 at
Kizuna Mail's cadence), spread evenly over every stage of the programme, in municipalities of
10,000 families each, on the daily programme with the real pack's stages (毎日（きずなメール型）:
every gestational day from 4w0d and every day of the first 100 days, every 3rd day to 1, weekly
while 1, every 14 days while 2, with the weekly and monthly anchors, to age 3). Each size is a set
of those municipalities (100,000 families = 10 municipalities) planned while the rest of the
nation's rows stay in place. For each size the same run measures, on the same table with the same
indexes and constraints:

- the floor: a hand-written ``INSERT … SELECT … ON CONFLICT DO NOTHING`` per track that creates
  exactly the rows the planner creates (checked), and its all-conflict re-run;
- the planner (``delivery.planner.plan_day``) and its re-plan of the same day (0 rows inserted);
- the planner again with every planned municipality's vaccination reminders on (the
  vaccinations plan step; half the born children have B型肝炎 1回目 recorded, a quarter 五種混合
  1回目), against the same day with them off: the goal is ≤ 1.2×.

Then the planning process's peak RSS, the storage per delivery row, and PASS/MISS per goal.
Run: ``make bench-plan`` (or ``.venv/bin/python bench/plan_day.py --families 1000000 --sizes
100000 1000000`` for a smaller nation).
"""

from __future__ import annotations

import argparse
import datetime
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any, cast

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import Quietness, uptime_line

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kizuna.settings")
# Production settings (DEBUG on keeps every query in memory and times it).
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production-use-0123456789")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kizuna_bench")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from content.models import BirthdayMessage, StageMessage  # noqa: E402
from content.programme import PRESETS, Programme  # noqa: E402
from content.stages import Stage, Track, anchors_entering  # noqa: E402
from delivery import planner, retention  # noqa: E402
from municipalities.models import Municipality  # noqa: E402
from vaccinations.models import ReminderSettings  # noqa: E402

ON = datetime.date(2026, 11, 24)
PROGRAMME_DAYS = (280 - 28) + 3 * 365  # from 4w0d to the 3rd birthday
NATIONAL_FAMILIES = 2_600_000
SLUG_PREFIX = "bench-"
DAILY = Programme(**cast(dict[str, Any], PRESETS["daily"][1]), months=36)
DAILY_FIELDS = {f"cadence_{band}": cadence.value for band, cadence in PRESETS["daily"][1].items()}


def daily_content() -> list[Stage]:
    """The real pack's stages at the daily cadence (毎日（きずなメール型）, to age 3), and nothing
    else the planner would add (birthdays)."""
    stages = DAILY.stages()
    keys = {(s.track.value, s.unit.value, s.number) for s in stages}
    published = set(
        StageMessage.objects.filter(published=True).values_list("track", "unit", "number")
    )
    if (
        published == keys
        and StageMessage.objects.count() == len(keys)
        and not BirthdayMessage.objects.exists()  # bench/send.py loads the content pack's
    ):
        return stages
    truncate_deliveries()  # deliveries (from bench/send.py too) protect the texts they sent
    BirthdayMessage.objects.all().delete()
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


def nation(families: int, per_municipality: int) -> list[Municipality]:
    """The bench municipalities, holding ``families`` confirmed families between them.

    Generated once and kept: planning changes no family here (nobody has passed the end of the
    programme), so a later run with the same shape reuses them.
    """
    count = -(-families // per_municipality)
    municipalities = list(Municipality.objects.filter(slug__startswith=SLUG_PREFIX).order_by("pk"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM subscribers_child")
        children = cursor.fetchone()[0]
        cursor.execute("SELECT count(DISTINCT municipality_id) FROM subscribers_child")
        places = cursor.fetchone()[0]
    if len(municipalities) == count and children == families and places == count:
        print(f"  reusing {families:,} families in {count} municipalities", file=sys.stderr)
        Municipality.objects.filter(slug__startswith=SLUG_PREFIX).update(**DAILY_FIELDS)
        dose_records()
        return list(Municipality.objects.filter(slug__startswith=SLUG_PREFIX).order_by("pk"))
    print(f"  generating {families:,} families…", file=sys.stderr, flush=True)
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE delivery_delivery, delivery_planrun, subscribers_subscription,"
            " subscribers_subscriber, subscribers_child RESTART IDENTITY CASCADE"
        )
    Municipality.objects.filter(slug__startswith=SLUG_PREFIX).delete()
    Municipality.objects.bulk_create(
        Municipality(
            name=f"ベンチ市{n}",
            prefecture="東京都",
            code=f"9{n:05d}",
            slug=f"{SLUG_PREFIX}{n:04d}",
            service_name="ベンチ",
            sender_name="ベンチ",
            sender_email="bench@example.jp",
            **DAILY_FIELDS,
        )
        for n in range(1, count + 1)
    )
    municipalities = list(Municipality.objects.filter(slug__startswith=SLUG_PREFIX).order_by("pk"))
    ids = [m.pk for m in municipalities]
    params = {"on": ON, "n": families, "span": PROGRAMME_DAYS, "per": per_municipality, "ids": ids}
    with connection.cursor() as cursor:
        # Family i lives in municipality (i - 1) // per; its stage is spread over the programme.
        cursor.execute(
            """
            INSERT INTO subscribers_child (municipality_id, due_date, birth_date, status, loss, created_at)
            SELECT (%(ids)s::bigint[])[(g.i - 1) / %(per)s + 1],
                   CASE WHEN g.age < 252 THEN %(on)s::date + (252 - g.age) ELSE NULL END,
                   CASE WHEN g.age >= 252 THEN %(on)s::date - (g.age - 252) ELSE NULL END,
                   CASE WHEN g.age < 252 THEN 'expecting' ELSE 'born' END, '', now()
            FROM (SELECT i, ((i::bigint * 7919) %% %(span)s)::int AS age
                  FROM generate_series(1, %(n)s) AS i) AS g
            ORDER BY g.i
            """,
            params,
        )
        cursor.execute(
            """
            INSERT INTO subscribers_subscriber (municipality_id, email, channel, relationship, nickname,
                language, source, consent_at, consent_policy_version, confirmed_at, unsubscribe_reason,
                channel_stop_reason, created_at, updated_at, signup_tag)
            SELECT (%(ids)s::bigint[])[(i - 1) / %(per)s + 1], 'reader' || i || '@example.jp',
                   'email', 'self', '', 'ja', 'signup', now() - interval '400 days', '2026-04',
                   now() - interval '400 days', '', '', now(), now(), ''
            FROM generate_series(1, %(n)s) AS i
            """,
            params,
        )
        cursor.execute(
            "INSERT INTO subscribers_subscription (subscriber_id, child_id, created_at) "
            "SELECT id, id, now() FROM subscribers_subscriber"
        )
        cursor.execute(
            "VACUUM ANALYZE subscribers_child, subscribers_subscriber, subscribers_subscription"
        )
    dose_records()
    return municipalities


def dose_records() -> None:
    """Parents' records for the reminders' joins: B型肝炎 1回目 for half the born children,
    五種混合 1回目 for a quarter, given at 2 months (made once, kept with the nation)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM vaccinations_doserecord")
        if cursor.fetchone()[0]:
            return
        print("  recording doses…", file=sys.stderr, flush=True)
        for dose, every in (("hepb-1", 2), ("dtpipvhib-1", 4)):
            cursor.execute(
                """
                INSERT INTO vaccinations_doserecord (child_id, dose, given_on, product, via,
                    recorded_at)
                SELECT c.id, %s, c.birth_date + 61, '', 'web', now()
                FROM subscribers_child c
                WHERE c.status = 'born' AND c.id %% %s = 0 AND c.birth_date + 61 <= %s
                """,
                [dose, every, ON],
            )
        cursor.execute("VACUUM ANALYZE vaccinations_doserecord")


FLOOR_SQL = """
    WITH v(anchor, key) AS (VALUES {values})
    INSERT INTO delivery_delivery (municipality_id, subscriber_id, child_id, channel, message_key,
        due_on, status, attempts, last_error, next_attempt_at, provider_message_id, text_versions,
        feedback, planned_at)
    SELECT c.municipality_id, s.id, c.id, s.channel, 'c' || c.id || ':stage:' || v.key, %s,
           'planned', 0, '', now(), '', '{{}}', '', now()
    FROM v
    JOIN subscribers_child c ON c.municipality_id IN ({places}) AND c.status = '{status}'
         AND c.{anchor} = v.anchor
    JOIN subscribers_subscription sub ON sub.child_id = c.id
    JOIN subscribers_subscriber s ON s.id = sub.subscriber_id
    ON CONFLICT DO NOTHING
"""


def floor(stages: list[Stage], municipality_ids: list[int]) -> tuple[float, int]:
    """The same rows by two hand-written statements (pregnancy by due date, child by birth)."""
    inserted = 0
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for track, status, anchor_column in (
            (Track.PREGNANCY, "expecting", "due_date"),
            (Track.CHILD, "born", "birth_date"),
        ):
            # One stage a day per family, the anchor first: the planner's rule (planner.py).
            entering = planner.one_stage_a_day(
                [
                    (s.track.value, s.unit.value, s.number, anchor)
                    for s in stages
                    if s.track == track
                    for anchor in anchors_entering(s, ON)
                ]
            )
            rows = [(anchor, f"{t}:{u}:{n}") for t, u, n, anchor in entering]
            sql = FLOOR_SQL.format(
                values=", ".join(["(%s::date, %s)"] * len(rows)),
                places=", ".join(["%s"] * len(municipality_ids)),
                status=status,
                anchor=anchor_column,
            )
            cursor.execute(sql, [value for row in rows for value in row] + [ON, *municipality_ids])
            inserted += cursor.rowcount
    return time.perf_counter() - started, inserted


def fingerprint() -> tuple[int, int]:
    """The delivery rows' count and a hash of what they are, to show two runs made the same."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), coalesce(sum(hashtext(municipality_id || ' ' || subscriber_id || ' '"
            " || child_id || ' ' || channel || ' ' || message_key || ' ' || due_on)::bigint), 0)"
            " FROM delivery_delivery"
        )
        return cursor.fetchone()


def truncate_deliveries() -> None:
    """No deliveries, records, plans or day counts, and no roll-up (which would refuse to plan
    old days)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE delivery_delivery, delivery_sentmessage, delivery_planrun, delivery_daycount"
            " RESTART IDENTITY"
        )
        cursor.execute("DELETE FROM delivery_heartbeat WHERE name = %s", [retention.HEARTBEAT])
        cursor.execute("VACUUM ANALYZE delivery_delivery")


def run(size: int, stages: list[Stage], municipalities: list[Municipality], repeat: int) -> dict:
    """Floor and planner for a set of municipalities holding ``size`` families; best of ``repeat``."""
    ids = [m.pk for m in municipalities]
    figures: dict[str, list[float]] = {
        name: []
        for name in ("floor_s", "floor_conflict_s", "plan_s", "replan_s", "reminders_s", "step_s")
    }
    reminders(ids, on=False)  # off for the floor's comparison, whatever a stopped run left
    for _ in range(repeat):
        truncate_deliveries()
        floor_seconds, floor_rows = floor(stages, ids)
        floor_conflict_seconds, floor_again = floor(stages, ids)
        floor_rows_made = fingerprint()
        truncate_deliveries()
        started = time.perf_counter()
        result = planner.plan_day(ON, municipalities, stages=stages)
        plan_seconds = time.perf_counter() - started
        started = time.perf_counter()
        replan = planner.plan_day(ON, municipalities, stages=stages)
        replan_seconds = time.perf_counter() - started
        plan_rows_made = fingerprint()
        assert floor_again == 0, floor_again
        assert result.total == floor_rows and plan_rows_made == floor_rows_made, (
            result.planned,
            floor_rows,
            plan_rows_made,
            floor_rows_made,
        )
        assert replan.total == 0, replan.planned
        figures["floor_s"].append(floor_seconds)
        figures["floor_conflict_s"].append(floor_conflict_seconds)
        figures["plan_s"].append(plan_seconds)
        figures["replan_s"].append(replan_seconds)
        # The same day with the vaccination reminders on, on the same table.
        reminders(ids, on=True)
        truncate_deliveries()
        step = planner.PLAN_STEPS["vaccine"]
        step_seconds: list[float] = []

        def timed(context: planner.PlanStepContext, step=step, spent=step_seconds) -> Any:
            started = time.perf_counter()
            try:
                return step(context)
            finally:
                spent.append(time.perf_counter() - started)

        planner.PLAN_STEPS["vaccine"] = timed
        try:
            started = time.perf_counter()
            with_reminders = planner.plan_day(ON, municipalities, stages=stages)
            figures["reminders_s"].append(time.perf_counter() - started)
        finally:
            planner.PLAN_STEPS["vaccine"] = step
        figures["step_s"].append(sum(step_seconds))
        reminders(ids, on=False)
        assert with_reminders.planned["stage"] == result.planned["stage"], with_reminders.planned
    best = {name: min(values) for name, values in figures.items()}
    return {
        "families": size,
        "municipalities": len(ids),
        "runs": repeat,
        "deliveries": result.total,
        "replanned": replan.total,
        **best,
        "ratio": best["plan_s"] / best["floor_s"],
        "us_per_delivery": best["plan_s"] / max(result.total, 1) * 1e6,
        "floor_us_per_delivery": best["floor_s"] / max(result.total, 1) * 1e6,
        "replan_ratio": best["replan_s"] / best["floor_conflict_s"],
        "reminder_rows": with_reminders.planned["vaccine"],
        "reminders_ratio": best["reminders_s"] / best["plan_s"],
        # The reminders' own statements against the plan without them: steadier than two
        # whole plans on a busy machine.
        "step_ratio": (best["plan_s"] + best["step_s"]) / best["plan_s"],
    }


def reminders(municipality_ids: list[int], *, on: bool) -> None:
    """Turn the vaccination reminders of these municipalities on (defaults: 7 and 30 days)."""
    ReminderSettings.objects.bulk_create(
        [ReminderSettings(municipality_id=pk, reminders_on=on) for pk in municipality_ids],
        update_conflicts=True,
        unique_fields=["municipality"],
        update_fields=["reminders_on"],
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--families",
        type=int,
        default=NATIONAL_FAMILIES,
        help="families in the whole nation (default: %(default)s)",
    )
    parser.add_argument(
        "--per-municipality",
        type=int,
        default=10_000,
        help="families per municipality (default: %(default)s)",
    )
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=[100_000, 1_000_000, 2_600_000],
        help="families planned in each measurement, multiples of --per-municipality"
        " up to --families (default: %(default)s)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="runs of floor and planner below 1,000,000 families, best kept (default: %(default)s)",
    )
    parser.add_argument("--refuse-busy", action="store_true", help="refuse a busy machine")
    arguments = parser.parse_args()
    quiet = Quietness(refuse=arguments.refuse_busy or None)
    print(quiet.header(), flush=True)
    per = arguments.per_municipality
    for size in arguments.sizes:
        if size % per or size > arguments.families:
            parser.error(f"size {size} is not a multiple of {per} up to {arguments.families}")
    call_command("migrate", verbosity=0)
    stages = daily_content()
    municipalities = nation(arguments.families, per)
    print(
        f"{len(stages)} stages with messages; day {ON}; PostgreSQL {connection.pg_version}; "
        f"{arguments.families:,} families in {len(municipalities)} municipalities, all kept in"
        " place while a set of them is planned"
    )
    header = (
        f"{'families':>10} {'places':>6} {'deliveries':>10} {'floor s':>8} {'plan s':>8}"
        f" {'ratio':>6} {'floor µs':>8} {'plan µs':>8} {'re-plan s':>9} {'rows':>4}"
        f" {'floor re-run s':>14} {'ratio':>6} {'runs':>4}"
    )
    print(header)
    results = []
    for size in arguments.sizes:
        places = municipalities[: size // per]
        r = run(size, stages, places, arguments.repeat if size < 1_000_000 else 1)
        results.append(r)
        print(
            f"{r['families']:>10,} {r['municipalities']:>6} {r['deliveries']:>10,}"
            f" {r['floor_s']:>8.2f} {r['plan_s']:>8.2f} {r['ratio']:>6.2f}"
            f" {r['floor_us_per_delivery']:>8.1f} {r['us_per_delivery']:>8.1f}"
            f" {r['replan_s']:>9.2f} {r['replanned']:>4} {r['floor_conflict_s']:>14.2f}"
            f" {r['replan_ratio']:>6.2f} {r['runs']:>4} {quiet.beside()}",
            flush=True,
        )
        print(
            f"{'':>10} vaccination reminders: off {r['plan_s']:.2f} s, on {r['reminders_s']:.2f} s"
            f" (+{r['reminder_rows']:,} reminder rows) = {r['reminders_ratio']:.2f}× off;"
            f" the reminder statements themselves {r['step_s']:.2f} s:"
            f" off + them = {r['step_ratio']:.2f}× off",
            flush=True,
        )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the planning process: {peak_mb:.0f} MB")
    _storage(results[-1]["deliveries"])
    _goals(results, peak_mb)
    print(f"{uptime_line()} at the end; {quiet.header()}")


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
        f" ({rows:,} rows); a day of {deliveries_a_day:,} deliveries takes {daily_mb:.0f} MB"
        " until sent and rolled up (what a day adds once in use, and its goal: bench/storage.py)"
    )
    return daily_mb


def _goals(results: list[dict], peak_mb: float) -> None:
    """The national-scale goals, each with the figure measured above and PASS or MISS."""
    largest = results[-1]
    costs = [r["us_per_delivery"] for r in results]
    goals = [
        (
            f"plan a day ({largest['families']:,} families) ≤ 2× floor",
            largest["ratio"] <= 2,
            f"{largest['plan_s']:.2f} s = {largest['ratio']:.2f}× the floor's"
            f" {largest['floor_s']:.2f} s",
        )
    ]
    for r in results:
        if r["families"] == 100_000:
            goals.append(
                (
                    "100,000 families ≤ 1 s",
                    r["plan_s"] <= 1,
                    f"{r['plan_s']:.2f} s = {r['ratio']:.2f}× the floor's {r['floor_s']:.2f} s",
                )
            )
    goals += [
        (
            "cost per delivery flat across sizes (largest/smallest µs ≤ 1.5)",
            max(costs) / min(costs) <= 1.5,
            " → ".join(f"{r['families']:,}: {r['us_per_delivery']:.1f} µs" for r in results)
            + f"; {max(costs) / min(costs):.2f}",
        ),
        (
            "re-plan inserts 0 rows in ≤ 1.5× the floor's all-conflict re-run",
            all(r["replan_ratio"] <= 1.5 and r["replanned"] == 0 for r in results),
            ", ".join(
                f"{r['replanned']} rows {r['replan_ratio']:.2f}× ({r['replan_s']:.2f} s"
                f" / {r['floor_conflict_s']:.2f} s)"
                for r in results
            ),
        ),
        ("planning process's peak RSS ≤ 256 MB", peak_mb <= 256, f"{peak_mb:.0f} MB"),
        (
            f"vaccination reminders on ≤ 1.2× off ({largest['families']:,} families)",
            largest["reminders_ratio"] <= 1.2,
            f"{largest['reminders_s']:.2f} s on, {largest['plan_s']:.2f} s off ="
            f" {largest['reminders_ratio']:.2f}× ({largest['reminder_rows']:,} reminders; their"
            f" statements {largest['step_s']:.2f} s = {largest['step_ratio']:.2f}× off)",
        ),
    ]
    for name, met, figure in goals:
        print(f"{'PASS' if met else 'MISS':>5}  {name}: {figure}")


if __name__ == "__main__":
    main()
