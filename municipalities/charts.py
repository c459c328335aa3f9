"""Geometry for the overview's server-rendered SVG charts (no JavaScript on staff pages)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    label: str
    count: int


@dataclass(frozen=True)
class HorizontalBar:
    label: str
    count: int
    width: int  # of BAR_WIDTH


@dataclass(frozen=True)
class Column:
    label: str
    count: int
    x: int
    y: int
    width: int
    height: int
    centre: int


BAR_WIDTH = 300
COLUMN_CHART = {"width": 720, "height": 210, "plot_top": 24, "plot_bottom": 170}


def horizontal_bars(bars: Sequence[Bar], *, largest: int | None = None) -> list[HorizontalBar]:
    """Bars scaled to the largest count (a 1-unit sliver for non-zero counts stays visible)."""
    largest = max([largest or 0, *(bar.count for bar in bars), 1])
    return [
        HorizontalBar(
            bar.label,
            bar.count,
            max(round(BAR_WIDTH * bar.count / largest), 2 if bar.count else 0),
        )
        for bar in bars
    ]


def columns(bars: Sequence[Bar]) -> list[Column]:
    """Vertical columns across COLUMN_CHART's width, scaled to the largest count."""
    if not bars:
        return []
    slot = COLUMN_CHART["width"] // len(bars)
    plot = COLUMN_CHART["plot_bottom"] - COLUMN_CHART["plot_top"]
    largest = max([bar.count for bar in bars] + [1])
    result = []
    for index, bar in enumerate(bars):
        height = max(round(plot * bar.count / largest), 2 if bar.count else 0)
        x = index * slot + slot // 5
        result.append(
            Column(
                bar.label,
                bar.count,
                x=x,
                y=COLUMN_CHART["plot_bottom"] - height,
                width=slot * 3 // 5,
                height=height,
                centre=index * slot + slot // 2,
            )
        )
    return result
