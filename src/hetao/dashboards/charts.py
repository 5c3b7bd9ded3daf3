"""A chart's figures, as the service computes them, and the shapes that draw it as SVG.

Pure: no database, no language. The service fills a ``Chart`` with codes and numbers; the
views name the codes in the page's language and ``plot`` lays out bars, lines, axes and legend
in SVG user units, for a template to write out (no script draws anything in the browser).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

Number = int | Decimal
Kind = Literal["stacked", "grouped", "line"]
Unit = Literal["count", "percent", "minutes", "money"]


@dataclass(frozen=True, slots=True)
class Series:
    """One column of a chart's table: a value per category; ``drawn`` ones are plotted."""

    key: str
    values: tuple[Number, ...]
    drawn: bool = True


@dataclass(frozen=True, slots=True)
class Chart:
    """A chart's figures: categories along the axis, series of values over them."""

    key: str
    kind: Kind
    unit: Unit
    #: What the categories are (hour, day, month, point, lane, rule, section, industry, ...).
    axis: str
    categories: tuple[str, ...]
    series: tuple[Series, ...]
    #: The key prefix naming the series (``label(prefix, key)``).
    series_labels: str

    def value(self, series: str, category: str) -> Number:
        """The value of one cell of the table."""
        column = next(s for s in self.series if s.key == series)
        return column.values[self.categories.index(category)]


# --- drawing ------------------------------------------------------------------------------------

WIDTH = 640
HEIGHT = 300
LEFT, RIGHT, TOP, BOTTOM = 64, 12, 12, 78
TICKS = 5
#: An axis label longer than this is cut (the table beside the chart has it whole).
LABEL_CHARS = 14


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    series: int
    title: str


@dataclass(frozen=True, slots=True)
class Point:
    x: float
    y: float
    title: str


@dataclass(frozen=True, slots=True)
class Line:
    series: int
    points: tuple[Point, ...]

    @property
    def path(self) -> str:
        """The ``points`` attribute of a polyline."""
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


@dataclass(frozen=True, slots=True)
class Tick:
    position: float
    text: str


@dataclass(frozen=True, slots=True)
class Plot:
    """What a template draws: plot area, bars or lines, both axes' ticks and the legend."""

    width: int
    height: int
    left: float
    top: float
    right: float
    bottom: float
    bars: tuple[Bar, ...]
    lines: tuple[Line, ...]
    y_ticks: tuple[Tick, ...]
    x_ticks: tuple[Tick, ...]
    legend: tuple[tuple[int, str], ...]
    x_label: str
    y_label: str


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 times a power of ten that is at least ``value`` (1 for 0)."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value:
            return float(step * power)
    return 10 * power  # pragma: no cover - the loop always returns


def short(text: str) -> str:
    """An axis label cut to fit under its bar."""
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def plot(
    chart: Chart,
    *,
    categories: Sequence[str],
    series: Sequence[str],
    ticks: Sequence[str] | None = None,
    number: Callable[[Number], str],
    x_label: str,
    y_label: str,
) -> Plot:
    """Lay out ``chart`` with its category and series names (``ticks``: shorter names under the
    axis) and a way to write a number."""
    drawn = [(index, s) for index, s in enumerate(chart.series) if s.drawn]
    right, bottom = WIDTH - RIGHT, HEIGHT - BOTTOM
    span_x, span_y = right - LEFT, bottom - TOP
    count = max(1, len(chart.categories))
    if chart.kind == "stacked":
        peak = max(
            (sum(float(s.values[i]) for _, s in drawn) for i in range(len(chart.categories))),
            default=0.0,
        )
    else:
        peak = max((float(v) for _, s in drawn for v in s.values), default=0.0)
    top_value = 100.0 if chart.unit == "percent" else nice_ceiling(peak)
    if chart.unit == "count":
        # Whole ticks: a count axis tops at a multiple of the tick count (5, 10, 20, 25, ...).
        top_value = max(top_value, float(TICKS))

    def y_of(value: float) -> float:
        return bottom - span_y * value / top_value

    slot = span_x / count
    bars: list[Bar] = []
    lines: list[Line] = []
    for i, category in enumerate(chart.categories):
        base = 0.0
        for position, (index, column) in enumerate(drawn):
            value = float(column.values[i])
            title = f"{categories[i]} · {series[index]}: {number(column.values[i])}"
            if chart.kind == "stacked":
                if value:
                    bars.append(
                        Bar(
                            LEFT + slot * (i + 0.15),
                            y_of(base + value),
                            slot * 0.7,
                            y_of(base) - y_of(base + value),
                            index,
                            title,
                        )
                    )
                base += value
            elif chart.kind == "grouped":
                width = slot * 0.8 / max(1, len(drawn))
                bars.append(
                    Bar(
                        LEFT + slot * (i + 0.1) + width * position,
                        y_of(value),
                        width,
                        bottom - y_of(value),
                        index,
                        title,
                    )
                )
        del category
    if chart.kind == "line":
        for index, column in drawn:
            lines.append(
                Line(
                    index,
                    tuple(
                        Point(
                            LEFT + slot * (i + 0.5),
                            y_of(float(column.values[i])),
                            f"{categories[i]} · {series[index]}: {number(column.values[i])}",
                        )
                        for i in range(len(chart.categories))
                    ),
                )
            )
    y_ticks = tuple(
        Tick(y_of(top_value * k / TICKS), number(_tick_value(top_value * k / TICKS)))
        for k in range(TICKS + 1)
    )
    # A label every few categories when they are many (24 hours, 30 days).
    every = max(1, math.ceil(count / 12))
    x_ticks = tuple(
        Tick(LEFT + slot * (i + 0.5), short((ticks or categories)[i]))
        for i in range(len(chart.categories))
        if i % every == 0
    )
    return Plot(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        top=TOP,
        right=right,
        bottom=bottom,
        bars=tuple(bars),
        lines=tuple(lines),
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        legend=tuple((index, series[index]) for index, _ in drawn),
        x_label=x_label,
        y_label=y_label,
    )


def _tick_value(value: float) -> Number:
    """A tick's value as the table writes numbers: whole when it is, else to two places."""
    if value == int(value):
        return int(value)
    return Decimal(str(round(value, 2)))
