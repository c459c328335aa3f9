"""Profile one dispatcher in process: bench/send.py's families, the LINE and Postmark fakes.

``DATABASE_URL=… BENCH_REDIS_URL=… .venv/bin/python bench/profile_send.py [families] [out]``
plans a day for ``families`` (20,000) in 5 municipalities, runs ``delivery.dispatch.dispatch()``
under cProfile, prints the throughput and the top costs, and keeps the profile in ``out``. On a
shared machine read the call counts, not the seconds.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
import send as bench  # noqa: E402 (sets the production settings of bench/send.py)

MUNICIPALITIES = 5


def main() -> None:
    families = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    out = sys.argv[2] if len(sys.argv) > 2 else "send.prof"
    os.environ["KIZUNA_EMAIL_PER_SECOND"] = "1000"  # the fake is not rate-limited here
    os.environ["KIZUNA_EMAIL_BATCH_SIZE"] = "500"
    from tests.fakes import FakeLine, FakePostmark

    tokens = {bench.line_token(k) for k in range(MUNICIPALITIES)}
    with (
        FakeLine(tokens=tokens) as line,
        FakePostmark(token=bench.POSTMARK_TOKEN, batch_limit=500) as postmark,
    ):
        bench._configure(line.url, postmark.url, MUNICIPALITIES)
        import django

        django.setup()
        due, _ = bench._prepare(families, MUNICIPALITIES)
        from delivery.dispatch import dispatch

        profile = cProfile.Profile()
        started = time.perf_counter()
        profile.enable()
        report = dispatch(time_budget=3600)
        profile.disable()
        seconds = time.perf_counter() - started
    print(
        f"{report.handled:,} of {due:,} due in {seconds:.2f} s: {dict(report.outcomes)}",
        file=sys.stderr,
    )
    profile.dump_stats(out)
    stats = pstats.Stats(out, stream=sys.stderr)
    stats.sort_stats("cumulative").print_stats(r"/(delivery|subscribers|content)/", 30)


if __name__ == "__main__":
    main()
