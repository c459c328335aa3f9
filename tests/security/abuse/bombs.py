"""Hostile upload files, generated: .xlsx zip bombs, a NUL byte, more rows than allowed."""

from __future__ import annotations

import io
import zipfile

import openpyxl

HEADER = ["メールアドレス", "続柄", "出産予定日", "同意日"]


def _workbook_with_sheet(sheet_xml_parts, *, stated_size: int | None = None) -> bytes:
    """A real .xlsx (from openpyxl) whose first sheet is replaced by ``sheet_xml_parts``,
    compressed as hard as zip can."""
    template = io.BytesIO()
    book = openpyxl.Workbook()
    book.active.append(HEADER)
    book.save(template)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(template) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bomb,
    ):
        for member in source.infolist():
            if member.filename == "xl/worksheets/sheet1.xml":
                with bomb.open(member.filename, "w", force_zip64=True) as sheet:
                    for part in sheet_xml_parts:
                        sheet.write(part)
            else:
                bomb.writestr(member, source.read(member))
    return out.getvalue()


_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)
_HEADER_ROW = (
    b'<row r="1">'
    + b"".join(f'<c t="inlineStr"><is><t>{h}</t></is></c>'.encode() for h in HEADER)
    + b"</row>"
)


def xlsx_unpacking_to(megabytes: int) -> bytes:
    """A few hundred KB that unpack to ``megabytes`` MB of one repeated cell: the bomb that took
    a worker to 2.4 GB."""
    cell = b'<c t="inlineStr"><is><t>x</t></is></c>'
    row = b"<row>" + cell * 2000 + b"</row>"
    count = megabytes * 1_000_000 // len(row)

    def parts():
        yield _HEAD + b"<sheetData>" + _HEADER_ROW
        for _ in range(count):
            yield row
        yield b"</sheetData></worksheet>"

    return _workbook_with_sheet(parts())


def xlsx_with_stated_size(ref: str = "A1:XFD1048576") -> bytes:
    """A small sheet that says it spans the whole grid: openpyxl pads every row (and every gap
    up to the last row) to 16,384 cells."""

    def parts():
        yield _HEAD + f'<dimension ref="{ref}"/>'.encode() + b"<sheetData>" + _HEADER_ROW
        yield b'<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row>'
        yield b"</sheetData></worksheet>"

    return _workbook_with_sheet(parts())


def xlsx_wide_rows(rows: int, cells_per_row: int) -> bytes:
    """Under the unpacked limit, but more cells than any readers file has."""
    cell = b'<c t="inlineStr"><is><t>y</t></is></c>'
    row = b"<row>" + cell * cells_per_row + b"</row>"

    def parts():
        yield _HEAD + b"<sheetData>" + _HEADER_ROW
        for _ in range(rows):
            yield row
        yield b"</sheetData></worksheet>"

    return _workbook_with_sheet(parts())


def csv_with_nul() -> bytes:
    return "メールアドレス,続柄,出産予定日,同意日\r\na@example.jp,本人,2027/4/1,2026/4/1\x00\r\n".encode()


def csv_rows(count: int) -> bytes:
    lines = ["メールアドレス,続柄,出産予定日,同意日"]
    lines += [f"r{n}@example.jp,本人,2027/4/1,2026/4/1" for n in range(count)]
    return ("\r\n".join(lines) + "\r\n").encode()
