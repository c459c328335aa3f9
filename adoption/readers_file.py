"""Reading a readers file exported by another service: CSV (UTF-8 or Shift_JIS) or Excel.

Rows are streamed (csv, openpyxl read-only) within :class:`Limits`, then kept as a tablib
Dataset; this module decodes, maps the headers the other
services use (Japanese or English) to ours, and turns each row's text into checked values with
a Japanese reason for every problem. Pure: no database.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import openpyxl
import tablib
from django.core.exceptions import ValidationError

from content.stages import add_months
from kizuna import clock, email_addresses, japanese_dates
from kizuna.spreadsheets import unquote

LINE_USER_ID = re.compile(r"^U[0-9a-f]{32}$")
MAX_NICKNAME = 30

# Our column -> the headers other services (and our own export) use for it.
COLUMNS: dict[str, tuple[str, ...]] = {
    "email": ("メールアドレス", "メール", "アドレス", "email", "e-mail", "mail", "address"),
    "line_user_id": ("lineユーザーid", "lineid", "lineユーザid", "line_user_id", "line_id"),
    "relationship": ("続柄", "子どもとの関係", "関係", "relationship"),
    "nickname": ("ニックネーム", "呼び名", "なまえ", "nickname", "name"),
    "due_date": ("出産予定日", "予定日", "due_date", "due"),
    "birth_date": ("生年月日", "誕生日", "出生日", "birth_date", "birthday"),
    "consent_date": ("同意日", "同意日時", "登録日", "consent_date", "consent_at", "consented_at"),
    "channel": ("配信方法", "配信チャネル", "チャネル", "channel"),
    "family_key": ("家族id", "家族番号", "family_id", "family"),
    "language": ("言語", "language"),
}
EXPORT_HEADERS = {
    "email": "メールアドレス",
    "line_user_id": "LINEユーザーID",
    "relationship": "続柄",
    "nickname": "ニックネーム",
    "due_date": "出産予定日",
    "birth_date": "生年月日",
    "consent_date": "同意日",
    "channel": "配信方法",
    "family_key": "家族ID",
    "language": "言語",
}

RELATIONSHIPS = {
    "self": ("本人", "母", "母親", "ママ", "妊婦", "self", "mother", "mom"),
    "partner": ("パートナー", "父", "父親", "パパ", "夫", "partner", "father", "dad"),
    "grandparent": ("祖父母", "祖母", "祖父", "おばあちゃん", "おじいちゃん", "grandparent"),
    "other": ("その他", "other"),
}
RELATIONSHIP_LABELS = {
    "self": "本人",
    "partner": "パートナー",
    "grandparent": "祖父母",
    "other": "その他",
}
CHANNELS = {
    "email": ("メール", "email", "e-mail", "mail"),
    "line": ("line", "ライン"),
}
LANGUAGES = {"ja": ("ja", "日本語", "japanese"), "en": ("en", "英語", "english")}


class FileProblem(Exception):
    """The file as a whole cannot be read; the message says why, in Japanese."""


def _key(text: Any) -> str:
    return re.sub(r"[\s_\-・]", "", unicodedata.normalize("NFKC", str(text or "")).lower())


_HEADER_LOOKUP = {_key(alias): column for column, aliases in COLUMNS.items() for alias in aliases}


def decode(raw: bytes) -> str:
    """UTF-8 (with or without BOM), else Shift_JIS (cp932); a file that mixes both (two exports
    pasted together) is decoded line by line."""
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    lines = []
    # cp932's second bytes are never 0x0A, so splitting the bytes on newlines is safe.
    for number, chunk in enumerate(raw.split(b"\n"), start=1):
        for encoding in ("utf-8-sig", "cp932"):
            try:
                lines.append(chunk.decode(encoding))
                break
            except UnicodeDecodeError:
                continue
        else:
            raise FileProblem(
                f"{number}行目の文字コードを読めません。UTF-8 か Shift_JIS で保存してください。"
            )
    return "\n".join(lines)


@dataclass(frozen=True)
class Limits:
    """How much of a file is read before it is refused: a few hundred kilobytes of .xlsx can
    unpack to gigabytes, and a worker that reads it all runs out of memory."""

    max_rows: int
    max_cells: int
    max_xlsx_bytes: int  # all members of the .xlsx archive, unpacked
    max_xlsx_members: int = 1000

    @classmethod
    def from_settings(cls) -> Limits:
        from django.conf import settings

        return cls(
            max_rows=settings.KIZUNA_IMPORT_MAX_ROWS,
            max_cells=settings.KIZUNA_IMPORT_MAX_CELLS,
            max_xlsx_bytes=settings.KIZUNA_IMPORT_MAX_XLSX_BYTES,
        )


def _csv_rows(raw: bytes) -> Iterator[list[Any]]:
    if b"\x00" in raw:
        raise FileProblem(
            "ファイルに読めない文字（NUL）が含まれています。"
            "表計算ソフトでCSV（UTF-8 か Shift_JIS）として保存し直してください。"
        )
    yield from csv.reader(io.StringIO(decode(raw), newline=""))


def _xlsx_rows(raw: bytes, limits: Limits) -> Iterator[list[Any]]:
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError) as error:
        raise FileProblem("Excel（.xlsx）ファイルとして読めませんでした。") from error
    # zipfile never unpacks more of a member than its stated size (a lie fails its CRC), so
    # the stated sizes bound what openpyxl can be made to read.
    unpacked = sum(member.file_size for member in members)
    if len(members) > limits.max_xlsx_members or unpacked > limits.max_xlsx_bytes:
        raise FileProblem(
            "Excelファイルの中身が大きすぎます（展開すると"
            f" {unpacked / 2**20:,.0f}MB、上限 {limits.max_xlsx_bytes / 2**20:,.0f}MB）。"
            "ファイルを分けるか、CSVで保存してください。"
        )
    # read_only streams the sheet instead of building it in memory.
    workbook = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    try:
        sheet = workbook.active
        if sheet is None:
            raise FileProblem("Excelファイルにシートがありません。")
        for row in sheet.iter_rows(values_only=True):
            yield list(row)
    finally:
        workbook.close()


def _trimmed(row: list[Any]) -> list[Any]:
    end = len(row)
    while end and row[end - 1] in (None, ""):
        end -= 1
    return row[:end]


def load(raw: bytes, file_name: str, limits: Limits | None = None) -> tablib.Dataset:
    """The file as a table with its header row; FileProblem if it is not a readable table or
    goes beyond ``limits`` (rows, cells, unpacked size), found while streaming, before it is
    all in memory."""
    limits = limits or Limits.from_settings()
    if not raw.strip():
        raise FileProblem("ファイルが空です。")
    is_excel = raw[:4] == b"PK\x03\x04" or file_name.lower().endswith((".xlsx", ".xlsm"))
    kind = "Excel（.xlsx）" if is_excel else "CSV"
    rows: list[list[Any]] = []
    cells = 0
    try:
        for row in _xlsx_rows(raw, limits) if is_excel else _csv_rows(raw):
            # Counted as read: a sheet whose stated size runs to column XFD makes openpyxl pad
            # every row (even the empty ones it invents for gaps) to 16,384 cells.
            cells += len(row)
            rows.append(_trimmed(row))
            if len(rows) - 1 > limits.max_rows:
                raise FileProblem(
                    f"行数が多すぎます（上限 {limits.max_rows:,}行）。ファイルを分けてください。"
                )
            if cells > limits.max_cells:
                raise FileProblem(
                    f"セルの数が多すぎます（上限 {limits.max_cells:,}個）。"
                    "使わない列を消すか、ファイルを分けてください。"
                )
    except FileProblem:
        raise
    except Exception as error:
        raise FileProblem(f"{kind}ファイルとして読めませんでした。") from error
    while rows and not rows[-1]:
        rows.pop()
    if not rows or not any(value not in (None, "") for value in rows[0]):
        raise FileProblem("1行目に見出し（メールアドレス、出産予定日など）がありません。")
    headers = rows[0]
    width = len(headers)
    dataset = tablib.Dataset(headers=headers)
    for row in rows[1:]:
        # Cells beyond the last heading belong to no column: nothing would read them.
        dataset.append(row[:width] + [""] * (width - len(row)))
    return dataset


@dataclass(frozen=True)
class Columns:
    """Which of the file's columns holds which of our fields."""

    index: dict[str, int]
    ignored: list[str]


