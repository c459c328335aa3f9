"""Benchmark: send throughput through the real code path to loopback fakes of an ESP and LINE.

Families spread over the whole programme with the real content pack; a day is planned, then 2
worker processes claim, compose, render, send and record until nothing is due. Beside it, in the
same run, a bare HTTP client posts the same payloads to the same fakes (the floor).
Run: ``make bench`` (or ``.venv/bin/python bench/send.py --families 20000``).
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kizuna.settings")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kizuna_bench")

LINE_TOKEN = "bench-line-token"
POSTMARK_TOKEN = "bench-postmark-token"


def _configure(line_url: str, postmark_url: str) -> None:
    os.environ["LINE_API_BASE_URL"] = line_url
    os.environ["LINE_CHANNEL_ACCESS_TOKEN_SENDBENCH"] = LINE_TOKEN
    os.environ["EMAIL_BACKEND"] = "anymail.backends.postmark.EmailBackend"
    os.environ["ANYMAIL_POSTMARK_SERVER_TOKEN"] = POSTMARK_TOKEN
    os.environ["ANYMAIL_POSTMARK_API_URL"] = postmark_url + "/"


def _worker(line_url: str, postmark_url: str, results) -> None:
    _configure(line_url, postmark_url)
    import django

    django.setup()
    from delivery import dispatch

    report = dispatch.dispatch(time_budget=3600)
    results.put((report.handled, report.batches))


def _prepare(families: int) -> int:
    import datetime

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from delivery import planner
    from municipalities.models import Municipality

    call_command("migrate", verbosity=0)
    call_command("load_content", verbosity=0)

    municipality, _ = Municipality.objects.update_or_create(
        slug="sendbench",
        defaults={
            "name": "送信ベンチ市",
            "prefecture": "東京都",
            "code": "139017",
            "service_name": "ベンチ便り",
            "sender_name": "送信ベンチ市",
            "sender_email": "kizuna@bench.example.jp",
            "line_enabled": True,
            "delivery_time": datetime.time(0, 0),
        },
    )
    from kizuna import clock

    today = clock.today()
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE delivery_delivery, delivery_planrun, subscribers_subscription, subscribers_subscriber, subscribers_child RESTART IDENTITY CASCADE"
        )
        # Only the content pack's texts: not the daily texts bench/plan_day.py leaves behind.
        cursor.execute("DELETE FROM content_stagemessage WHERE source_path = ''")
        # Every family enters a weekly pregnancy stage or a child stage today: half by LINE.
        cursor.execute(
            """
            INSERT INTO subscribers_child (municipality_id, due_date, birth_date, status, loss, created_at)
            SELECT %(m)s, %(today)s::date + (280 - 7 * (4 + i %% 38)), NULL, 'expecting', '', now()
            FROM generate_series(1, %(n)s) AS i
            """,
            {"m": municipality.pk, "today": today, "n": families},
        )
        cursor.execute(
            """
            INSERT INTO subscribers_subscriber (municipality_id, email, line_user_id, channel, relationship,
                nickname, language, source, consent_at, consent_policy_version, confirmed_at,
                unsubscribe_reason, channel_stop_reason, created_at, updated_at, signup_tag)
            SELECT %(m)s,
                   CASE WHEN i %% 2 = 0 THEN 'reader' || i || '@example.jp' END,
                   CASE WHEN i %% 2 = 1 THEN 'U' || lpad(to_hex(i), 32, '0') END,
                   CASE WHEN i %% 2 = 0 THEN 'email' ELSE 'line' END,
                   'self', CASE WHEN i %% 3 = 0 THEN 'はな' ELSE '' END, 'ja', 'signup',
                   now() - interval '30 days', '2026-04', now() - interval '30 days', '', '', now(), now(), ''
            FROM generate_series(1, %(n)s) AS i
            """,
            {"m": municipality.pk, "n": families},
        )
        cursor.execute(
            "INSERT INTO subscribers_subscription (subscriber_id, child_id, created_at) "
            "SELECT id, id, now() FROM subscribers_subscriber"
        )
        cursor.execute(
            "ANALYZE subscribers_child, subscribers_subscriber, subscribers_subscription"
        )
    result = planner.plan_day(today, [municipality])
    return result.total


def _bare_client(
    line_url: str, postmark_url: str, payloads: list[tuple[str, dict]], results
) -> None:
    """Posts each payload on a kept-alive connection, as a tuned client would."""
    connections = {
        "line": http.client.HTTPConnection(urllib.parse.urlsplit(line_url).netloc, timeout=10),
        "email": http.client.HTTPConnection(urllib.parse.urlsplit(postmark_url).netloc, timeout=10),
    }
    headers = {
        "line": {"Authorization": f"Bearer {LINE_TOKEN}", "Content-Type": "application/json"},
        "email": {"X-Postmark-Server-Token": POSTMARK_TOKEN, "Content-Type": "application/json"},
    }
    paths = {"line": "/v2/bot/message/push", "email": "/email"}
    sent = 0
    for kind, payload in payloads:
        connection = connections[kind]
        connection.request(
            "POST", paths[kind], body=json.dumps(payload).encode(), headers=headers[kind]
        )
        connection.getresponse().read()
        sent += 1
    results.put(sent)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--families", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2)
    arguments = parser.parse_args()

    from tests.fakes import FakeLine, FakePostmark

    with FakeLine(tokens={LINE_TOKEN}) as line, FakePostmark(token=POSTMARK_TOKEN) as postmark:
        _configure(line.url, postmark.url)
        print(f"preparing {arguments.families:,} families…", file=sys.stderr, flush=True)
        due = _prepare(arguments.families)

        # Spawned, not forked: a forked child would share this process's database connection.
        spawn = multiprocessing.get_context("spawn")
        results = spawn.Queue()
        started = time.perf_counter()
        workers = [
            spawn.Process(target=_worker, args=(line.url, postmark.url, results))
            for _ in range(arguments.workers)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        seconds = time.perf_counter() - started
        handled = sum(results.get()[0] for _ in workers)
        line_requests = sum(line.requests.values())
        esp_requests = len(postmark.received)

        # The floor: the same number of requests, posted bare, in as many processes.
        payloads = [
            ("line", {"to": "U" + "0" * 31 + "1", "messages": [{"type": "text", "text": text}]})
            for _, text in line.received[:line_requests]
        ] + [
            ("email", {k: v for k, v in sent.items() if k != "MessageID"})
            for sent in postmark.received
        ]
        line.accepted_keys.clear()
        shares = [payloads[i :: arguments.workers] for i in range(arguments.workers)]
        floor_started = time.perf_counter()
        floor_workers = [
            spawn.Process(target=_bare_client, args=(line.url, postmark.url, share, results))
            for share in shares
        ]
        for worker in floor_workers:
            worker.start()
        for worker in floor_workers:
            worker.join()
        floor_seconds = time.perf_counter() - floor_started
        floor_requests = sum(results.get() for _ in floor_workers)

    print(f"deliveries due today: {due:,} (half email via the Postmark fake, half LINE)")
    print(
        f"Kizuna, {arguments.workers} worker processes: {handled:,} deliveries in {seconds:.2f} s "
        f"= {handled / seconds:,.0f} deliveries/s ({line_requests:,} LINE requests, "
        f"{esp_requests:,} ESP requests)"
    )
    print(
        f"bare HTTP client, {arguments.workers} processes: {floor_requests:,} requests in "
        f"{floor_seconds:.2f} s = {floor_requests / floor_seconds:,.0f} requests/s"
    )
    print(f"ratio (Kizuna time / bare client time): {seconds / floor_seconds:.2f}")


if __name__ == "__main__":
    main()
