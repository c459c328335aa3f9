"""Three runs of the fault campaign (tests/delivery/campaign.py) inside `make test`.

Each run starts its own PostgreSQL and Redis, real Celery workers on a simulated clock, kills a
worker mid-batch, restarts Redis empty and PostgreSQL, lets the ESP and LINE fail after they
accepted, fires two beats at once, takes beat away for 48 hours and re-runs a past date, and
then counts what the fakes received per reader and message. The full campaign (20 runs) is
`make fault-campaign`.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_three_randomized_fault_runs_deliver_every_due_message_exactly_once():
    done = subprocess.run(
        [sys.executable, "-m", "tests.delivery.campaign", "--runs", "3", "--seed", "2026"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert "3/3 runs passed" in done.stdout
    for line in done.stdout.splitlines():
        if line.startswith("run "):
            assert "kill -9 mid-batch ×0" not in line
            assert "PostgreSQL restart ×1" in line and "Redis FLUSHALL+restart ×1" in line
