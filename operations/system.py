"""The machinery around delivery: the broker's queue, the workers, and /healthz's checks.

Everything here answers within a short timeout: a monitor or a dashboard must never hang
because Redis or a worker does.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

import redis
from django.conf import settings
from django.db import DatabaseError, connection

from kizuna import clock
from kizuna.celery import app as celery_app

from . import heartbeat, selectors

# kombu's Redis transport keeps one list per queue and priority step.
PRIORITY_SUFFIXES = ["", *(f"\x06\x16{step}" for step in (3, 6, 9))]


def _redis(url: str) -> redis.Redis:
    timeout = settings.KIZUNA_HEALTH_TIMEOUT_SECONDS
    return redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)


def queue_depth() -> int | None:
    """Tasks waiting in the broker's default queue; None when it can't be read."""
    queue = celery_app.conf.task_default_queue
    url = settings.CELERY_BROKER_URL
    try:
        if url.startswith(("redis://", "rediss://")):
            client = _redis(url)
            return sum(client.llen(queue + suffix) for suffix in PRIORITY_SUFFIXES)
        if url.startswith("filesystem://"):
            folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
            return sum(1 for path in folder.glob(f"*.{queue}.msg"))
    except (redis.RedisError, OSError):
        return None
    return None


@dataclass(frozen=True)
class Workers:
    names: list[str]
    answered: bool  # False: the heartbeats could not be read, so nothing is known
    asked_at: datetime.datetime


def workers() -> Workers:
    """Workers whose heartbeat is recent (operations.heartbeat), whatever the broker."""
    now = clock.now()
    try:
        return Workers(heartbeat.live_workers(now), True, now)
    except DatabaseError:
        return Workers([], False, now)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def _check_database() -> Check:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return Check("database", True, "answered")


def _check_redis() -> Check:
    if not settings.REDIS_URL:
        return Check("redis", True, "not used (filesystem broker and file cache)")
    _redis(settings.REDIS_URL).ping()
    return Check("redis", True, "answered")


def _check_planner(now: datetime.datetime) -> Check:
    limit = settings.KIZUNA_HEALTH_TICK_MAX_AGE_SECONDS
    tick = selectors.last_tick()
    if tick is None:
        return Check("planner", False, "the planner has never ticked")
    age = (now - tick.at).total_seconds()
    if age > limit:
        return Check("planner", False, f"last tick {age:.0f} s ago (limit {limit} s)")
    return Check("planner", True, f"last tick {age:.0f} s ago")


def _check_backlog(now: datetime.datetime) -> Check:
    max_count = settings.KIZUNA_HEALTH_BACKLOG_MAX
    max_age = settings.KIZUNA_HEALTH_BACKLOG_MAX_AGE_SECONDS
    backlog = selectors.backlog(None, now)
    age = backlog.oldest_age(now)
    seconds = age.total_seconds() if age else 0
    detail = f"{backlog.unsent} unsent, oldest due waiting {seconds:.0f} s"
    if backlog.unsent > max_count:
        return Check("backlog", False, f"{detail} (limit {max_count} deliveries)")
    if seconds > max_age:
        return Check("backlog", False, f"{detail} (limit {max_age} s)")
    return Check("backlog", True, detail)


def health_checks(now: datetime.datetime | None = None) -> list[Check]:
    """Each check on its own: one failing (the database, say) still reports the others."""
    now = now or clock.now()
    checks = []
    for name, run in [
        ("database", _check_database),
        ("redis", _check_redis),
        ("planner", lambda: _check_planner(now)),
        ("backlog", lambda: _check_backlog(now)),
    ]:
        try:
            checks.append(run())
        except Exception as error:  # any failure is the answer, not a 500
            checks.append(Check(name, False, f"{type(error).__name__}: {str(error)[:200]}"))
    return checks
