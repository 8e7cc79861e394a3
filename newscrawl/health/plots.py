"""Small SVG charts for the health page (``newscrawl health --html``), written as text: lines
over runs and stacked bars, with a y axis, labels, a legend and a tooltip on every point.

No script and no dependency: the browser draws the SVG itself, so the page can be mailed,
archived and opened offline. Every label is escaped here, since names come from the archive
(a section is whatever the site printed).

Each chart is an ``<svg class="plot" data-plot="...">``; each series a ``<g class="series"
data-series="...">`` holding one ``circle.point`` (lines) or ``rect.bar`` (bars) per value
drawn, so what a chart shows can be counted by a test or a script.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

#: Okabe and Ito's colour-blind-safe colours first, then Tableau's; more series repeat them.
PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#8c564b",
           "#7f7f7f", "#bcbd22", "#17becf", "#9467bd", "#e377c2")
FONT = 'font-family="system-ui, sans-serif" font-size="11"'
LEGEND_COLUMN = 170  # pixels per legend entry
LEGEND_ROW = 16
MAX_X_LABELS = 12
MAX_BAR = 48  # pixels: a few runs or days are not drawn as slabs


@dataclass
class Series:
    """One line or one layer of bars: a value per x position, None where nothing was
    measured (drawn as a gap)."""

    name: str
    values: Sequence[float | None]
    colour: str = ""


@dataclass
class Frame:
    """Where the plotting area sits in the SVG, and the y scale."""

    width: int
    height: int
    y_max: float = 1.0
    # The margins around the plotting area (the axis labels' room), the same for every plot.
    left, right, top, bottom = 48, 12, 10, 24

    @property
    def inner_width(self) -> float:
        return self.width - self.left - self.right

    def y(self, value: float) -> float:
        inner = self.height - self.top - self.bottom
        return self.top + inner * (1 - min(max(value / self.y_max, 0.0), 1.0))

    def x(self, index: int, count: int) -> float:
        """The centre of position ``index`` of ``count`` (one band each)."""
        return self.left + self.inner_width * (index + 0.5) / max(count, 1)


def nice_scale(peak: float) -> tuple[float, float]:
    """The top of a y axis at or above ``peak`` and its tick step: 1, 2 or 5 times a power
    of ten, about four ticks."""
    if peak <= 0:
        return 1.0, 0.25
    raw = peak / 4
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return step * math.ceil(peak / step - 1e-9), step


def _number(value: float, percent: bool) -> str:
    if percent:
        return f"{value:.0%}"
    return f"{value:g}" if value != int(value) else f"{int(value)}"


def _coloured(series: Sequence[Series]) -> list[Series]:
    return [Series(s.name, s.values, s.colour or PALETTE[n % len(PALETTE)])
            for n, s in enumerate(series)]


def _axes(frame: Frame, step: float, percent: bool, labels: Sequence[str]) -> list[str]:
    """Grid lines with y labels, and up to MAX_X_LABELS labels along the x axis."""
    parts = []
    ticks = int(round(frame.y_max / step))
    for n in range(ticks + 1):
        value = n * step
        y = frame.y(value)
        parts.append(f'<line x1="{frame.left}" x2="{frame.width - frame.right}" y1="{y:.1f}" '
                     f'y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{frame.left - 4}" y="{y + 4:.1f}" text-anchor="end" '
                     f'fill="#555">{escape(_number(value, percent))}</text>')
    every = max(1, math.ceil(len(labels) / MAX_X_LABELS))
    base = frame.height - frame.bottom
    for n in range(0, len(labels), every):
        parts.append(f'<text x="{frame.x(n, len(labels)):.1f}" y="{base + 15}" '
                     f'text-anchor="middle" fill="#555">{escape(labels[n])}</text>')
    parts.append(f'<line x1="{frame.left}" x2="{frame.width - frame.right}" y1="{base}" '
                 f'y2="{base}" stroke="#888"/>')
    return parts


def _legend(series: Sequence[Series], width: int, top: int) -> list[str]:
    columns = max(1, (width - 10) // LEGEND_COLUMN)
    parts = []
    for n, s in enumerate(series):
        x = 10 + (n % columns) * LEGEND_COLUMN
        y = top + (n // columns) * LEGEND_ROW
        name = s.name if len(s.name) <= 24 else s.name[:23] + "\u2026"
        parts.append(f'<rect x="{x}" y="{y}" width="10" height="10" fill="{s.colour}"/>'
                     f'<text x="{x + 14}" y="{y + 9}" fill="#222">{escape(name)}'
                     f'<title>{escape(s.name)}</title></text>')
    return parts


def _legend_height(count: int, width: int) -> int:
    columns = max(1, (width - 10) // LEGEND_COLUMN)
    return 0 if count == 0 else 8 + LEGEND_ROW * math.ceil(count / columns)


def _svg(plot: str, title: str, width: int, height: int, body: list[str],
         attributes: str = "") -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="plot" data-plot="{escape(plot)}"'
            f'{attributes} viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
            f'role="img" {FONT}><title>{escape(title)}</title>{"".join(body)}</svg>')


def _tip(series: Series, labels: Sequence[str], notes: Sequence[str] | None, n: int,
         value: float, percent: bool) -> str:
    where = notes[n] if notes else labels[n]
    return escape(f"{series.name}: {_number(value, percent)} ({where})")


def _line(frame: Frame, series: Series, labels: Sequence[str], notes: Sequence[str] | None,
          percent: bool) -> str:
    """A series as polylines through its measured values (a gap where it has none) and a
    point with a tooltip on each."""
    count = len(series.values)
    segments: list[list[str]] = [[]]
    points = []
    for n, value in enumerate(series.values):
        if value is None:
            segments.append([])
            continue
        x, y = frame.x(n, count), frame.y(value)
        segments[-1].append(f"{x:.1f},{y:.1f}")
        points.append(f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="3" '
                      f'fill="{series.colour}"><title>'
                      f'{_tip(series, labels, notes, n, value, percent)}</title></circle>')
    lines = [f'<polyline points="{" ".join(s)}" fill="none" stroke="{series.colour}" '
             f'stroke-width="2"/>' for s in segments if len(s) > 1]
    return (f'<g class="series" data-series="{escape(series.name)}">{"".join(lines)}'
            f'{"".join(points)}</g>')


def line_chart(plot: str, title: str, labels: Sequence[str], series: Sequence[Series], *,
               percent: bool = False, notes: Sequence[str] | None = None,
               reference: float | None = None, width: int = 720, height: int = 240,
               legend: bool = True) -> str:
    """Lines over ``labels`` (runs), one per series; ``percent``: shares on a 0-100% axis.
    ``reference`` draws a dashed level (a baseline); ``notes`` are the tooltips' x names."""
    drawn = _coloured(series)
    legend_height = _legend_height(len(drawn), width) if legend else 0
    peak = max((v for s in drawn for v in s.values if v is not None), default=0.0)
    top, step = (1.0, 0.25) if percent else nice_scale(peak)
    frame = Frame(width, height, y_max=top)
    body = _axes(frame, step, percent, labels)
    if reference is not None:
        y = frame.y(reference)
        body.append(f'<line class="reference" x1="{frame.left}" x2="{width - frame.right}" '
                    f'y1="{y:.1f}" y2="{y:.1f}" stroke="#444" stroke-dasharray="4 3"/>')
    body += [_line(frame, s, labels, notes, percent) for s in drawn]
    if legend:
        body += _legend(drawn, width, height + 4)
    return _svg(plot, title, width, height + legend_height, body)


