"""Sections other apps add to the yearly report (事業報告), registered from their ``ready()``.

It lives in kizuna's core so that any app (a feature app such as follow-up cases) can register
a section without importing ``reports``, which sits above the feature apps. A section gives
counts only; ``reports`` applies the small-count rule (any count under 10 as 「10未満」) and lays
the table out in the page, the PDF and the Excel file, this year beside the previous one.

    register_section(ReportSection(
        key="followups", title="フォローアップ", order=80,
        build=lambda municipality_id, fiscal_year: SectionCounts(
            rows=[("開始したケース", opened), ("終了したケース", closed)]),
    ))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class SectionCounts:
    """One fiscal year's counts of a section: (row label, count), in the order shown."""

    rows: list[tuple[str, int]]
    note: str = ""
    # One plain sentence a council answer can quote, e.g. 「令和7年度は12件のケースを…」;
    # counts written in it are the section's own responsibility (keep them 10 or more).
    sentence: str = ""


@dataclass(frozen=True)
class ReportSection:
    key: str
    title: str
    build: Callable[[int, int], SectionCounts]  # (municipality id, fiscal year) → counts
    order: int = 100


SECTIONS: dict[str, ReportSection] = {}


def register_section(section: ReportSection) -> None:
    """Add a section to every municipality's yearly report (idempotent by key)."""
    SECTIONS[section.key] = section


def registered_sections() -> list[ReportSection]:
    return sorted(SECTIONS.values(), key=lambda section: (section.order, section.key))
