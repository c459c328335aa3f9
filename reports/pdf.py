"""The yearly report and the procurement papers as A4 PDFs (fpdf2, the flyer's Japanese font)."""

from __future__ import annotations

from fpdf import FPDF
from fpdf.fonts import FontFace

from kizuna.fonts import FontUnavailable, add_japanese_fonts

from .cells import Cell
from .yearly import SMALL_COUNT_NOTE, Report, Table

INK = (51, 51, 51)
ACCENT = (214, 92, 122)
SOFT = (253, 239, 243)
BAR = (214, 92, 122)


FontMissing = FontUnavailable  # the views answer it with the message saying what to install


def _document(title: str, author: str) -> FPDF:
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_title(title)
    pdf.set_author(author)
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, margin=15)
    add_japanese_fonts(pdf)
    pdf.set_text_color(*INK)
    pdf.add_page()
    return pdf


def _heading(pdf: FPDF, text: str, size: float = 13) -> None:
    if pdf.get_y() > pdf.h - 50:
        pdf.add_page()
    pdf.ln(3)
    pdf.set_font("jp", "B", size)
    pdf.set_text_color(*ACCENT)
    pdf.multi_cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*INK)


def _paragraph(pdf: FPDF, text: str, size: float = 10.5) -> None:
    pdf.set_font("jp", "", size)
    pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")


def _table(pdf: FPDF, columns: list[str], rows: list[list[str]], widths=None) -> None:
    pdf.set_font("jp", "", 8.5)
    pdf.set_fill_color(255, 255, 255)
    headings = FontFace(emphasis="BOLD", fill_color=SOFT)
    with pdf.table(
        col_widths=widths,
        headings_style=headings,
        line_height=5.5,
        text_align="LEFT",
        borders_layout="HORIZONTAL_LINES",
    ) as table:
        table.row([c or " " for c in columns])
        for values in rows:
            table.row([v or " " for v in values])
    pdf.ln(2)


def _bars(pdf: FPDF, bars: list[tuple[str, int]]) -> None:
    """Horizontal bars scaled to the largest value: simple enough to read in black and white."""
    if len(bars) < 2:
        return
    largest = max(value for _, value in bars) or 1
    label_width, bar_width = 45, pdf.w - pdf.l_margin - pdf.r_margin - 45 - 25
    pdf.set_font("jp", "", 8.5)
    for label, value in bars:
        y = pdf.get_y()
        pdf.set_xy(pdf.l_margin, y)
        pdf.cell(label_width, 5, label)
        pdf.set_fill_color(*BAR)
        length = max(bar_width * value / largest, 0.8 if value else 0)
        pdf.rect(pdf.l_margin + label_width, y + 1, length, 3.2, style="F")
        pdf.set_xy(pdf.l_margin + label_width + length + 2, y)
        pdf.cell(25, 5, f"{value:,}")
        pdf.ln(5.5)
    pdf.ln(2)


def _cells(cells: list[Cell]) -> list[str]:
    return [str(cell) for cell in cells]


def write_table(pdf: FPDF, table: Table) -> None:
    _heading(pdf, table.title, 11.5)
    _bars(pdf, table.bars)
    first = 55 if len(table.columns) > 4 else 80
    rest = (pdf.epw - first) / max(len(table.columns) - 1, 1)
    widths = (first, *([rest] * (len(table.columns) - 1)))
    _table(pdf, table.columns, [[row.label, *_cells(row.cells)] for row in table.rows], widths)
    if table.note:
        pdf.set_font("jp", "", 8)
        pdf.multi_cell(0, 4.5, "※" + table.note, new_x="LMARGIN", new_y="NEXT")


def report_pdf(report: Report) -> bytes:
    m = report.municipality
    pdf = _document(report.title, m.sender_name)
    pdf.set_font("jp", "B", 18)
    pdf.multi_cell(0, 10, report.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("jp", "", 10)
    pdf.multi_cell(
        0,
        6,
        f"{m.service_name}／{report.year_label}（4月1日〜3月31日）／"
        f"作成日 {report.generated_on:%Y年%m月%d日}",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    _heading(pdf, "この年度のまとめ")
    for sentence in report.sentences:
        _paragraph(pdf, "・" + sentence)
    for table in report.tables:
        write_table(pdf, table)
    pdf.ln(2)
    _paragraph(pdf, "※" + SMALL_COUNT_NOTE, 8)
    return bytes(pdf.output())


def papers_pdf(title: str, author: str, sections: list[tuple[str, str, Table]]) -> bytes:
    """The procurement papers: (heading, introduction, table) one after another."""
    pdf = _document(title, author)
    pdf.set_font("jp", "B", 16)
    pdf.multi_cell(0, 9, title, new_x="LMARGIN", new_y="NEXT")
    for heading, intro, table in sections:
        _heading(pdf, heading)
        if intro:
            _paragraph(pdf, intro, 9.5)
        rest = (pdf.epw - 35) / max(len(table.columns) - 1, 1)
        widths = (35, *([rest] * (len(table.columns) - 1)))
        _table(pdf, table.columns, [[row.label, *_cells(row.cells)] for row in table.rows], widths)
        if table.note:
            _paragraph(pdf, "※" + table.note, 8)
    return bytes(pdf.output())
