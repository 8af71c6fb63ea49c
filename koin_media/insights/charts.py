"""Charts drawn on the server as SVG: the geometry of stacked bars, lines and ranked bars, and
the table of numbers behind each (shown under the chart and exported as CSV). No script: the
picture is in the page, scales with its ``viewBox`` and works on a phone as on a desktop.

Geometry only; words and colours are the template's (templates/insights/_chart.html) and the
stylesheet's (static/css/insights.css: a colour per series class ``s0`` … ``s5``, ``rest``)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

# The drawing's own units: the SVG scales to its box, these fix the proportions and the text
# size relative to it (14 units read as ~10 px on a 390 px phone, ~14 px on a desktop column).
WIDTH = 480
HEIGHT = 240
LEFT, RIGHT, TOP, BOTTOM = 48, 8, 12, 28
# A stacked chart shows this many series in colour; the others share one grey "others" bar
# (the table and the CSV keep every series apart).
MAX_SERIES = 6
REST = "rest"
MAX_AXIS_LABELS = 6
RANK_ROW = 42  # height of one ranked bar with its name above it
RANK_NAME_CHARS = 46


def nice_step(largest: float, ticks: int = 4) -> float:
    """A round step (1, 2 or 5 × 10^k, at least 1) so that ``ticks`` steps reach ``largest``."""
    raw = max(largest / ticks, 1)
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return factor * power
    return 10 * power  # not reached: factor 10 always covers raw


@dataclass
class Tick:
    text: str
    y: float


@dataclass
class Segment:
    css: str  # the series' class: its colour
    x: float
    y: float
    width: float
    height: float
    label: str  # what a tooltip says: series, month and number


@dataclass
class AxisLabel:
    x: float
    text: str


@dataclass
class Plot:
    """What the template draws: the axis, its ticks, the bars or the line."""

    kind: str  # "bars", "line" or "ranking"
    height: float
    ticks: list[Tick] = field(default_factory=list)
    labels: list[AxisLabel] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    lines: list[list[tuple[float, float]]] = field(default_factory=list)  # runs of points without gaps
    points: list[tuple[float, float, str]] = field(default_factory=list)
    names: list[tuple[float, str]] = field(default_factory=list)  # ranking: y and name
    values: list[tuple[float, float, str]] = field(default_factory=list)  # ranking: x, y and number
    base_y: float = HEIGHT - BOTTOM
    left: float = LEFT
    right: float = WIDTH - RIGHT


def _axis(largest: float, fmt, *, percent: bool = False) -> tuple[float, list[Tick]]:
    """The top of the scale and its ticks; a percent scale runs from 0 to 1 (100 %)."""
    if percent:
        return 1.0, [Tick(f"{v}%", HEIGHT - BOTTOM - (HEIGHT - TOP - BOTTOM) * v / 100) for v in (0, 25, 50, 75, 100)]
    step = nice_step(largest)
    top = step * max(math.ceil(largest / step), 1)
    inner = HEIGHT - TOP - BOTTOM
    return top, [Tick(fmt(int(v * step)), HEIGHT - BOTTOM - inner * v * step / top) for v in range(int(top / step) + 1)]


def _month_labels(month_labels: list[str], band: float) -> list[AxisLabel]:
    every = max(math.ceil(len(month_labels) / MAX_AXIS_LABELS), 1)
    return [AxisLabel(x=LEFT + band * (i + 0.5), text=text) for i, text in enumerate(month_labels) if i % every == 0]


def stacked_bars(month_labels: list[str], series: list[tuple[str, str, list[int]]], fmt=str) -> Plot:
    """Bars per month stacked from ``series`` (css class, name, a count per month), the first
    at the bottom. ``fmt`` writes a number for a tooltip."""
    totals = [sum(values) for values in zip(*(s[2] for s in series), strict=True)] if series else []
    top, ticks = _axis(max(totals, default=0), fmt)
    band = (WIDTH - LEFT - RIGHT) / max(len(month_labels), 1)
    inner = HEIGHT - TOP - BOTTOM
    plot = Plot(kind="bars", height=HEIGHT, ticks=ticks, labels=_month_labels(month_labels, band))
    for month, label in enumerate(month_labels):
        y = HEIGHT - BOTTOM
        for css, name, values in series:
            if not values[month]:
                continue
            height = inner * values[month] / top
            y -= height
            x = LEFT + band * (month + 0.15)
            plot.segments.append(Segment(css, x, y, band * 0.7, height, f"{name}, {label}: {fmt(values[month])}"))
    return plot


def line(month_labels: list[str], values: list[float | None], fmt=str, *, percent: bool = False, axis_fmt=str) -> Plot:
    """A line through the months; a month without a value (None) breaks it. ``percent``:
    the values are shares (0 to 1) on a scale of 0 to 100 %."""
    known = [v for v in values if v is not None]
    top, ticks = _axis(max(known, default=0), axis_fmt, percent=percent)
    band = (WIDTH - LEFT - RIGHT) / max(len(month_labels), 1)
    inner = HEIGHT - TOP - BOTTOM
    plot = Plot(kind="line", height=HEIGHT, ticks=ticks, labels=_month_labels(month_labels, band))
    run: list[tuple[float, float]] = []
    for month, (label, value) in enumerate(zip(month_labels, values, strict=True)):
        if value is None:
            if run:
                plot.lines.append(run)
            run = []
            continue
        point = (LEFT + band * (month + 0.5), HEIGHT - BOTTOM - inner * value / top)
        run.append(point)
        plot.points.append((*point, f"{label}: {fmt(value)}"))
    if run:
        plot.lines.append(run)
    return plot


def ranking(rows: list[tuple[str, int]], fmt=str) -> Plot:
    """Horizontal bars, largest first: the name above its bar, the number after it."""
    largest = max((n for _name, n in rows), default=0) or 1
    room = WIDTH - 8 - 60  # the number needs room to the right of the longest bar
    plot = Plot(kind="ranking", height=max(len(rows), 1) * RANK_ROW + 4)
    for i, (name, count) in enumerate(rows):
        top = i * RANK_ROW
        short = name if len(name) <= RANK_NAME_CHARS else name[: RANK_NAME_CHARS - 1] + "…"
        plot.names.append((top + 16, short))
        width = max(room * count / largest, 1)
        plot.segments.append(Segment("s0", 8, top + 22, width, 14, f"{name}: {fmt(count)}"))
        plot.values.append((8 + width + 6, top + 34, fmt(count)))
    return plot


def colour_series(table_keys: list, names: dict, values: dict, others_label: str) -> list[tuple[str, str, list[int]]]:
    """The series a stacked chart draws: the ``MAX_SERIES`` largest in their own colour, the
    rest added up into one grey series."""
    shown = table_keys[:MAX_SERIES]
    series = [(f"s{i}", str(names[key]), values[key]) for i, key in enumerate(shown)]
    rest = [key for key in table_keys if key not in shown]
    if rest:
        summed = [sum(column) for column in zip(*(values[key] for key in rest), strict=True)]
        series.append((REST, others_label, summed))
    return series
