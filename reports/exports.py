"""The yearly report as Excel: the sentences, then every table, on one sheet (kizuna.spreadsheets)."""

from __future__ import annotations

from collections.abc import Iterator

from .yearly import SMALL_COUNT_NOTE, Report


def report_rows(report: Report) -> Iterator[list[object]]:
    yield [report.title]
    yield [f"{report.municipality.service_name}／{report.year_label}"]
    yield [f"作成日 {report.generated_on:%Y年%m月%d日}"]
    yield []
    yield ["この年度のまとめ"]
    for sentence in report.sentences:
        yield [sentence]
    for table in report.tables:
        yield []
        yield [table.title]
        yield list(table.columns)
        for row in table.rows:
            yield [row.label, *(cell.value for cell in row.cells)]
        if table.note:
            yield ["※" + table.note]
    yield []
    yield ["※" + SMALL_COUNT_NOTE]
