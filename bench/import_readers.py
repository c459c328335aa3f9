"""Benchmark: import a 50,000-row readers file (Shift_JIS CSV) end to end on PostgreSQL.

Times the dry run (decode, tablib parse, checks, stored preview rows) and the confirmed import
(readers, children, follows, fingerprints, welcome deliveries), beside a floor measured in the same
run: Python's csv module reading the same file and one ``executemany`` INSERT of the same rows
into a bare table. Goal: the whole import under a minute.
Run: ``make bench-import`` (or ``.venv/bin/python bench/import_readers.py --rows 50000``).
"""

from __future__ import annotations

import argparse
import csv
import datetime
import io
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kizuna.settings")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kizuna_bench")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from adoption import imports  # noqa: E402
from municipalities.models import Municipality  # noqa: E402

HEADER = (
    "メールアドレス,LINEユーザーID,続柄,ニックネーム,出産予定日,生年月日,同意日,配信方法,家族ID"
)


def readers_file(rows: int, today: datetime.date) -> bytes:
    lines = [HEADER]
    for n in range(rows):
        family = n // 2 if n % 10 == 1 else n  # every tenth reader is a partner of the one before
        anchor = today + datetime.timedelta(days=200 - (n % 900))
        due, birth = (anchor, "") if anchor > today else ("", anchor)
        relationship = "パートナー" if family != n else "本人"
        if n % 10 == 1:
            family, due_prev = n - 1, today + datetime.timedelta(days=200 - ((n - 1) % 900))
            due, birth = (due_prev, "") if due_prev > today else ("", due_prev)
        lines.append(
            f"reader{n}@example.jp,,{relationship},はな{n % 100},{due},{birth},"
            f"2025/{1 + n % 12}/{1 + n % 28},メール,F{family}"
        )
    return ("\r\n".join(lines) + "\r\n").encode("cp932")


def reset() -> Municipality:
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE adoption_importedreader, adoption_importrow, adoption_importbatch,"
            " adoption_linelinkcode, adoption_channelmove, delivery_delivery,"
            " subscribers_subscription, subscribers_subscriber, subscribers_child"
            " RESTART IDENTITY CASCADE"
        )
    municipality, _ = Municipality.objects.get_or_create(
        slug="bench-import",
        defaults={
            "name": "ベンチ市",
            "prefecture": "東京都",
            "code": "131016",
            "service_name": "ベンチ子育てメール",
            "sender_name": "ベンチ市",
            "sender_email": "bench@example.jp",
        },
    )
    return municipality


def floor(raw: bytes) -> float:
    started = time.monotonic()
    rows = list(csv.reader(io.StringIO(raw.decode("cp932"))))[1:]
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS bench_floor (email text, relationship text,"
            " nickname text, due text, birth text, consent text, family text)"
        )
        cursor.execute("TRUNCATE bench_floor")
        cursor.executemany(
            "INSERT INTO bench_floor VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [(r[0], r[2], r[3], r[4], r[5], r[6], r[8]) for r in rows],
        )
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=50_000)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    municipality = reset()
    raw = readers_file(args.rows, datetime.date.today())  # noqa: DTZ011 (fixture data only)
    print(f"file: {args.rows:,} rows, {len(raw) / 1e6:.1f} MB Shift_JIS CSV")
    floor_seconds = floor(raw)

    def progress(label):
        def report(done: int, total: int) -> None:
            print(f"  {label}: {done:,} / {total:,}", flush=True)

        return report

    started = time.monotonic()
    batch = imports.start(municipality, raw=raw, file_name="bench.csv", source_name="旧サービス")
    batch = imports.analyse(batch.pk, progress=progress("dry run"))
    dry_run = time.monotonic() - started
    imports.confirm(batch.pk)
    started = time.monotonic()
    batch = imports.run(batch.pk, progress=progress("import"))
    confirmed = time.monotonic() - started
    started = time.monotonic()
    again = imports.start(municipality, raw=raw, file_name="bench.csv", source_name="旧サービス")
    again = imports.analyse(again.pk)
    rerun = time.monotonic() - started
    assert batch.imported == batch.to_create + batch.to_merge, batch.imported
    assert again.to_create == 0 and again.to_merge == 0, (again.to_create, again.to_merge)
    total = dry_run + confirmed
    print(
        f"\n{'rows':>8} {'imported':>8} {'floor s':>8} {'dry run s':>9} {'import s':>8}"
        f" {'total s':>8} {'ratio':>6} {'re-upload dry run s':>19}"
    )
    print(
        f"{args.rows:>8,} {batch.imported:>8,} {floor_seconds:>8.2f} {dry_run:>9.2f}"
        f" {confirmed:>8.2f} {total:>8.2f} {total / floor_seconds:>6.1f} {rerun:>19.2f}"
    )
    print("goal: total under 60 s —", "met" if total < 60 else "NOT met")


if __name__ == "__main__":
    main()
