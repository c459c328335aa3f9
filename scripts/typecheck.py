"""Type-check with mypy: every app, and the core modules with --strict, against a baseline.

The baseline (``mypy-baseline.txt``) lists the errors still to fix, without line numbers so
that moving code doesn't disturb it. A new error fails; so does a listed error that is gone,
until ``--update`` rewrites the baseline: it can only shrink.
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
    "urgent_notices", "adoption", "accounts", "operations", "reviews",
]  # fmt: skip
STRICT_PACKAGES = ["delivery"]
SERVICES = sorted(f"{path.parent.name}.services" for path in ROOT.glob("*/services.py"))
STRICT_MODULES = [
    "content.stages",
    "kizuna.clock",
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


def current() -> Counter[str]:
    strict_args = ["--strict", "--follow-imports=silent"]
    for module in STRICT_MODULES:
        strict_args += ["-m", module]
    for package in STRICT_PACKAGES:
        strict_args += ["-p", package]
    return _errors("all", APPS) + _errors("strict", strict_args)


def _lines(errors: Counter[str]) -> list[str]:
    return sorted(line for line, count in errors.items() for _ in range(count))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--update", action="store_true", help="rewrite the baseline")
    options = parser.parse_args()
    found = current()
    if options.update:
        BASELINE.write_text("".join(f"{line}\n" for line in _lines(found)), encoding="utf-8")
        print(f"baseline: {sum(found.values())} errors")
        return 0
    listed = (
        Counter(BASELINE.read_text(encoding="utf-8").splitlines())
        if BASELINE.exists()
        else Counter()
    )
    new, gone = found - listed, listed - found
    for line in _lines(new):
        print(f"new type error: {line}")
    if gone:
        print(
            f"{sum(gone.values())} errors of the baseline are fixed: "
            "run `python scripts/typecheck.py --update` and commit the shorter baseline"
        )
    print(f"mypy: {sum(found.values())} errors, all in the baseline" if not new else "")
    return 1 if new or gone else 0


if __name__ == "__main__":
    sys.exit(main())
