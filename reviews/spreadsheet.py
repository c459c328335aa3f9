"""Review decisions on paper: the queue as an Excel sheet, and the sheet read back in.

A row is refused on its own when the text changed after the export (its version no longer
current, or the hash in the row differs): the reviewer read another text than the one that
would be approved.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import Any

import openpyxl

from kizuna.spreadsheets import excel_xlsx, unquote

from .models import TextVersion
from .services import ReviewError, add_comment, decide

HEADER = [
    "ID",
    "版",
    "段階",
    "対象",
    "言語",
    "件名",
    "本文",
    "状態",
    "判定（承認／修正依頼）",
    "コメント",
]
VERDICTS = {"承認": True, "修正依頼": False}
MAX_UPLOAD_BYTES = 5 * 2**20
MAX_UNPACKED_BYTES = 50 * 2**20


def export(versions: list[TextVersion]) -> bytes:
    rows: list[list[Any]] = [HEADER]
    for version in versions:
        rows.append(
            [
                version.pk,
                version.content_hash,
                version.stage_label,
                version.audience,
                version.language,
                version.subject,
                version.body,
                version.get_state_display(),
                "",
                "",
            ]
        )
    return excel_xlsx(rows, sheet_title="監修")


@dataclass(frozen=True)
class RowOutcome:
    row: int
    version_id: str
    ok: bool
    message: str


class SheetProblem(Exception):
    """The file as a whole cannot be read; nothing was recorded."""


def _rows(raw: bytes) -> list[list[Any]]:
    if len(raw) > MAX_UPLOAD_BYTES:
        raise SheetProblem("ファイルが大きすぎます（上限5MB）。")
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            if sum(member.file_size for member in archive.infolist()) > MAX_UNPACKED_BYTES:
                raise SheetProblem("Excelファイルの中身が大きすぎます。")
        workbook = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise SheetProblem("Excelファイル（.xlsx）として読めませんでした。") from error
    try:
        sheet = workbook.active
        if sheet is None:
            raise SheetProblem("Excelファイルにシートがありません。")
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def _cell(row: list[Any], index: int) -> str:
    value = row[index] if index < len(row) else None
    return unquote(str(value).strip()) if value is not None else ""


def import_decisions(raw: bytes, *, user: Any) -> list[RowOutcome]:
    """Record each row's decision and comment; every row answers for itself."""
    rows = _rows(raw)
    if not rows or [_cell(rows[0], i) for i in range(2)] != HEADER[:2]:
        raise SheetProblem(
            "監修シートの見出し（ID・版…）がありません。書き出したシートを使ってください。"
        )
    outcomes = []
    for number, row in enumerate(rows[1:], start=2):
        version_id, content_hash = _cell(row, 0), _cell(row, 1)
        verdict, comment = _cell(row, 8), _cell(row, 9)
        if not version_id or (not verdict and not comment):
            continue
        outcomes.append(_import_row(number, version_id, content_hash, verdict, comment, user))
    return outcomes


def _import_row(
    number: int, version_id: str, content_hash: str, verdict: str, comment: str, user: Any
) -> RowOutcome:
    def refused(message: str) -> RowOutcome:
        return RowOutcome(number, version_id, False, message)

    version = (
        TextVersion.objects.filter(pk=int(version_id)).first() if version_id.isdigit() else None
    )
    if version is None:
        return refused("この版は見つかりません。")
    if not version.current or version.content_hash != content_hash:
        return refused(
            "書き出した後に本文が変わったため、取り込みませんでした。新しい版を読み直してください。"
        )
    if verdict and verdict not in VERDICTS:
        return refused("判定は「承認」か「修正依頼」と書いてください。")
    try:
        if verdict:
            decide(
                version,
                user=user,
                approve=VERDICTS[verdict],
                comment=comment,
                content_hash=content_hash,
            )
            return RowOutcome(number, version_id, True, f"{verdict}を記録しました。")
        add_comment(version, user=user, body=comment)
        return RowOutcome(number, version_id, True, "コメントを記録しました。")
    except ReviewError as error:
        return refused(str(error))
