"""The page benchmark serves the web app with production's gunicorn workers, not a count of its
own: its figures are only production's if the two agree."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _workers(path: str, pattern: str) -> set[int]:
    return {int(n) for n in re.findall(pattern, (ROOT / path).read_text())}


def test_bench_pages_serves_production_worker_count() -> None:
    started = _workers("Dockerfile", r'"--workers",\s*"(\d+)"') | _workers(
        "docker-compose.yml", r"gunicorn kizuna\.wsgi:application[^\n]*--workers (\d+)"
    )
    benched = _workers("bench/pages.py", r"(?m)^PRODUCTION_WORKERS = (\d+)$")
    assert len(started) == 1, f"the Dockerfile and docker-compose.yml disagree: {started}"
    assert benched == started