def map_headers(headers: list[Any]) -> Columns:
    index: dict[str, int] = {}
    ignored: list[str] = []
    for position, header in enumerate(headers):
        column = _HEADER_LOOKUP.get(_key(header))
        if column and column not in index:
            index[column] = position
        elif str(header or "").strip():
            ignored.append(str(header))
    missing = []
    if "email" not in index and "line_user_id" not in index:
        missing.append("メールアドレスかLINEユーザーID")
    if "due_date" not in index and "birth_date" not in index:
        missing.append("出産予定日か生年月日")
    if "consent_date" not in index:
        missing.append("同意日")
    if missing:
        raise FileProblem(
            f"必要な列が見つかりません: {'、'.join(missing)}。"
            "1行目の見出しを確かめてください（例: メールアドレス, 続柄, ニックネーム, "
            "出産予定日, 生年月日, 同意日, 配信方法）。"
        )
    return Columns(index, ignored)


@dataclass(frozen=True)
class Rules:
    """What the municipality accepts, and what day it is."""

    today: datetime.date
    programme_months: int
    email_enabled: bool
    line_enabled: bool
    grace_days: int = 15


@dataclass
class ParsedRow:
    line: int
    data: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def contact(self) -> str:
        """What identifies the reader: ``line:U…`` or ``email:…``."""
        if self.data.get("channel") == "line":
            return f"line:{self.data.get('line_user_id')}"
        return f"email:{self.data.get('email')}"


