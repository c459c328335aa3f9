"""Type-check with mypy: the core modules with --strict and no error at all, every app against
a baseline.

The strict pass covers ``content/stages.py``, ``kizuna/clock.py``, everything under ``delivery/``
and every app's ``services.py`` (a new app's too): any error there fails, whatever the baseline.
The non-strict pass over every app is checked against the baseline (``mypy-baseline.txt``), which
lists the errors still to fix, without line numbers so that moving code doesn't disturb it. A new
error fails; so does a listed error that is gone, until ``--update`` rewrites the baseline: it
can only shrink.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "mypy-baseline.txt"
APPS = [
    "kizuna", "municipalities", "audit", "content", "subscribers", "delivery", "surveys",
    "urgent_notices", "adoption", "accounts", "operations", "reviews", "checkups", "followups",
    "vaccinations", "conversations", "line_accounts", "reports",
]  # fmt: skip
STRICT_PACKAGES = ["delivery"]
SERVICES = sorted(f"{path.parent.name}.services" for path in ROOT.glob("*/services.py"))
STRICT_MODULES = [
    "content.stages",
    "kizuna.clock",
    "checkups.timings",
    "vaccinations.rules",
    "vaccinations.schedule",
    *(module for module in SERVICES if module.split(".")[0] not in STRICT_PACKAGES),
]
ERROR = re.compile(r"^(?P<path>[^:]+):\d+: error: (?P<message>.*)$")


def _errors(label: str, args: list[str]) -> Counter[str]:
    env = {**os.environ, "DEBUG": "true"}
    done = subprocess.run(  # noqa: S603 (our own interpreter and arguments)
        [sys.executable, "-m", "mypy", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode not in (0, 1):
        sys.exit(done.stdout + done.stderr)
    found: Counter[str] = Counter()
    for line in done.stdout.splitlines():
        match = ERROR.match(line)
        if match:
            found[f"{label} {match['path']}: {match['message']}"] += 1
    return found


def baseline_errors() -> Counter[str]:
    return _errors("all", APPS)


def strict_errors() -> Counter[str]:
    strict_args = ["--strict", "--follow-imports=silent"]
    for module in STRICT_MODULES:
        strict_args += ["-m", module]
    for package in STRICT_PACKAGES:
        strict_args += ["-p", package]
    return _errors("strict", strict_args)


def _lines(errors: Counter[str]) -> list[str]:
    return sorted(line for line, count in errors.items() for _ in range(count))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--update", action="store_true", help="rewrite the baseline")
    options = parser.parse_args()
    strict = strict_errors()
    for line in _lines(strict):
        print(f"type error under --strict (no baseline for these modules): {line}")
    found = baseline_errors()
    listed = (
        Counter(BASELINE.read_text(encoding="utf-8").splitlines())
        if BASELINE.exists()
        else Counter()
    )
    new, gone = found - listed, listed - found
    for line in _lines(new):
        print(f"new type error: {line}")
    if options.update:
        if new:
            print("not updated: the baseline only shrinks; fix the new errors first")
            return 1
        BASELINE.write_text("".join(f"{line}\n" for line in _lines(found)), encoding="utf-8")
        print(f"baseline: {sum(found.values())} errors")
        return 1 if strict else 0
    if gone:
        print(
            f"{sum(gone.values())} errors of the baseline are fixed: "
            "run `python scripts/typecheck.py --update` and commit the shorter baseline"
        )
    if not new:
        print(
            f"mypy: {sum(strict.values())} errors under --strict, "
            f"{sum(found.values())} errors elsewhere, all in the baseline"
        )
    return 1 if strict or new or gone else 0


if __name__ == "__main__":
    sys.exit(main())
