"""How busy the machine is, beside every benchmark figure, so a noisy figure is never taken
for a quiet one.

A run starts by reading the load average before it starts anything of its own: above the
threshold (``BENCH_MAX_LOAD``, default half a process per core) its figures are marked BUSY,
or, with ``BENCH_REFUSE_BUSY=1`` (``--refuse-busy``), the run waits up to
``BENCH_QUIET_WAIT_SECONDS`` for the machine to calm down and is refused if it does not.
"""

from __future__ import annotations

import os
import sys
import time

CORES = os.cpu_count() or 1


def max_load() -> float:
    return float(os.environ.get("BENCH_MAX_LOAD", CORES * 0.5))


def load() -> tuple[float, float, float]:
    return os.getloadavg()


def uptime_line() -> str:
    one, five, fifteen = load()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} ({CORES} cores)"


class Quietness:
    """The verdict on the machine at the start of a run, printed with each figure."""

    def __init__(self, *, refuse: bool | None = None) -> None:
        if refuse is None:
            refuse = os.environ.get("BENCH_REFUSE_BUSY", "") not in ("", "0", "false")
        threshold = max_load()
        waited = 0.0
        wait_limit = float(os.environ.get("BENCH_QUIET_WAIT_SECONDS", 120))
        while refuse and load()[0] > threshold and waited < wait_limit:
            time.sleep(10)
            waited += 10
        self.start_load = load()[0]
        self.threshold = threshold
        self.busy = self.start_load > threshold
        if self.busy and refuse:
            sys.exit(
                f"refused: the machine is busy before the run ({uptime_line()}, threshold "
                f"{threshold:.2f}); figures taken now would be noise. BENCH_MAX_LOAD raises it."
            )

    @property
    def mark(self) -> str:
        """A word for each figure: '' on a quiet machine, 'BUSY' otherwise."""
        return "BUSY" if self.busy else ""

    def header(self) -> str:
        verdict = (
            f"BUSY: load {self.start_load:.2f} above {self.threshold:.2f} before the run; "
            "every figure below is marked and is not one for the README"
            if self.busy
            else f"quiet: load {self.start_load:.2f} at most {self.threshold:.2f} before the run"
        )
        return f"machine: {uptime_line()}; {verdict}"

    def beside(self) -> str:
        """The load now, with the mark, to print beside a figure."""
        return f"[load {load()[0]:.2f}{' BUSY' if self.busy else ''}]"
