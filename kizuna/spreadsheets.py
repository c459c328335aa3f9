"""The one writer of every CSV and Excel file the product hands out.

CSV opens correctly in Excel (UTF-8 with a BOM, CRLF line endings) and .xlsx is written with
openpyxl. In both, no cell can become a live formula: text that staff or parents wrote (a
nickname, a survey answer, a reason) reaches a staff computer, where ``=HYPERLINK(…)``,
``+cmd|' /C calc'!A0`` or ``@SUM(…)`` would otherwise run (CSV injection, OWASP). A text cell a
spreadsheet would read as a formula (=, +, -, @, a tab or a line break first, full-width ＝＋－＠
included, after any leading spaces) gets an apostrophe in CSV; in .xlsx it is stored as a string
with Excel's "quote prefix", so it shows as typed and stays text even when edited. Numbers and
dates are written as numbers and dates.
"""

from __future__ import annotations

import csv
import datetime
import io
import unicodedata
from collections.abc import Iterable
from enum import StrEnum

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

BOM = "\ufeff"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Format(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"

    @classmethod
    def from_request(cls, value: str | None) -> Format:
        """``?format=xlsx`` asks for Excel; anything else is CSV."""
        return cls.XLSX if (value or "").strip().lower() == cls.XLSX else cls.CSV


def is_formula_like(text: str) -> bool:
    """Would a spreadsheet read this text as a formula (or a DDE call)?"""
    if text.startswith(_FORMULA_STARTS):
        return True
    # Spreadsheets skip leading spaces, and Japanese input gives full-width ＝＋－＠ (NFKC: =+-@).
    stripped = text.lstrip(" \u3000")
    return unicodedata.normalize("NFKC", stripped[:1]).startswith(_FORMULA_STARTS)


def neutralise(value) -> str:
    """A CSV cell: text as it is, unless it would run as a formula; then with an apostrophe."""
    text = "" if value is None else str(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return text  # a count or a percentage (negative ones too) stays a number
    return "'" + text if is_formula_like(text) else text


def unquote(text: str) -> str:
    """The value :func:`neutralise` was given, for files of ours read back in (imports)."""
    if text.startswith("'") and is_formula_like(text[1:]):
        return text[1:]
    return text


def excel_csv(rows: Iterable[Iterable]) -> str:
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([neutralise(value) for value in row])
    return buffer.getvalue()


def excel_xlsx(rows: Iterable[Iterable], *, sheet_title: str = "Sheet1") -> bytes:
    """The same rows as an .xlsx workbook of one sheet; no cell is a formula."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title[:31])
    for row in rows:
        cells = []
        for value in row:
            if value is None or isinstance(value, bool):
                value = "" if value is None else str(value)
            if isinstance(value, int | float | datetime.date):
                cells.append(value)
                continue
            cell = WriteOnlyCell(sheet)
            # Assigning a str that starts with "=" would make openpyxl store a formula: set the
            # string type explicitly, and Excel's quote prefix so editing keeps it text.
            cell.value = str(value)
            cell.data_type = "s"
            if is_formula_like(cell.value):
                cell.quotePrefix = True
            cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def table_download(
    rows: Iterable[Iterable], basename: str, fmt: Format = Format.CSV
) -> HttpResponse:
    """A CSV or .xlsx attachment of ``rows``, named ``basename.csv`` or ``basename.xlsx``."""
    if fmt == Format.XLSX:
        return _attachment(excel_xlsx(rows), XLSX_CONTENT_TYPE, f"{basename}.xlsx")
    return csv_download(excel_csv(rows), f"{basename}.csv")


def csv_download(body: str, filename: str) -> HttpResponse:
    return _attachment(body.encode("utf-8"), "text/csv; charset=utf-8", filename)


def _attachment(body: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response  # never cached: kizuna.caching
