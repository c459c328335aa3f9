"""Benchmark: a day's plan with and without the health-check plan step (checkups).

One municipality of ``--families`` born children, birth dates spread evenly over six years (so
every check's reminder day finds families), reminders on for all seven checks, and ``--sessions``
group sessions held on each of the next days (those within the 14 days invite that day: the
first plan after they were entered, the most a day's invitations cost). The same day is planned ``--repeat`` times
with the step and without it, every delivery deleted between runs; the median of each and their
ratio are printed;
``--steady`` plans the day before first (untimed), as every day but the first. Run: ``.venv/bin/python bench/checkups_plan.py`` with DATABASE_URL set to a
database of its own (it migrates it and replaces its rows).
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any, cast

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kizuna.settings")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production-use-0123456789")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from checkups import planning, services  # noqa: E402
from checkups.models import CheckupSettings, Session  # noqa: E402
from delivery import planner  # noqa: E402
from delivery.models import Delivery  # noqa: E402
from kizuna.clock import TOKYO  # noqa: E402
from municipalities.models import Municipality  # noqa: E402
from subscribers.models import Child, Subscriber, Subscription  # noqa: E402

DAY = datetime.date(2026, 11, 24)


def _nation(families: int, sessions: int) -> Municipality:
    Delivery.objects.all().delete()
    Session.objects.all().delete()
    Subscription.objects.all().delete()
    Subscriber.objects.all().delete()
    Child.objects.all().delete()
    municipality = Municipality.objects.filter(slug="bench-checkups").first()
    if municipality is None:
        municipality = Municipality.objects.create(
            name="ベンチ市",
            slug="bench-checkups",
            code="999997",
            service_name="ベンチ子育てメール",
            sender_email="kenshin@bench.example.jp",
        )
    CheckupSettings.objects.update_or_create(
        municipality=municipality, defaults={"reminders_on": True, "lead_days": 7}
    )
    now = datetime.datetime(2026, 1, 1, tzinfo=TOKYO)
    span = 6 * 365
    children = Child.objects.bulk_create(
        Child(
            municipality=municipality,
            status=Child.Status.BORN,
            birth_date=DAY - datetime.timedelta(days=n % span),
            due_date=DAY - datetime.timedelta(days=n % span),
        )
        for n in range(families)
    )
    readers = Subscriber.objects.bulk_create(
        Subscriber(
            municipality=municipality,
            email=f"bench{n}@example.jp",
            consent_at=now,
            consent_policy_version=settings.KIZUNA_PRIVACY_POLICY_VERSION,
            confirmed_at=now,
        )
        for n in range(families)
    )
    Subscription.objects.bulk_create(
        Subscription(subscriber=r, child=c) for r, c in zip(readers, children, strict=True)
    )
    for n in range(sessions):
        born_until = DAY - datetime.timedelta(days=90 + 30 * n)
        services.create_session(
            municipality_id=municipality.pk,
            data=services.SessionData(
                check_number=2,
                held_on=DAY + datetime.timedelta(days=1 + n),
                starts_at=datetime.time(13, 30),
                venue=f"会場{n}",
                born_from=born_until - datetime.timedelta(days=29),
                born_until=born_until,
                capacity=families,
            ),
            by=None,
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return municipality


def _fresh() -> None:
    """No deliveries, and no dead rows of the last run for the next one to wade through."""
    Delivery.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE delivery_delivery")


def _plan(municipality: Municipality, steady: bool) -> tuple[float, dict[str, int]]:
    _fresh()
    if steady:  # yesterday was planned: the sessions already in the window invited then
        planner.plan_day(DAY - datetime.timedelta(days=1), [municipality])
    started = time.perf_counter()
    result = planner.plan_day(DAY, [municipality])
    return time.perf_counter() - started, {k: v for k, v in result.planned.items() if v}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--families", type=int, default=50_000)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--steady", action="store_true", help="time a day after a planned day (the usual case)"
    )
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    call_command("load_content", verbosity=0)
    municipality = _nation(args.families, args.sessions)
    step = planner.PLAN_STEPS["checkups"]
    timings: dict[str, list[float]] = {"with": [], "without": []}
    rows: dict[str, dict[str, int]] = {}
    for _ in range(args.repeat):
        for label in ("without", "with"):
            if label == "without":
                planner.PLAN_STEPS.pop("checkups")
            else:
                planner.PLAN_STEPS["checkups"] = step
            seconds, total = _plan(municipality, args.steady)
            timings[label].append(seconds)
            rows[label] = total
    planner.PLAN_STEPS["checkups"] = step
    without, with_step = (statistics.median(timings[k]) for k in ("without", "with"))
    print(
        f"{args.families:,} born children, {args.sessions} sessions, day {DAY}"
        + (" after a planned day" if args.steady else " planned first")
    )
    print(f"without checkups: {without * 1000:.0f} ms median, rows {rows['without']}")
    print(f"with checkups:    {with_step * 1000:.0f} ms median, rows {rows['with']}")
    print(f"ratio: {with_step / without:.2f}x")
    _statements(municipality)


def _statements(municipality: Municipality) -> None:
    """Each statement of the step alone, after the day before was planned (rolled back)."""
    _fresh()
    planner.plan_day(DAY - datetime.timedelta(days=1), [municipality])
    step = planner.PLAN_STEPS.pop("checkups")
    planner.plan_day(DAY, [municipality])
    planner.PLAN_STEPS["checkups"] = step
    with transaction.atomic(), connection.cursor() as cursor:
        context = planner.PlanStepContext(
            on=DAY,
            municipality_ids=[municipality.pk],
            programme=cast(Any, None),
            now=datetime.datetime.now(TOKYO),
            cursor=cursor,
            dry_run=False,
            replan=True,
            subscriber_ids=None,
        )
        for statement in (planning._reminders, planning._invitations, planning._eve_reminders):
            started = time.perf_counter()
            added = statement(context)
            seconds = time.perf_counter() - started
            print(f"  {statement.__name__[1:]}: {seconds * 1000:.0f} ms, {added:,} rows")
        transaction.set_rollback(True)


if __name__ == "__main__":
    main()
