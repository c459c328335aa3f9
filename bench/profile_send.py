"""Profile one dispatcher in process: bench/send.py's families, the LINE and Postmark fakes.

``DATABASE_URL=… BENCH_REDIS_URL=… .venv/bin/python bench/profile_send.py [families] [out]
[municipalities]`` plans a day for ``families`` (20,000) in ``municipalities`` (50, as
``bench/send.py`` runs them), runs ``delivery.dispatch.dispatch()`` once plain and once under
cProfile, prints the dispatcher's CPU time per delivery and the top costs, and keeps the
profile in ``out``. The fakes answer from a process of their own, so the profile and the CPU
time are the dispatcher's alone; CPU time, unlike seconds, hardly moves on a shared machine.
"""

from __future__ import annotations

import cProfile
import multiprocessing
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
import send as bench  # noqa: E402 (sets the production settings of bench/send.py)


def _serve_fakes(municipalities: int, urls, stop) -> None:
    sys.path.insert(0, str(ROOT))
    from tests.fakes import FakeLine, FakePostmark

    tokens = {bench.line_token(k) for k in range(municipalities)}
    with (
        FakeLine(tokens=tokens) as line,
        FakePostmark(token=bench.POSTMARK_TOKEN, batch_limit=500) as postmark,
    ):
        urls.put((line.url, postmark.url))
        stop.wait()


def _dispatch(families: int, municipalities: int, profile: cProfile.Profile | None):
    from delivery.dispatch import dispatch

    due, _ = bench._prepare(families, municipalities)
    started, cpu = time.perf_counter(), time.process_time()
    if profile is not None:
        profile.enable()
    report = dispatch(time_budget=3600)
    if profile is not None:
        profile.disable()
    return due, report, time.perf_counter() - started, time.process_time() - cpu


def main() -> None:
    families = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    out = sys.argv[2] if len(sys.argv) > 2 else "send.prof"
    municipalities = int(sys.argv[3]) if len(sys.argv) > 3 else 50
    os.environ["KIZUNA_EMAIL_PER_SECOND"] = "1000"  # the fake is not rate-limited here
    os.environ["KIZUNA_EMAIL_BATCH_SIZE"] = "500"
    spawn = multiprocessing.get_context("spawn")
    urls, stop = spawn.Queue(), spawn.Event()
    fakes = spawn.Process(target=_serve_fakes, args=(municipalities, urls, stop))
    fakes.start()
    try:
        line_url, postmark_url = urls.get(timeout=60)
        bench._configure(line_url, postmark_url, municipalities)
        import django

        django.setup()
        profile = cProfile.Profile(time.process_time)  # CPU, not the wait for the fakes
        for profiled in (None, profile):
            due, report, seconds, cpu = _dispatch(families, municipalities, profiled)
            print(
                f"{'profiled' if profiled else 'plain':>8}: {report.handled:,} of {due:,} due in "
                f"{seconds:.2f} s, {cpu:.2f} s CPU = {1e6 * cpu / max(due, 1):.0f} µs CPU per "
                f"delivery: {dict(report.outcomes)}",
                file=sys.stderr,
            )
    finally:
        stop.set()
        fakes.join(timeout=10)
    profile.dump_stats(out)
    stats = pstats.Stats(out, stream=sys.stderr)
    stats.sort_stats("cumulative").print_stats(r"/(delivery|subscribers|content)/", 30)


if __name__ == "__main__":
    main()