def stacked_bars(plot: str, title: str, labels: Sequence[str], series: Sequence[Series], *,
                 percent: bool = False, notes: Sequence[str] | None = None, width: int = 720,
                 height: int = 240) -> str:
    """Bars over ``labels``, each stacked from the series' values at that position (a share
    of 1 when ``percent``); a ``rect.bar`` with a tooltip per non-zero value."""
    drawn = _coloured(series)
    totals = [sum(s.values[n] or 0 for s in drawn) for n in range(len(labels))]
    top, step = (1.0, 0.25) if percent else nice_scale(max(totals, default=0.0))
    frame = Frame(width, height, y_max=top)
    body = _axes(frame, step, percent, labels)
    band = frame.inner_width / max(len(labels), 1)
    bar = min(max(band * 0.8, 1.0), MAX_BAR)
    levels = [0.0] * len(labels)
    for s in drawn:
        rects = []
        for n, value in enumerate(s.values):
            if not value:
                continue
            low, high = frame.y(levels[n]), frame.y(levels[n] + value)
            levels[n] += value
            rects.append(f'<rect class="bar" x="{frame.x(n, len(labels)) - bar / 2:.1f}" '
                         f'y="{high:.1f}" width="{bar:.1f}" height="{max(low - high, 0.5):.1f}" '
                         f'fill="{s.colour}"><title>{_tip(s, labels, notes, n, value, percent)}'
                         f'</title></rect>')
        body.append(f'<g class="series" data-series="{escape(s.name)}">{"".join(rects)}</g>')
    body += _legend(drawn, width, height + 4)
    return _svg(plot, title, width, height + _legend_height(len(drawn), width), body)
