"""Sessions from a CSV (UTF-8 with or without BOM, or Shift_JIS) or Excel file.

Every row is checked before anything is written; one bad row and nothing is imported, with a
Japanese message per problem naming its line.
"""

from __future__ import annotations

import csv
import datetime
import io
from dataclasses import dataclass
from typing import Any

import openpyxl

from .services import SessionData
from .timings import CHECKS

HEADERS = ("健診", "日付", "開始時刻", "会場", "生年月日から", "生年月日まで", "定員")
MAX_ROWS = 500
_CHECK_BY_LABEL = {c.label: c.number for c in CHECKS} | {
    c.label.removesuffix("児健診"): c.number for c in CHECKS
}


@dataclass(frozen=True)
class Parsed:
    rows: list[SessionData]
    errors: list[str]


def _decode(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValueError("文字コードを読み取れません。UTF-8かShift_JISのCSVで保存してください。")


def _table(raw: bytes, name: str) -> list[list[Any]]:
    if name.lower().endswith(".xlsx"):
        try:
            book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises many kinds for a broken file
            raise ValueError("Excelファイルを読み取れません。") from error
        return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    return [row for row in csv.reader(io.StringIO(_decode(raw)))]


def _date(value: Any) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = str(value or "").strip().replace("/", "-")
    try:
        return datetime.date.fromisoformat("-".join(p.zfill(2) for p in text.split("-")))
    except ValueError:
        return None


def _time(value: Any) -> datetime.time | None:
    if isinstance(value, datetime.time):
        return value
    if isinstance(value, datetime.datetime):
        return value.time()
    text = str(value or "").strip().replace("：", ":")
    try:
        return datetime.time.fromisoformat(text.zfill(5))
    except ValueError:
        return None


def parse(raw: bytes, name: str) -> Parsed:
    try:
        table = _table(raw, name)
    except ValueError as error:
        return Parsed([], [str(error)])
    table = [row for row in table if any(str(c or "").strip() for c in row)]
    if not table:
        return Parsed([], ["ファイルに行がありません。"])
    header = [str(c or "").strip() for c in table[0]]
    missing = [h for h in HEADERS if h not in header]
    if missing:
        return Parsed([], [f"1行目に列「{'」「'.join(missing)}」がありません。"])
    if len(table) - 1 > MAX_ROWS:
        return Parsed([], [f"一度に取り込めるのは{MAX_ROWS}行までです。"])
    index = {h: header.index(h) for h in HEADERS}
    rows, errors = [], []
    for line, row in enumerate(table[1:], start=2):
        cells = {h: (row[i] if i < len(row) else None) for h, i in index.items()}
        problems = []
        # Shift_JIS files decode 〜 as ～ (cp932), and people type ~ or -.
        label = str(cells["健診"] or "").strip()
        for dash in ("～", "~", "-", "－"):
            label = label.replace(dash, "〜")
        check = _CHECK_BY_LABEL.get(label)
        if check is None:
            problems.append(f"健診「{cells['健診'] or ''}」がわかりません（例: 3〜4か月児健診）")
        held_on, starts_at = _date(cells["日付"]), _time(cells["開始時刻"])
        born_from, born_until = _date(cells["生年月日から"]), _date(cells["生年月日まで"])
        for label, value in (
            ("日付", held_on),
            ("生年月日から", born_from),
            ("生年月日まで", born_until),
        ):
            if value is None:
                problems.append(f"{label}を 2027-01-15 の形で入力してください")
        if starts_at is None:
            problems.append("開始時刻を 13:30 の形で入力してください")
        venue = str(cells["会場"] or "").strip()
        if not venue or len(venue) > 100:
            problems.append("会場を100文字以内で入力してください")
        try:
            capacity = int(str(cells["定員"] or "").strip())
        except ValueError:
            capacity = 0
        if capacity < 1:
            problems.append("定員を1以上の数で入力してください")
        if born_from and born_until and born_from > born_until:
            problems.append("生年月日の範囲が逆です")
        if problems:
            errors.append(f"{line}行目: " + "、".join(problems))
            continue
        assert check and held_on and starts_at and born_from and born_until  # noqa: S101
        rows.append(SessionData(check, held_on, starts_at, venue, born_from, born_until, capacity))
    return Parsed(rows if not errors else [], errors)


def to_payload(rows: list[SessionData]) -> list[list[Any]]:
    return [
        [
            r.check_number,
            r.held_on.isoformat(),
            r.starts_at.isoformat("minutes"),
            r.venue,
            r.born_from.isoformat(),
            r.born_until.isoformat(),
            r.capacity,
        ]
        for r in rows
    ]


def from_payload(payload: list[list[Any]]) -> list[SessionData]:
    return [
        SessionData(
            int(c),
            datetime.date.fromisoformat(d),
            datetime.time.fromisoformat(t),
            str(v),
            datetime.date.fromisoformat(f),
            datetime.date.fromisoformat(u),
            int(n),
        )
        for c, d, t, v, f, u, n in payload
    ]
