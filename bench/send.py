"""Benchmark: dispatch throughput through real Celery workers to loopback fakes of an ESP and LINE.

Families spread over the pregnancy weeks of one city with the real content pack, half by email
(Postmark's batch API), half by LINE. A day is planned; then N Celery workers of one process each (Redis broker), started as separate
machines would start them, with nothing shared but the settings, get as many ``send_due`` tasks
as the minute's ``tick`` would start (one per process); they claim, compose, render, send and
record until nothing is due. Printed: how long after its send time the day was handed over
(planning, then sending), deliveries a second, per process, deliveries per Celery task (from the
workers' own logs), the requests each provider got and how often it had to answer 429, and, in
the same run, a bare HTTP client posting the very request bodies the fakes took, from as many
processes (the floor); then met or NOT MET per goal.

Run: ``make bench-send`` (or ``.venv/bin/python bench/send.py --families 20000 --processes 1 2 4``;
the national day: ``--families 1000000 --municipalities 260``).
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from machine import Quietness, uptime_line  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kizuna.settings")
# Production settings in this process and in the workers it starts (DEBUG on keeps every query).
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production-use-0123456789")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kizuna_bench")
# Its own Redis database: the broker and the pacing slots of this run only.
os.environ.setdefault("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
os.environ["REDIS_URL"] = os.environ["BENCH_REDIS_URL"]

LINE_TOKEN = "bench-line-token-0"
MULTICAST, PUSH = "/v2/bot/message/multicast", "/v2/bot/message/push"
POSTMARK_TOKEN = "bench-postmark-token"
HUNDRED_THOUSAND = 100_000
NATIONAL_DAY = 1_000_000  # deliveries due on a typical day at national scale
TASK_DONE = re.compile(r"delivery\.tasks\.send_due\[[^\]]+\] succeeded in [0-9.e-]+s: (\d+)")


def _configure(line_url: str, postmark_url: str, municipalities: int = 1) -> None:
    os.environ["LINE_API_BASE_URL"] = line_url
    for k in range(municipalities):
        os.environ[f"LINE_CHANNEL_ACCESS_TOKEN_{_slug(k).upper().replace('-', '_')}"] = line_token(
            k
        )
    os.environ["EMAIL_BACKEND"] = "anymail.backends.postmark.EmailBackend"
    os.environ["ANYMAIL_POSTMARK_SERVER_TOKEN"] = POSTMARK_TOKEN
    os.environ["ANYMAIL_POSTMARK_API_URL"] = postmark_url + "/"


def _slug(k: int) -> str:
    return "sendbench" if k == 0 else f"sendbench-{k}"


def line_token(k: int) -> str:
    return f"bench-line-token-{k}"  # a channel per municipality, each with its own limits


# Readers who give a nickname, each their own (the signup form asks for it, optional).
NICKNAME_SHARE = 0.4
SETTINGS = {"nickname_share": NICKNAME_SHARE, "line_nicknames": True}


def _prepare(families: int, municipalities: int = 1) -> tuple[int, float]:
    """Fresh families, every one due a message today; returns (deliveries planned, seconds).

    ``SETTINGS``: the share of readers with a nickname of their own, and whether the
    municipalities call LINE readers by it (a push each) or send one multicast per stage."""
    import datetime

    from django.core.management import call_command
    from django.db import connection

    from delivery import planner, retention
    from municipalities.models import Municipality

    call_command("migrate", verbosity=0)
    call_command("load_content", verbosity=0)

    places = [
        Municipality.objects.update_or_create(
            slug=_slug(k),
            defaults={
                "name": f"送信ベンチ市{k or ''}",
                "prefecture": "東京都",
                "code": f"8{k:05d}",  # bench/plan_day.py uses 9…
                "service_name": "ベンチ便り",
                "sender_name": f"送信ベンチ市{k or ''}",
                "sender_email": f"kizuna@bench{k}.example.jp",
                "line_enabled": True,
                "line_nicknames": SETTINGS["line_nicknames"],
                "delivery_time": datetime.time(0, 0),
                # The pack's texts are unreviewed drafts; production settings would make a new
                # municipality send reviewed texts only, and the bench would skip every row.
                "send_only_reviewed": False,
            },
        )[0]
        for k in range(municipalities)
    ]
    place_ids = [m.pk for m in places]
    from kizuna import clock

    today = clock.today()
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE delivery_delivery, delivery_planrun, subscribers_subscription, subscribers_subscriber, subscribers_child RESTART IDENTITY CASCADE"
        )
        # No roll-up horizon left by bench/storage.py's simulated days: it would refuse today.
        cursor.execute("DELETE FROM delivery_heartbeat WHERE name = %s", [retention.HEARTBEAT])
        # Only the content pack's texts: not the daily texts bench/plan_day.py leaves behind.
        cursor.execute("DELETE FROM content_stagemessage WHERE source_path = ''")
        # Every family enters a weekly pregnancy stage or a child stage today: half by LINE.
        cursor.execute(
            """
            INSERT INTO subscribers_child (municipality_id, due_date, birth_date, status, loss, created_at)
            SELECT (%(m)s::bigint[])[1 + i %% %(k)s], %(today)s::date + (280 - 7 * (4 + i %% 38)),
                   NULL, 'expecting', '', now()
            FROM generate_series(1, %(n)s) AS i
            """,
            {"m": place_ids, "k": municipalities, "today": today, "n": families},
        )
        cursor.execute(
            """
            INSERT INTO subscribers_subscriber (municipality_id, email, line_user_id, channel, relationship,
                nickname, language, source, consent_at, consent_policy_version, confirmed_at,
                unsubscribe_reason, channel_stop_reason, created_at, updated_at, signup_tag)
            SELECT (%(m)s::bigint[])[1 + i %% %(k)s],
                   CASE WHEN i %% 2 = 0 THEN 'reader' || i || '@example.jp' END,
                   CASE WHEN i %% 2 = 1 THEN 'U' || lpad(to_hex(i), 32, '0') END,
                   CASE WHEN i %% 2 = 0 THEN 'email' ELSE 'line' END,
                   'self', CASE WHEN (i * 37) %% 100 < %(named)s THEN 'はな' || i ELSE '' END,
                   'ja', 'signup',
                   now() - interval '30 days', '2026-04', now() - interval '30 days', '', '', now(), now(), ''
            FROM generate_series(1, %(n)s) AS i
            """,
            {
                "m": place_ids,
                "k": municipalities,
                "n": families,
                "named": round(100 * SETTINGS["nickname_share"]),
            },
        )
        cursor.execute(
            "INSERT INTO subscribers_subscription (subscriber_id, child_id, created_at) "
            "SELECT id, id, now() FROM subscribers_subscriber"
        )
        cursor.execute(
            "ANALYZE subscribers_child, subscribers_subscriber, subscribers_subscription"
        )
    started = time.perf_counter()
    result = planner.plan_day(today, places)
    planner.refresh_statistics(result.total)  # as the tick's plan_due does
    return result.total, time.perf_counter() - started


def _bare_client(
    line_url: str, postmark_url: str, requests: list[tuple[str, bytes]], results
) -> None:
    """Posts each body on a kept-alive connection, as a tuned client would."""
    hosts = {
        "line": urllib.parse.urlsplit(line_url).netloc,
        "email": urllib.parse.urlsplit(postmark_url).netloc,
    }
    connections = {
        kind: http.client.HTTPConnection(host, timeout=10) for kind, host in hosts.items()
    }
    headers = {
        "line": {"Authorization": f"Bearer {LINE_TOKEN}", "Content-Type": "application/json"},
        "email": {"X-Postmark-Server-Token": POSTMARK_TOKEN, "Content-Type": "application/json"},
    }
    posted = 0
    for path, body in requests:
        kind = "email" if path.startswith("/email") else "line"
        connection = connections[kind]
        connection.request("POST", path, body=body, headers=headers[kind])
        response = connection.getresponse()
        response.read()
        posted += response.status == 200
    results.put(posted)


def _start_workers(processes: int, log_dir: Path) -> list[subprocess.Popen]:
    """``processes`` workers of one process each, as that many machines would run them."""
    env = {**os.environ, "LOG_LEVEL": "WARNING", "KIZUNA_DISPATCHERS_PER_TICK": str(processes)}
    workers = []
    for number in range(processes):
        # The worker keeps its own copy of the log's descriptor; ours closes once it has started.
        with (log_dir / f"worker-{processes}-{number}.log").open("w") as log:
            workers.append(
                subprocess.Popen(
                    [
                        str(Path(sys.executable).with_name("celery")),
                        "-A",
                        "kizuna",
                        "worker",
                        "--pool",
                        "prefork",
                        "--concurrency",
                        "1",
                        "--loglevel",
                        "INFO",
                        "--without-gossip",
                        "--without-mingle",
                        "--without-heartbeat",
                        "--hostname",
                        f"bench-{processes}-{number}@%h",
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
    return workers


def _wait_until_ready(app, workers: list[subprocess.Popen]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if any(worker.poll() is not None for worker in workers):
            raise SystemExit("a Celery worker stopped while starting: see its log")
        if len(app.control.ping(timeout=0.5)) >= len(workers):
            return
    raise SystemExit("the Celery workers did not all answer within 60 s")


def _run(processes: int, families: int, municipalities: int, log_dir: Path) -> dict:
    """Plan a fresh day, then let a worker with ``processes`` processes send all of it."""
    from django.db.models import Max

    from delivery import tasks
    from delivery.models import Delivery
    from kizuna.celery import app

    due, planning_seconds = _prepare(families, municipalities)
    app.control.purge()
    workers = _start_workers(processes, log_dir)
    try:
        _wait_until_ready(app, workers)
        started = time.time()
        # What the tick that planned the day starts: KIZUNA_DISPATCHERS_PER_TICK (= processes
        # here) dispatchers. A dispatcher sends for at most four minutes; beat's later ticks,
        # one a minute, start the ones that go on.
        for _ in range(processes):
            tasks.send_due.delay()
        next_tick = time.monotonic() + 60
        unsent = Delivery.objects.filter(status__in=["planned", "sending"])
        deadline = time.monotonic() + 3600
        while unsent.exists():
            if time.monotonic() > deadline:
                raise SystemExit("sending did not finish within 60 minutes")
            if time.monotonic() >= next_tick:
                tasks.tick.delay()
                next_tick += 60
            time.sleep(0.2)
        finished = Delivery.objects.aggregate(last=Max("sent_at"))["last"].timestamp()
        hundred_thousandth = next(
            iter(
                Delivery.objects.filter(status="sent")
                .order_by("sent_at")
                .values_list("sent_at", flat=True)[HUNDRED_THOUSAND - 1 : HUNDRED_THOUSAND]
            ),
            None,
        )
    finally:
        for worker in workers:
            os.killpg(worker.pid, signal.SIGTERM)  # warm shutdown: the tasks have ended
        for worker in workers:
            worker.wait(timeout=60)
    handled = [
        int(n)
        for log in log_dir.glob(f"worker-{processes}-*.log")
        for n in TASK_DONE.findall(log.read_text())
    ]
    sent = Delivery.objects.filter(status="sent").count()
    return {
        "processes": processes,
        "due": due,
        "planning_seconds": planning_seconds,
        "sent": sent,
        "seconds": finished - started,
        "first_100k_seconds": (
            hundred_thousandth.timestamp() - started if hundred_thousandth else None
        ),
        "tasks": len(handled),
        "handled": sum(handled),
    }


def _floor(line, postmark, processes: int) -> tuple[int, float]:
    """The same request bodies, posted bare from ``processes`` processes."""
    requests = line.kept_requests + postmark.kept_requests
    line.accepted_keys.clear()  # the same retry keys again: taken afresh, not answered 409
    spawn = multiprocessing.get_context("spawn")
    results = spawn.Queue()
    shares = [requests[i::processes] for i in range(processes)]
    started = time.perf_counter()
    clients = [
        spawn.Process(target=_bare_client, args=(line.url, postmark.url, share, results))
        for share in shares
    ]
    for client in clients:
        client.start()
    posted = sum(results.get(timeout=600) for _ in clients)
    for client in clients:
        client.join()
    return posted, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--families", type=int, default=20_000)
    parser.add_argument(
        "--processes", type=int, nargs="+", default=[2], help="worker processes, one run each"
    )
    parser.add_argument(
        "--municipalities", type=int, default=1, help="each with its own LINE channel"
    )
    parser.add_argument(
        "--esp-requests-per-second",
        type=float,
        default=20.0,
        help="the ESP account's limit the fake enforces (Kizuna paces at 90%%)",
    )
    parser.add_argument(
        "--esp-messages-per-request", type=int, default=500, help="the ESP's batch limit"
    )
    parser.add_argument(
        "--nickname-share",
        type=float,
        default=NICKNAME_SHARE,
        help="share of readers with a nickname of their own (default %(default)s)",
    )
    parser.add_argument(
        "--line-nicknames",
        choices=["on", "off"],
        default="on",
        help="call LINE readers by their nickname (a push each) or one multicast per stage",
    )
    parser.add_argument("--refuse-busy", action="store_true", help="refuse a busy machine")
    arguments = parser.parse_args()
    quiet = Quietness(refuse=arguments.refuse_busy or None)
    print(quiet.header(), flush=True)
    SETTINGS["nickname_share"] = arguments.nickname_share
    SETTINGS["line_nicknames"] = arguments.line_nicknames == "on"
    os.environ["KIZUNA_EMAIL_PER_SECOND"] = str(arguments.esp_requests_per_second * 0.9)
    os.environ["KIZUNA_EMAIL_BATCH_SIZE"] = str(arguments.esp_messages_per_request)

    from tests.fakes import FakeLine, FakePostmark

    rows = []
    tokens = {line_token(k) for k in range(arguments.municipalities)}
    with (
        FakeLine(tokens=tokens) as line,
        FakePostmark(
            token=POSTMARK_TOKEN, batch_limit=arguments.esp_messages_per_request
        ) as postmark,
        tempfile.TemporaryDirectory() as log_dir,
    ):
        # The providers' published limits, per LINE channel and per ESP account: over them the
        # fakes answer 429. Kizuna must pace itself so that they never have to.
        line.rate_limits = {MULTICAST: 200, PUSH: 2000}
        postmark.rate_limits = {"/email/batch": arguments.esp_requests_per_second}
        _configure(line.url, postmark.url, arguments.municipalities)
        import django

        django.setup()
        for processes in arguments.processes:
            print(
                f"{processes} worker process(es): planning {arguments.families:,} families…",
                file=sys.stderr,
                flush=True,
            )
            for fake in (line, postmark):
                fake.keep_requests = True
                fake.kept_requests.clear()
                fake.requests.clear()
            postmark.received.clear()
            line.received.clear()
            limited_before = line.rate_limited + postmark.rate_limited
            run = _run(processes, arguments.families, arguments.municipalities, Path(log_dir))
            run["answered_429"] = line.rate_limited + postmark.rate_limited - limited_before
            run["load"] = quiet.beside()
            for fake in (line, postmark):
                fake.keep_requests = False
            run["line_requests"] = len(line.kept_requests)
            run["line_multicasts"] = sum(1 for path, _ in line.kept_requests if path == MULTICAST)
            run["line_pushes"] = sum(1 for path, _ in line.kept_requests if path == PUSH)
            run["line_readers"] = len(line.received)
            run["esp_requests"] = len(postmark.kept_requests)
            line.rate_limits, postmark.rate_limits = {}, {}  # the bare client is not paced
            run["floor_requests"], run["floor_seconds"] = _floor(line, postmark, processes)
            line.rate_limits = {MULTICAST: 200, PUSH: 2000}
            postmark.rate_limits = {"/email/batch": arguments.esp_requests_per_second}
            rows.append(run)

    print(
        f"{arguments.municipalities} municipalities (a LINE channel each), {arguments.families:,} "
        "families over the pregnancy weeks, half by email (Postmark batch API fake: "
        f"{arguments.esp_requests_per_second:g} requests/s, {arguments.esp_messages_per_request} "
        "messages each), half by LINE (Messaging API fake: multicast 200/s, push 2,000/s per "
        "channel); a real Celery worker, Redis broker"
    )
    goals = []
    for run in rows:
        # Throughput from the rows sent: a task's closing log line can be lost when the bench
        # stops the workers the moment the last row is sent (its count then misses from
        # "handled", which only the per-task figure uses).
        rate = run["sent"] / run["seconds"]
        per_task = run["handled"] / max(run["tasks"], 1)
        handed_over = run["planning_seconds"] + run["seconds"]
        print(
            f"{run['processes']} process(es): {run['handled']:,} deliveries ({run['sent']:,} sent of "
            f"{run['due']:,} due) in {run['seconds']:.2f} s = {rate:,.0f} deliveries/s, "
            f"{rate / run['processes']:,.0f} per process; {run['tasks']} Celery tasks, "
            f"{per_task:,.0f} deliveries per task; {run['line_requests']:,} LINE + "
            f"{run['esp_requests']:,} ESP requests; the fakes answered 429 {run['answered_429']} times"
            f" {run['load']}"
        )
        print(
            f"  LINE: {run['line_readers']:,} readers in {run['line_requests']:,} requests "
            f"({run['line_multicasts']:,} multicasts, {run['line_pushes']:,} pushes); "
            f"{arguments.nickname_share:.0%} of readers have a nickname, called by it on LINE: "
            f"{arguments.line_nicknames}"
        )
        print(
            f"  handed over {handed_over:.1f} s after its send time: planned in "
            f"{run['planning_seconds']:.1f} s, sent in {run['seconds']:.1f} s"
            + (
                f"; the first 100,000 after {run['planning_seconds'] + run['first_100k_seconds']:.1f} s"
                if run["first_100k_seconds"] is not None
                else ""
            )
        )
        print(
            f"  floor: bare HTTP client, {run['processes']} process(es), the same "
            f"{run['floor_requests']:,} request bodies in {run['floor_seconds']:.2f} s; "
            f"ratio Kizuna / floor: {run['seconds'] / run['floor_seconds']:.2f} {quiet.beside()}"
        )
        name = f"{run['processes']} process(es)"
        goals.append((f"{name}: every due delivery sent", run["sent"] == run["due"], ""))
        goals.append((f"{name}: no 429 from any fake", run["answered_429"] == 0, ""))
        goals.append(
            (f"{name}: ≥ 400 deliveries per Celery task", per_task >= 400, f"{per_task:,.0f}")
        )
        if run["processes"] == 2:
            goals.append((f"{name}: ≥ 5,000 deliveries/s", rate >= 5000, f"{rate:,.0f}/s"))
            ratio = run["seconds"] / run["floor_seconds"]
            goals.append((f"{name}: within 3× the bare client", ratio <= 3, f"{ratio:.2f}×"))
        if run["first_100k_seconds"] is not None:
            first = run["planning_seconds"] + run["first_100k_seconds"]
            goals.append(
                (f"{name}: 100,000 handed over within 5 minutes", first <= 300, f"{first:.0f} s")
            )
        if run["due"] >= NATIONAL_DAY:
            goals.append(
                (
                    f"{name}: the national day handed over within 60 minutes",
                    handed_over <= 3600,
                    f"{handed_over:.0f} s",
                )
            )
    for name, met, figure in goals:
        print(f"{'met' if met else 'NOT MET':>8}  {name}" + (f": {figure}" if figure else ""))
    print(f"{uptime_line()} at the end; {quiet.header()}")


if __name__ == "__main__":
    main()
