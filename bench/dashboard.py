"""Benchmark: the operations dashboard's page times with 5,000,000 delivery rows on PostgreSQL.

Thirty days of deliveries over 50 municipalities and both channels (0.5% failed, part of today
still planned), with the per-minute tallies of the last hour and a stored forecast. Each page is
fetched as an operator from the app served as production serves it (gunicorn, DEBUG off); the
floor is the staff index page (the same login, middleware and admin chrome, no figures), fetched
in the same run. Also times
the periodic recount of the days that can still change. Goal: every page under 300 ms.

Run: ``make bench-dashboard`` (or ``.venv/bin/python bench/dashboard.py --rows 5000000``).
"""

from __future__ import annotations

import argparse
import datetime
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
import served  # noqa: E402
from machine import Quietness, uptime_line  # noqa: E402

VAR_DIR = Path(tempfile.mkdtemp(prefix="kizuna-bench-dashboard-"))
os.environ.update(served.production_environment(VAR_DIR))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kizuna_bench")
PORT = 8933

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from delivery import heartbeats, stats  # noqa: E402
from kizuna import clock  # noqa: E402
from municipalities.codes import check_digit  # noqa: E402
from municipalities.models import Municipality  # noqa: E402

MUNICIPALITIES = 50
READERS = 200_000
DAYS = 30


def clear() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE delivery_delivery, delivery_daycount, delivery_sendtally,"
            " delivery_forecastcount, delivery_planrun, subscribers_subscription,"
            " subscribers_child, subscribers_subscriber, operations_operatoraction CASCADE"
        )


def municipalities() -> list[int]:
    ids = []
    for n in range(MUNICIPALITIES):
        first_five = f"27{n:03d}"
        municipality, _ = Municipality.objects.get_or_create(
            slug=f"bench-{n}",
            defaults={
                "name": f"ベンチ市{n}",
                "prefecture": "大阪府",
                "code": first_five + str(check_digit(first_five)),
                "service_name": f"ベンチ市{n}子育てメール",
                "sender_name": "ベンチ市",
                "sender_email": f"kizuna{n}@bench.example.jp",
                "line_enabled": True,
                "line_monthly_quota": 30_000,
            },
        )
        ids.append(municipality.pk)
    return ids


def fill(rows: int, municipality_ids: list[int], today: datetime.date) -> float:
    started = time.perf_counter()
    first, last = min(municipality_ids), max(municipality_ids)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO subscribers_subscriber (municipality_id, email, line_user_id, channel,
                relationship, nickname, language, consent_at, consent_policy_version,
                confirmed_at, created_at, updated_at, channel_stop_reason, source,
                unsubscribe_reason, signup_tag)
            SELECT %s + g %% %s, CASE WHEN g %% 3 = 0 THEN NULL ELSE 'r' || g || '@bench.example.jp' END,
                   CASE WHEN g %% 3 = 0 THEN 'U' || lpad(to_hex(g), 32, '0') END,
                   CASE WHEN g %% 3 = 0 THEN 'line' ELSE 'email' END,
                   'self', '', 'ja', now(), '2026-04', now(), now(), now(), '', 'web', '', ''
            FROM generate_series(1, %s) g
            """,
            [first, last - first + 1, READERS],
        )
        cursor.execute("SELECT min(id) FROM subscribers_subscriber")
        first_reader = cursor.fetchone()[0]
        # Days spread evenly; 0.5% failed; today's rows a third planned, the rest sent.
        cursor.execute(
            """
            INSERT INTO delivery_delivery (municipality_id, subscriber_id, channel, message_key,
                due_on, status, attempts, last_error, next_attempt_at, provider_message_id,
                text_versions, feedback, planned_at, sent_at, claimed_by)
            SELECT s.municipality_id, s.id, s.channel, 'bench:' || g, d.day,
                   CASE WHEN g %% 200 = 0 THEN 'failed'
                        WHEN d.day = %s AND g %% 3 = 0 THEN 'planned'
                        ELSE 'sent' END,
                   1,
                   CASE WHEN g %% 200 = 0 THEN
                        (ARRAY['SMTP [550]', 'LINE 400: invalid user', 'ESP: 宛先が拒否されました'])[1 + g %% 3]
                        ELSE '' END,
                   now(), '', '{}', '', now(), now(), ''
            FROM generate_series(1, %s) g
            CROSS JOIN LATERAL (SELECT (%s::date - (g %% %s)) AS day) d
            JOIN subscribers_subscriber s ON s.id = %s + (g %% %s)
            """,
            [today, rows, today, DAYS, first_reader, READERS],
        )
        cursor.execute("ANALYZE delivery_delivery")
        cursor.execute("ANALYZE subscribers_subscriber")
    return time.perf_counter() - started


def tallies_and_forecast(municipality_ids: list[int], today: datetime.date) -> None:
    now = clock.now()
    for minute in range(60):
        stats.add_tally(
            {(mid, "email", "sent"): 40 + minute % 7 for mid in municipality_ids},
            at=now - datetime.timedelta(minutes=minute),
        )
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO delivery_forecastcount (made_on, day, municipality_id, channel, count)
            SELECT %s, %s::date + d, m, c, 1000 + d * 10
            FROM generate_series(1, 30) d, unnest(%s::bigint[]) m, unnest(ARRAY['email', 'line']) c
            """,
            [today, today, municipality_ids],
        )


