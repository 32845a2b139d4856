"""Charts drawn on the server as SVG markup: no script, no external asset, readable without JavaScript.

Pure functions from plain numbers to an SVG string; every label is escaped.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

PALETTE = ("#1f6feb", "#d97706", "#16a34a", "#dc2626", "#7c3aed", "#0891b2")
GRADE_COLOURS = {"A": "#16a34a", "B": "#1f6feb", "C": "#d97706", "D": "#dc2626"}


@dataclass(frozen=True)
class Bar:
    """One bar: its label, value (None: not measurable, drawn as a dash) and colour."""

    label: str
    value: float | None
    colour: str = PALETTE[0]
    note: str = ""


@dataclass(frozen=True)
class Series:
    """One line of a trend chart: its name and one value per label (None: a gap)."""

    name: str
    values: tuple[float | None, ...]


def _fmt(value: float) -> str:
    return f"{value:g}" if float(value).is_integer() else f"{value:.1f}"


def text_width(text: str, size: float = 12) -> float:
    """Return about how wide TEXT is drawn at font SIZE (a Chinese character is square, Latin about half)."""
    return sum(size if ord(ch) > 0x2E7F else size * 0.56 for ch in text)


def fitted(text: str, room: float, size: float = 12) -> str:
    """Return TEXT, cut with "…" where it would be wider than ROOM (the bar's tooltip keeps it whole)."""
    if text_width(text, size) <= room:
        return text
    while text and text_width(text + "…", size) > room:
        text = text[:-1]
    return text.rstrip() + "…"


def bar_chart(bars: list[Bar], title: str, unit: str = "", maximum: float | None = None,
              width: int = 640) -> str:
    """Return a horizontal bar chart, one row per bar, largest scale MAXIMUM (default: the largest value).

    The label column is as wide as the longest label needs, within 190-300 px; a longer label (English
    bureau names) is cut with "…" rather than running off the left edge.
    """
    row, right = 26, 70
    left = int(min(max([190.0] + [text_width(b.label) + 16 for b in bars]), 300.0))
    height = 36 + row * max(len(bars), 1)
    top = max([b.value for b in bars if b.value is not None] + [maximum or 0, 1e-9])
    span = width - left - right
    parts = [_open(width, height, title), f'<text x="8" y="20" class="chart-title">{escape(title)}</text>']
    if not bars:
        parts.append(f'<text x="{left}" y="47" class="chart-value">—</text>')
    for index, bar in enumerate(bars):
        y = 32 + index * row
        parts.append(f'<text x="{left - 8:.0f}" y="{y + 15}" text-anchor="end" class="chart-label">'
                     f'{escape(fitted(bar.label, left - 16))}</text>')
        if bar.value is None:
            parts.append(f'<text x="{left + 4}" y="{y + 15}" class="chart-value">—</text>')
            continue
        length = max(span * bar.value / top, 1.0)
        text = f"{_fmt(bar.value)}{escape(unit)}{(' ' + escape(bar.note)) if bar.note else ''}"
        parts.append(f'<rect x="{left}" y="{y + 3}" width="{length:.1f}" height="{row - 8}" '
                     f'fill="{bar.colour}"><title>{escape(bar.label)}: {text}</title></rect>')
        parts.append(f'<text x="{left + length + 6:.1f}" y="{y + 15}" class="chart-value">{text}</text>')
    parts.append("</svg>")
    return "".join(parts)


def line_chart(labels: list[str], series: list[Series], title: str, unit: str = "",
               width: int = 640, height: int = 240, maximum: float | None = None) -> str:
    """Return a line chart of SERIES over LABELS (e.g. months), with a legend and a value axis from 0.

    The axis reaches at least MAXIMUM (100 for rates) and at least 4, so an empty or all-zero chart still
    reads 0, 1, 2, 3, 4 rather than five zeros.
    """
    left, right, top, bottom = 48, 16, 40, 44
    values = [v for s in series for v in s.values if v is not None]
    peak = max(values + [maximum or 0, 4])
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(len(labels) - 1, 1)
    parts = [_open(width, height, title), f'<text x="8" y="20" class="chart-title">{escape(title)}</text>']
    for tick in range(5):
        value = peak * tick / 4
        y = top + plot_h - plot_h * tick / 4
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" class="chart-grid"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="chart-axis">'
                     f'{_fmt(round(value, 1))}{escape(unit)}</text>')
    for index, label in enumerate(labels):
        x = left + step * index
        parts.append(f'<text x="{x:.1f}" y="{height - bottom + 18}" text-anchor="middle" class="chart-axis">'
                     f'{escape(label)}</text>')
    for number, line in enumerate(series):
        colour = PALETTE[number % len(PALETTE)]
        parts.extend(_polyline(line, colour, left, top, plot_h, step, peak))
        x = left + number * 150
        parts.append(f'<rect x="{x}" y="{height - 14}" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{x + 14}" y="{height - 5}" class="chart-label">{escape(line.name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _polyline(line: Series, colour: str, left: float, top: float, plot_h: float, step: float,
              peak: float) -> list[str]:
    points = [(left + step * i, top + plot_h - plot_h * v / peak) for i, v in enumerate(line.values)
              if v is not None]
    if not points:
        return []
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    dots = [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>' for x, y in points]
    return [f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>', *dots]


def heat_map(rows: list[str], columns: list[str], cells: list[list[int]], title: str) -> str:
    """Return a table-like heat map: ROWS × COLUMNS counts, darker for more."""
    cell_w, cell_h, left, top = 64, 26, 120, 84
    width, height = left + cell_w * len(columns) + 10, top + cell_h * len(rows) + 10
    peak = max([v for r in cells for v in r] + [1])
    parts = [_open(width, height, title), f'<text x="8" y="20" class="chart-title">{escape(title)}</text>']
    for j, name in enumerate(columns):
        x = left + cell_w * j + cell_w / 2
        parts.append(f'<text x="{x:.1f}" y="{top - 8}" text-anchor="start" class="chart-axis" '
                     f'transform="rotate(-35 {x:.1f} {top - 8})">{escape(name)}</text>')
    for i, name in enumerate(rows):
        y = top + cell_h * i
        parts.append(f'<text x="{left - 6}" y="{y + 17}" text-anchor="end" class="chart-label">'
                     f'{escape(name)}</text>')
        for j, value in enumerate(cells[i]):
            shade = value / peak
            fill = f"rgba(220, 38, 38, {0.08 + 0.85 * shade:.2f})" if value else "#f3f4f6"
            parts.append(f'<rect x="{left + cell_w * j}" y="{y}" width="{cell_w - 2}" height="{cell_h - 2}" '
                         f'fill="{fill}"><title>{escape(name)} · {escape(columns[j])}: {value}</title></rect>'
                         f'<text x="{left + cell_w * j + cell_w / 2 - 1:.1f}" y="{y + 17}" '
                         f'text-anchor="middle" class="chart-cell">{value}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _open(width: int, height: int, title: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="{escape(title)}" '
            f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">')
