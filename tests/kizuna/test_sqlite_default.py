"""`make run`'s embedded SQLite with its web server, worker and beat writing at the same moment:
no write may fail with "database is locked"."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def embedded_env(tmp_path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("REDIS_URL", "DATABASE_URL", "EMAIL_URL", "EMAIL_BACKEND")
    }
    env.update(
        DEBUG="true",
        KIZUNA_VAR_DIR=str(tmp_path / "var"),
        CELERY_TASK_ALWAYS_EAGER="true",  # the worker's sending runs inside its tick, as it would
        LOG_LEVEL="WARNING",
    )
    for command in (["migrate", "-v", "0"], ["load_demo"]):
        result = subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert result.returncode == 0, result.stderr
    return env


def test_signups_and_the_minute_tasks_write_at_once_without_a_lock_error(embedded_env, tmp_path):
    writers = [("signups", n, 25) for n in range(3)] + [("ticks", n, 8) for n in range(2)]
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.kizuna.sqlite_writer", kind, str(n), str(count)],
            cwd=ROOT,
            env=embedded_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for kind, n, count in writers
    ]
    outcomes = [process.communicate(timeout=300) for process in processes]

    errors = [err for (_, err), p in zip(outcomes, processes, strict=True) if p.returncode != 0]
    assert errors == []
    assert all(out.strip().endswith("done") for out, _ in outcomes)
    assert not any("database is locked" in err for _, err in outcomes)
    # Every signup is there, and each got its confirmation mail in the local mailbox.
    mails = list((tmp_path / "var" / "mailbox").glob("*.eml"))
    assert len(mails) >= 3 * 25
    journal = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'kizuna.settings');"
            "django.setup(); from django.db import connection; c = connection.cursor();"
            "c.execute('PRAGMA journal_mode'); print(c.fetchone()[0]);"
            "from subscribers.models import Subscriber;"
            "print(Subscriber.objects.filter(email__startswith='writer').count())",
        ],
        cwd=ROOT,
        env=embedded_env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert journal == ["wal", str(3 * 25)]
