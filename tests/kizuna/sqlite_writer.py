"""One process writing to the embedded SQLite default as `make run`'s web server or worker
does; run by tests/kizuna/test_sqlite_default.py, several at once.

    python -m tests.kizuna.sqlite_writer signups 7 25
    python -m tests.kizuna.sqlite_writer ticks 2 10
"""

import datetime
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kizuna.settings")
django.setup()

from delivery import heartbeats, stats, tasks  # noqa: E402
from kizuna import clock  # noqa: E402
from municipalities.models import Municipality  # noqa: E402
from subscribers.services import Registration, sign_up  # noqa: E402


def signups(writer: int, count: int) -> None:
    """Parents signing up on the web page, one after another."""
    municipality = Municipality.objects.get(slug="demo")
    for number in range(count):
        sign_up(
            municipality,
            Registration(
                email=f"writer{writer}-{number}@example.jp",
                relationship="self",
                nickname="はな",
                language="ja",
                due_date=clock.today() + datetime.timedelta(days=100 + number),
            ),
        )


def ticks(writer: int, count: int) -> None:
    """The worker's minute tasks: plan and start sending, and the dashboard's counts."""
    for _ in range(count):
        tasks.tick()
        stats.recount_open_days()
        heartbeats.beat(f"writer-{writer}")


if __name__ == "__main__":
    kind, writer, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    {"signups": signups, "ticks": ticks}[kind](writer, count)
    print("done")