def fingerprint(source_key: str, contact: str) -> str:
    return hashlib.sha256(f"{source_key}\n{contact}".encode()).hexdigest()


def source_key(source_name: str) -> str:
    return _key(source_name)[:60]


def _choice(value: Any, choices: dict[str, tuple[str, ...]]) -> str | None:
    text = _key(value)
    for code, words in choices.items():
        if text in {_key(word) for word in words}:
            return code
    return None


_TIME = re.compile(r"[ t]+(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?$")


def parse_date(value: Any) -> datetime.datetime | None:
    """A date (and maybe a time, Asia/Tokyo) from a cell; None when blank; ValueError if bad.

    The date part is read by kizuna.japanese_dates, as on the parents' pages (令和9年3月1日 too).
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=clock.TOKYO)
    if isinstance(value, datetime.date):
        return datetime.datetime.combine(value, datetime.time(), tzinfo=clock.TOKYO)
    text = japanese_dates.normalize(str(value))
    time = _TIME.search(text)
    day = japanese_dates.parse_date(text[: time.start()] if time else text)
    return datetime.datetime(
        day.year,
        day.month,
        day.day,
        int(time["hour"]) if time else 0,
        int(time["minute"]) if time else 0,
        int(time["second"] or 0) if time else 0,
        tzinfo=clock.TOKYO,
    )


LABELS = {"due_date": "出産予定日", "birth_date": "生年月日", "consent_date": "同意日"}


def parse_row(line: int, cells: dict[str, Any], rules: Rules) -> ParsedRow:
    """Check one row's values; every problem becomes a Japanese reason, nothing is guessed."""
    row = ParsedRow(line)
    problems = row.problems

    def text(column: str) -> str:
        value = cells.get(column)
        return "" if value is None else unicodedata.normalize("NFKC", str(value)).strip()

    email = email_addresses.normalize(text("email"))
    if email:
        try:
            email_addresses.validate(email)
        except ValidationError:
            problems.append("メールアドレスの形が正しくありません")
        else:
            if not email_addresses.can_send_to(email):
                problems.append(
                    "メールアドレスが「.」の続く古い携帯の形で、いまのメール配信サービスでは"
                    "送れません（LINEでの受け取りをご案内ください）"
                )
    line_user_id = text("line_user_id")
    if line_user_id and not LINE_USER_ID.match(line_user_id):
        problems.append("LINEユーザーIDの形が正しくありません（Uで始まる33文字）")

    channel = _choice(cells.get("channel"), CHANNELS) if text("channel") else None
    if text("channel") and channel is None:
        problems.append(f"配信方法「{text('channel')[:20]}」が分かりません（メールかLINE）")
    channel = channel or ("line" if line_user_id and not email else "email")
    if channel == "email" and not email:
        problems.append("メールで配信するのにメールアドレスがありません")
    if channel == "line" and not line_user_id:
        problems.append("LINEで配信するのにLINEユーザーIDがありません")
    if channel == "email" and not rules.email_enabled:
        problems.append("この自治体ではメール配信をしていません")
    if channel == "line" and not rules.line_enabled:
        problems.append("この自治体ではLINE配信をしていません")

    relationship = "self"
    if text("relationship"):
        relationship = _choice(cells.get("relationship"), RELATIONSHIPS) or ""
        if not relationship:
            problems.append(f"続柄「{text('relationship')[:20]}」が分かりません")
    nickname = unquote(text("nickname"))
    if len(nickname) > MAX_NICKNAME:
        problems.append(f"ニックネームが{MAX_NICKNAME}文字を超えています")
    language = _choice(cells.get("language"), LANGUAGES) if text("language") else "ja"
    if language is None:
        problems.append(f"言語「{text('language')[:20]}」が分かりません（日本語か英語）")

    dates: dict[str, datetime.datetime | None] = {}
    for column in ("due_date", "birth_date", "consent_date"):
        try:
            dates[column] = parse_date(cells.get(column))
        except (ValueError, OverflowError):
            dates[column] = None
            problems.append(f"{LABELS[column]}「{text(column)[:20]}」を日付として読めません")
    due = dates["due_date"].date() if dates["due_date"] else None
    birth = dates["birth_date"].date() if dates["birth_date"] else None
    consent = dates["consent_date"]
    unreadable = {p.split("「")[0] for p in problems if "日付として読めません" in p}
    months = rules.programme_months
    if not due and not birth and not unreadable & {"出産予定日", "生年月日"}:
        problems.append("出産予定日か生年月日のどちらかが必要です")
    if birth:
        if birth > rules.today:
            problems.append("生年月日が未来の日付です")
        elif add_months(birth, months) < rules.today:
            problems.append(f"生年月日から配信期間（生後{months}か月まで）を過ぎています")
    elif due:
        if due > rules.today + datetime.timedelta(days=300):
            problems.append("出産予定日が先すぎます（今日から300日以内）")
        elif add_months(due, months) < rules.today:
            problems.append(f"出産予定日から配信期間（生後{months}か月まで）を過ぎています")
    if consent is None and "同意日" not in unreadable:
        problems.append("同意日がありません（同意の記録がない方は取り込めません）")
    elif consent is not None and consent.date() > rules.today:
        problems.append("同意日が未来の日付です")

    row.data = {
        "email": email or None,
        "line_user_id": line_user_id or None,
        "channel": channel,
        "relationship": relationship,
        "nickname": nickname[:MAX_NICKNAME],
        "language": language or "ja",
        "due_date": due.isoformat() if due else None,
        "birth_date": birth.isoformat() if birth else None,
        "consent_at": consent.isoformat() if consent else None,
        "family_key": text("family_key")[:100],
    }
    return row


def cells_of(values: tuple | list, columns: Columns) -> dict[str, Any]:
    return {
        name: values[position] if position < len(values) else None
        for name, position in columns.index.items()
    }


def mask(contact: str) -> str:
    """Enough of an address or LINE id for staff to find the row in their own file."""
    kind, _, value = contact.partition(":")
    if not value or value == "None":
        return ""
    if kind == "line":
        return f"{value[:5]}…{value[-3:]}"
    local, _, domain = value.partition("@")
    return f"{local[:2]}{'*' * max(len(local) - 2, 1)}@{domain}"
