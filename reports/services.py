"""Births per fiscal year: entered by staff, or imported from the municipality's vital statistics."""

from __future__ import annotations

import csv
import datetime
import io
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.db import transaction

from kizuna.fiscal import FIRST_FISCAL_YEAR, fiscal_year_of
from kizuna.spreadsheets import unquote
from municipalities.models import Municipality

from .models import BirthCount

MAX_BYTES = 1024 * 1024
MAX_BIRTHS = 1_000_000
_ERAS = {"令和": 2018, "R": 2018, "平成": 1988, "H": 1988}
_YEAR = re.compile(r"^(?:(令和|平成|R|H)(\d{1,2}|元)|(\d{4}))年?度?$")
_MONTH = re.compile(r"^(?:(令和|平成|R|H)(\d{1,2}|元)|(\d{4}))[年/\-.](\d{1,2})月?$")


def save_births(
    municipality: Municipality, fiscal_year: int, births: int, *, by: User | None
) -> BirthCount:
    """Set a year's births (one row per municipality and year, replaced when entered again)."""
    row, _ = BirthCount.objects.update_or_create(
        municipality=municipality,
        fiscal_year=fiscal_year,
        defaults={"births": births, "source": BirthCount.Source.ENTERED, "updated_by": by},
    )
    return row


@dataclass
class BirthsImport:
    """What a file held: births per fiscal year and how many months made each, or errors."""

    years: dict[int, int] = field(default_factory=dict)
    months: dict[int, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def _year(text: str) -> int | None:
    match = _YEAR.match(text)
    if not match:
        return None
    era, number, western = match.groups()
    if western:
        return int(western)
    if era and number:
        return _ERAS[era] + (1 if number == "元" else int(number))
    return None


def _month(text: str) -> tuple[int, int] | None:
    match = _MONTH.match(text)
    if not match:
        return None
    era, number, western, month = match.groups()
    year = int(western) if western else _ERAS[era] + (1 if number == "元" else int(number))
    return year, int(month)


def _clean(value: str) -> str:
    return unicodedata.normalize("NFKC", unquote(value or "")).strip().replace(",", "")


def parse_births_csv(data: bytes) -> BirthsImport:
    """Read a CSV of births: a 年度 column (「令和7年度」「2025」) or a 年月 column
    (「2025-04」「令和7年4月」) beside 出生数; monthly rows add up to their fiscal year."""
    result = BirthsImport()
    if len(data) > MAX_BYTES:
        result.errors.append(
            "ファイルが大きすぎます（1MBまで）。年度ごと・月ごとの出生数だけのCSVにしてください。"
        )
        return result
    for encoding in ("utf-8-sig", "cp932"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        result.errors.append("文字コードを読み取れません。UTF-8 か Shift_JIS のCSVにしてください。")
        return result
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        result.errors.append("ファイルが空です。")
        return result
    header = [_clean(cell) for cell in rows[0]]
    period = next((i for i, name in enumerate(header) if name in ("年度", "年月")), None)
    count = next((i for i, name in enumerate(header) if name in ("出生数", "出生数（人）")), None)
    if period is None or count is None:
        result.errors.append(
            "1行目に「年度」（または「年月」）と「出生数」の列名が必要です。"
            f"見つかった列名: {'、'.join(h for h in header if h) or 'なし'}"
        )
        return result
    monthly = header[period] == "年月"
    totals: dict[int, int] = defaultdict(int)
    months: dict[int, set[int]] = defaultdict(set)
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = [_clean(cell) for cell in row] + [""] * len(header)
        when, births = cells[period], cells[count]
        if monthly:
            parsed = _month(when)
            if parsed is None or not 1 <= parsed[1] <= 12:
                result.errors.append(
                    f"{line}行目: 年月「{when}」を読み取れません（例: 2025-04、令和7年4月）。"
                )
                continue
            year = fiscal_year_of(datetime.date(parsed[0], parsed[1], 1))
            if parsed[1] in months[year]:
                result.errors.append(f"{line}行目: {parsed[0]}年{parsed[1]}月が2回出てきます。")
                continue
            months[year].add(parsed[1])
        else:
            found = _year(when)
            if found is None:
                result.errors.append(
                    f"{line}行目: 年度「{when}」を読み取れません（例: 令和7年度、2025）。"
                )
                continue
            year = found
            if year in totals:
                result.errors.append(f"{line}行目: {year}年度が2回出てきます。")
                continue
        if not year >= FIRST_FISCAL_YEAR:
            result.errors.append(f"{line}行目: {year}年度は古すぎます（平成元年度以降）。")
            continue
        if not births.isdigit():
            result.errors.append(
                f"{line}行目: 出生数「{births}」が数字ではありません（0以上の整数で書いてください）。"
            )
            continue
        if int(births) > MAX_BIRTHS:
            result.errors.append(f"{line}行目: 出生数「{births}」が大きすぎます。")
            continue
        totals[year] += int(births)
    if not result.errors and not totals:
        result.errors.append("出生数の行がありません。")
    if not result.errors:
        result.years = dict(sorted(totals.items()))
        result.months = {year: len(months[year]) if monthly else 12 for year in totals}
    return result


def import_births(municipality: Municipality, data: bytes, *, by: User | None) -> BirthsImport:
    """Parse the file and, only if every row is right, write each year's births at once."""
    parsed = parse_births_csv(data)
    if parsed.errors:
        return parsed
    with transaction.atomic():
        for year, births in parsed.years.items():
            BirthCount.objects.update_or_create(
                municipality=municipality,
                fiscal_year=year,
                defaults={
                    "births": births,
                    "source": BirthCount.Source.IMPORTED,
                    "updated_by": by,
                },
            )
    return parsed
