"""Runs a command against a throwaway PostgreSQL sized as a production server would be.

The machine's shared PostgreSQL keeps its packaged defaults (128 MB of ``shared_buffers``), so
a benchmark whose indexes outgrow them measures the cache rather than Kizuna. This starts a
cluster of its own on a spare port, durable (fsync and synchronous commit on), with a quarter of
the machine's memory as ``shared_buffers`` (PostgreSQL's own sizing advice), creates the
database ``kizuna_bench`` in it, runs the command with ``DATABASE_URL`` pointing there, and
removes the cluster afterwards.

Run: ``.venv/bin/python bench/sized_postgres.py -- .venv/bin/python bench/storage.py``
(``make bench-storage-sized``).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.delivery.campaign import Postgres  # noqa: E402 (after the path is set)


def memory_bytes() -> int:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def server_options(shared_buffers_mb: int) -> str:
    return " ".join(
        f"-c {name}={value}"
        for name, value in {
            "fsync": "on",
            "synchronous_commit": "on",
            "full_page_writes": "on",
            "shared_buffers": f"{shared_buffers_mb}MB",
            "effective_cache_size": f"{shared_buffers_mb * 2}MB",
            "maintenance_work_mem": "512MB",
            "max_wal_size": "8GB",
            "checkpoint_timeout": "15min",
        }.items()
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--shared-buffers-mb",
        type=int,
        default=memory_bytes() // 4 // 2**20,
        help="default: a quarter of this machine's memory",
    )
    parser.add_argument("command", nargs=argparse.REMAINDER, help="after --: what to run")
    arguments = parser.parse_args()
    command = arguments.command[1:] if arguments.command[:1] == ["--"] else arguments.command
    command = command or [
        sys.executable,
        str(ROOT / "bench" / "storage.py"),
    ]
    with tempfile.TemporaryDirectory(prefix="kizuna-sized-pg-") as directory:
        postgres = Postgres(Path(directory), server_options(arguments.shared_buffers_mb))
        postgres.init()
        try:
            postgres.sql("CREATE DATABASE kizuna_bench")
            print(
                f"PostgreSQL of its own on port {postgres.port}: shared_buffers "
                f"{arguments.shared_buffers_mb:,} MB of the machine's "
                f"{memory_bytes() // 2**20:,} MB, durable",
                flush=True,
            )
            environment = {**os.environ, "DATABASE_URL": postgres.url("kizuna_bench")}
            return subprocess.run(command, cwd=ROOT, env=environment, check=False).returncode
        finally:
            postgres.stop()


if __name__ == "__main__":
    sys.exit(main())
