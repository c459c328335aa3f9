"""Each Celery worker writes down that it is alive, in the database every page already reads.

A broadcast ping needs a broker that fans out (Redis does; the filesystem transport of
`make run` does not), so the dashboard counted no workers while one was sending. A heartbeat row
per worker tells the truth whatever the broker.
"""

from __future__ import annotations

import datetime
import logging
import os
import threading

from celery import bootsteps
from django.conf import settings

from kizuna import clock

logger = logging.getLogger(__name__)

PREFIX = "worker:"


def heartbeat_name(hostname: str) -> str:
    return (PREFIX + hostname)[:50]


def record(hostname: str, **detail) -> None:
    from delivery.heartbeats import beat

    beat(heartbeat_name(hostname), pid=os.getpid(), **detail)


def forget(hostname: str) -> None:
    from delivery.models import Heartbeat

    Heartbeat.objects.filter(name=heartbeat_name(hostname)).delete()


def max_age() -> datetime.timedelta:
    """A worker is alive while its last heartbeat is younger than three intervals."""
    return datetime.timedelta(seconds=3 * settings.KIZUNA_WORKER_HEARTBEAT_SECONDS)


def live_workers(now: datetime.datetime | None = None) -> list[str]:
    """Names of the workers whose heartbeat is recent, sorted."""
    from delivery.models import Heartbeat

    since = (now or clock.now()) - max_age()
    names = Heartbeat.objects.filter(name__startswith=PREFIX, at__gte=since).values_list(
        "name", flat=True
    )
    return sorted(name.removeprefix(PREFIX) for name in names)


class WorkerHeartbeat(bootsteps.StartStopStep):
    """A worker step: a heartbeat every KIZUNA_WORKER_HEARTBEAT_SECONDS from a thread of the
    worker's main process, removed when the worker stops."""

    def __init__(self, worker, **kwargs) -> None:
        super().__init__(worker, **kwargs)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, worker) -> None:
        hostname = worker.hostname
        interval = settings.KIZUNA_WORKER_HEARTBEAT_SECONDS

        def run() -> None:
            from django.db import connection

            while True:
                try:
                    record(hostname, concurrency=worker.concurrency)
                except Exception:  # the database may be away for a moment; try again later
                    logger.warning("worker heartbeat not recorded", exc_info=True)
                finally:
                    connection.close()
                if self._stop.wait(interval):
                    return

        self._thread = threading.Thread(target=run, name="kizuna-heartbeat", daemon=True)
        self._thread.start()

    def stop(self, worker) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        try:
            from django.db import connection

            forget(worker.hostname)
            connection.close()
        except Exception:
            logger.warning("worker heartbeat not removed", exc_info=True)