def page_time(cookie: str, url: str, repeat: int) -> tuple[float, int]:
    """The median time of ``url`` fetched from the served app, one request at a time."""
    served.get(PORT, url, cookie)  # warm-up: templates, query plans, the worker's connection
    times = []
    status = 0
    for _ in range(repeat):
        status, seconds = served.get(PORT, url, cookie)
        times.append(seconds)
    return statistics.median(times), status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--refuse-busy", action="store_true", help="refuse a busy machine")
    args = parser.parse_args()
    quiet = Quietness(refuse=args.refuse_busy or None)
    print(quiet.header(), flush=True)
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # DEBUG off: hashed names
    today = clock.today()
    clear()
    ids = municipalities()
    print(f"filling {args.rows:,} deliveries over {DAYS} days and {MUNICIPALITIES} municipalities…")
    print(f"  filled in {fill(args.rows, ids, today):.1f} s")
    started = time.perf_counter()
    stats.recount_days(today - datetime.timedelta(days=back) for back in range(DAYS))
    print(f"  counted all {DAYS} days in {time.perf_counter() - started:.2f} s (once)")
    tallies_and_forecast(ids, today)
    heartbeats.beat(heartbeats.TICK)
    started = time.perf_counter()
    days = stats.recount_open_days(today)
    recount = time.perf_counter() - started
    print(f"periodic recount of {len(days)} open days: {recount * 1000:.0f} ms (every minute)")

    cookie = served.operator_cookie("bench-operator")
    # Served as production serves it: gunicorn, DEBUG off; one request at a time.
    server = served.serve(ROOT, "kizuna.wsgi:application", PORT, 1, {})
    try:
        floor, floor_status = page_time(cookie, "/staff/", args.repeat)
        assert floor_status == 200, f"the floor page answered {floor_status}"
        print(
            f"\nfloor: staff index page {floor * 1000:.1f} ms (median of {args.repeat}, "
            f"gunicorn, DEBUG off) {quiet.beside()}"
        )
        print(f"{'page':<44}{'median ms':>10}{'× floor':>9}  goal < 300 ms")
        for label, url in [
            ("dashboard, all municipalities", "/ops/"),
            ("dashboard, one municipality", f"/ops/?municipality={ids[7]}"),
            ("failures list, all", "/ops/failures/"),
            ("failures list, one error", "/ops/failures/?error=SMTP+%5B550%5D"),
            ("/healthz", "/healthz"),
        ]:
            seconds, status = page_time(cookie, url, args.repeat)
            verdict = "ok" if seconds < 0.3 else "OVER"
            if status != 200:
                verdict = f"NOT SHOWN ({status})"
            print(
                f"{label:<44}{seconds * 1000:>10.1f}{seconds / floor:>9.2f}  {verdict}"
                f"  {quiet.beside()}"
            )
    finally:
        served.stop(server)
        shutil.rmtree(VAR_DIR, ignore_errors=True)
    print(f"{uptime_line()} at the end; {quiet.header()}")


if __name__ == "__main__":
    main()
