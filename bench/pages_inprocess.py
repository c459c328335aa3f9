"""The parent pages timed in process: Django's test client against the bench database, no
server, no wrk, so that two checkouts can be compared in the same minutes on a busy machine.

Run from the checkout to time (its code is imported from the current directory), after
``make bench-pages`` has filled ``kizuna_bench``::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kizuna_bench REDIS_URL=redis://127.0.0.1:6379/5 \\
    SECRET_KEY=x DEBUG=false ALLOWED_HOSTS=localhost KIZUNA_SIGNUPS_PER_IP_PER_HOUR=1000000 \\
    .venv/bin/python bench/pages_inprocess.py --requests 200

Prints, per page and size, the median and 90th percentile of the time per request, the median
CPU time of this process per request (Python's share, steadier than the time on a busy machine:
the database server's share is not in it) and the number of SQL statements of one request. The
staff page is the municipality's overview, for an operator with the second factor passed.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import time
import urllib.parse
import uuid

sys.path.insert(0, os.getcwd())
sys.path.insert(0, os.path.join(os.getcwd(), "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kizuna.settings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--readers", type=int, nargs="+", default=[1_000, 100_000])
    arguments = parser.parse_args()

    import django

    django.setup()
    print(f"{os.getcwd()}: {arguments.requests} requests a figure, load {os.getloadavg()[0]:.2f}")
    for size in arguments.readers:
        _time_pages(f"pages-{size}", f"{size:,}", arguments.requests)


def _time_pages(slug: str, size: str, count: int) -> None:
    import served
    from django.db import connection
    from django.test import Client

    from kizuna import clock
    from subscribers import links
    from subscribers.models import Subscriber
    from subscribers.views import READER_SESSION_KEY

    due = (clock.today() + datetime.timedelta(days=120)).isoformat()
    reader = Subscriber.objects.get(municipality__slug=slug, email="managing@pages.example.jp")
    waiting = Subscriber.objects.get(municipality__slug=slug, email="confirming@pages.example.jp")
    confirm = urllib.parse.urlsplit(
        links.confirm_url(waiting, waiting.subscriptions.get().child)
    ).path
    reader_client = Client(HTTP_HOST="localhost")
    reader_client.cookies.load(served.session_cookie(**{READER_SESSION_KEY: reader.pk}))
    staff_client = Client(HTTP_HOST="localhost")
    staff_client.cookies.load(served.operator_cookie("bench-pages-operator"))
    overview = f"/staff/municipalities/{reader.municipality_id}/"
    stranger = Client(HTTP_HOST="localhost")

    def signup(n: int) -> int:
        body = {
            "email": f"p{uuid.uuid4().hex[:12]}@pages.example.jp",
            "situation": "expecting",
            "due_date": due,
            "birth_date": "",
            "relationship": "self",
            "nickname": "",
            "language": "ja",
            "consent": "on",
        }
        address = f"10.{n % 250}.{n // 250 % 250}.1"
        return stranger.post(f"/m/{slug}/", body, secure=True, REMOTE_ADDR=address).status_code

    pages = {
        "signup GET": (lambda n: stranger.get(f"/m/{slug}/", secure=True).status_code, 200),
        "signup POST": (signup, 302),
        "confirm GET": (lambda n: stranger.get(confirm, secure=True).status_code, 200),
        "manage GET": (lambda n: reader_client.get("/manage/", secure=True).status_code, 200),
        "staff GET": (lambda n: staff_client.get(overview, secure=True).status_code, 200),
    }
    for label, (request, expected) in pages.items():
        for n in range(10):  # warm: templates, connections, per-process caches
            assert request(n) == expected, label
        statements = _statements(connection, request, 10)
        times, cpu = [], []
        for n in range(count):
            started, started_cpu = time.perf_counter(), time.process_time()
            status = request(n + 11)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
            assert status == expected, f"{label}: {status}"
        tenth = statistics.quantiles(times, n=10)
        print(
            f"{label:<12}{size:>9}  median {statistics.median(times):6.2f} ms"
            f"  p90 {tenth[-1]:6.2f} ms  this process's CPU {statistics.median(cpu):5.2f} ms"
            f"  {statements} SQL statements (BEGIN/COMMIT aside)",
            flush=True,
        )


def _statements(connection, request, n: int) -> int:
    """How many SQL statements ``request(n)`` runs."""
    seen = []

    def count(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        request(n)
    return len(seen)


if __name__ == "__main__":
    main()
