"""Server-rendered SVG charts: the one chart code path of reports, e-mails and the dashboard.

A small renderer owned by this project (lines and bars are all the product draws), writing SVG
with presentation attributes only, so it is safe to inline under our strict CSP
(``style-src 'self'``, ``script-src 'self'``): no ``<style>``, no script, no ``style=""``, no
external reference. Text and axes use ``currentColor``, so a chart follows the page's light or
dark theme; series use the Okabe-Ito palette, which stays distinguishable for colour-blind
readers.

Each chart is laid out twice, for a wide box (800 units) and for a phone (320 units, larger
text, fewer labels): the page shows the layout that fits (``partials/chart.html``), so labels
are at least 11 px at 360 px instead of a wide picture shrunk to 5 px text. E-mails and the
stored report use the wide layout. Time axes write only as many labels as fit; counts get
whole-number ticks; a count per day is drawn as bars. Every chart also carries ``table``: the
same figures as headers + rows, the text alternative for screen readers (and the e-mail body).

    chart = line_chart(title="Requests per hour", series={"2xx": [(t0, 120), (t1, 98)]})
    chart.svg         # safe markup for {{ chart.svg }} (wide layout)
    chart.svg_narrow  # the phone layout
    chart.table       # ChartTable(headers=[...], rows=[[...], ...])
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

# Okabe & Ito (2008): eight colours that stay apart under the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
FONT_FAMILY = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
DEFAULT_WIDTH = 800
DEFAULT_HEIGHT = 300
NARROW_WIDTH = 320
NO_DATA = "No data for this period"

Number = int | float


@dataclass(frozen=True)
class ChartTable:
    """The chart's figures as a table: the text alternative to the picture."""

    headers: list[str]
    rows: list[list[str]]

    def html(self) -> SafeString:
        """The table's head and body as escaped markup, each row's first cell its header: built here rather than by
        template loops, which cost a few hundred template nodes on a page with a chart."""
        head = format_html_join("", '<th scope="col">{}</th>', ((header or "—",) for header in self.headers))
        body = format_html_join("", "<tr>{}</tr>", ((_table_row(row),) for row in self.rows))
        return format_html("<thead><tr>{}</tr></thead><tbody>{}</tbody>", head, body)


def _table_row(cells: list[str]) -> SafeString:
    if not cells:
        return mark_safe("")
    rest = format_html_join("", '<td class="num">{}</td>', ((cell,) for cell in cells[1:]))
    return format_html('<th scope="row">{}</th>{}', cells[0], rest)


@dataclass(frozen=True)
class Chart:
    """A rendered chart: ``svg`` (wide) and ``svg_narrow`` (phone) are safe markup; ``table`` holds the figures as text."""

    title: str
    svg: SafeString
    table: ChartTable
    summary: str = ""
    svg_narrow: SafeString | None = None
    empty: bool = False

    def __html__(self) -> str:
        return self.svg

    def __str__(self) -> str:
        return self.svg


@dataclass(frozen=True)
class Layout:
    width: int
    font: float
    title_font: float
    max_x_labels: int


def _layouts(width: int) -> tuple[Layout, Layout]:
    return Layout(width, 12, 15, 10), Layout(NARROW_WIDTH, 13, 14, 4)


def format_number(value: Any) -> str:
    """Integers without decimals, other numbers to at most two places, missing values as a dash."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and abs(value) < 1e15):
        return f"{int(value):,}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def format_x(value: Any, *, span_seconds: float | None = None) -> str:
    """A readable x label: times of day within two days, dates beyond, anything else as text."""
    if isinstance(value, datetime):
        if span_seconds is not None and span_seconds <= 2 * 86400:
            return value.strftime("%H:%M")
        if span_seconds is not None and span_seconds <= 14 * 86400:
            return value.strftime("%d %b %H:%M")
        return value.strftime("%d %b")
    if isinstance(value, date):
        return value.strftime("%d %b")
    if isinstance(value, float):
        return format_number(value)
    return str(value)


def _x_span(xs: Sequence[Any]) -> float | None:
    stamps = [x for x in xs if isinstance(x, datetime)]
    if len(stamps) < 2:
        return None
    return (max(stamps) - min(stamps)).total_seconds()


def _sort_key(value: Any):
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, value, "")
    if isinstance(value, datetime):
        return (1, value.timestamp(), "")
    if isinstance(value, date):
        return (1, datetime(value.year, value.month, value.day, tzinfo=UTC).timestamp(), "")
    return (2, 0, str(value))


# --- scales ---------------------------------------------------------------------------------

def _is_count(values: Sequence[Any]) -> bool:
    present = [v for v in values if v is not None]
    return bool(present) and all(isinstance(v, int) or (isinstance(v, float) and v.is_integer()) for v in present)


def nice_ticks(top: float, *, integer: bool, count: int = 5) -> list[float]:
    """Ticks from 0 to at least ``top`` on a 1-2-5 step; whole numbers only for counts."""
    if top <= 0:
        top = 1
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    if integer:
        step = max(1, math.ceil(step))
    ticks, value = [], 0.0
    while value < top - 1e-9:
        ticks.append(value)
        value += step
    ticks.append(value)
    return ticks


def _tick_label(value: float, value_format: Callable[[Any], str]) -> str:
    if float(value).is_integer():
        return format_number(int(value))
    return value_format(value) if value_format is not format_number else f"{value:g}"


def _thin(count: int, limit: int) -> list[int]:
    """Indexes of at most ``limit`` labels, evenly spread, always the first and the last."""
    if count <= limit:
        return list(range(count))
    step = math.ceil((count - 1) / max(1, limit - 1))
    picked = list(range(0, count, step))
    if picked[-1] != count - 1:
        if count - 1 - picked[-1] < step / 2:
            picked[-1] = count - 1
        else:
            picked.append(count - 1)
    return picked


def _truncate(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[: max(1, chars - 1)] + "…"


def _text_width(text: str, font: float) -> float:
    return len(text) * font * 0.58


# --- SVG building ---------------------------------------------------------------------------

def _el(parent: ET.Element, tag: str, text: str | None = None, **attrs) -> ET.Element:
    element = ET.SubElement(parent, tag, {k.rstrip("_").replace("_", "-"): str(v) for k, v in attrs.items()})
    if text is not None:
        element.text = text
    return element


def _root(layout: Layout, height: int, *, title: str, summary: str, variant: str) -> ET.Element:
    root = ET.Element("svg", {
        "xmlns": "http://www.w3.org/2000/svg", "viewBox": f"0 0 {layout.width} {height}", "role": "img",
        "aria-label": summary or title, "class": f"chart chart-{variant}", "font-family": FONT_FAMILY,
        "font-size": f"{layout.font:g}", "fill": "currentColor", "preserveAspectRatio": "xMidYMid meet",
    })
    _el(root, "title", title)
    _el(root, "text", _truncate(title, int(layout.width / (layout.title_font * 0.58))), x=layout.width / 2,
        y=layout.title_font + 6, text_anchor="middle", font_size=f"{layout.title_font:g}", font_weight="600")
    return root


def _legend(root: ET.Element, names: list[str], layout: Layout, top: float) -> None:
    x, y = 12.0, top
    for index, name in enumerate(names):
        label = _truncate(name, 40)
        width = 18 + _text_width(label, layout.font) + 16
        if x + width > layout.width - 8 and x > 12:
            x, y = 12.0, y + layout.font + 8
        color = PALETTE[index % len(PALETTE)]
        _el(root, "rect", x=round(x, 1), y=round(y - layout.font * 0.8, 1), width=12, height=12, fill=color)
        _el(root, "text", label, x=round(x + 18, 1), y=round(y + 1, 1))
        x += width


def _legend_rows(names: list[str], layout: Layout) -> int:
    if len(names) <= 1:
        return 0
    rows, x = 1, 12.0
    for name in names:
        width = 18 + _text_width(_truncate(name, 40), layout.font) + 16
        if x + width > layout.width - 8 and x > 12:
            rows, x = rows + 1, 12.0
        x += width
    return rows


def _no_data(root: ET.Element, layout: Layout, height: int) -> None:
    _el(root, "text", NO_DATA, x=layout.width / 2, y=height / 2, text_anchor="middle",
        font_size=f"{layout.font + 4:g}", fill_opacity="0.6")


def _finish(root: ET.Element) -> SafeString:
    svg = ET.tostring(root, encoding="unicode", short_empty_elements=True)
    # ElementTree escapes text and attribute values; nothing from the data is left raw.
    return mark_safe(svg)  # noqa: S308 - built from an element tree, every value escaped


def _y_axis(root, ticks, *, left, right, top, bottom, layout, value_format, vertical=True):
    span = ticks[-1] or 1
    for tick in ticks:
        y = bottom - (bottom - top) * tick / span
        _el(root, "path", d=f"M{left:.1f},{y:.1f}H{right:.1f}", stroke="currentColor",
            stroke_opacity="0.5" if tick == 0 else "0.15", fill="none")
        _el(root, "text", _tick_label(tick, value_format), x=round(left - 6, 1), y=round(y + layout.font * 0.35, 1),
            text_anchor="end", fill_opacity="0.85")


def _plot_box(layout: Layout, height: int, ticks, value_format, legend_rows: int, y_title: str, x_label_rows: int = 1):
    label_width = max(_text_width(_tick_label(t, value_format), layout.font) for t in ticks)
    left = 10 + label_width + 8 + (layout.font + 4 if y_title else 0)
    top = layout.title_font + 20
    bottom = height - 10 - (layout.font + 8) * x_label_rows - legend_rows * (layout.font + 8)
    return left, layout.width - 14, top, bottom


def _y_title(root, y_title, layout, top, bottom):
    if y_title:
        middle = (top + bottom) / 2
        _el(root, "text", y_title, x=layout.font, y=round(middle, 1), text_anchor="middle",
            transform=f"rotate(-90 {layout.font} {middle:.1f})", fill_opacity="0.85")


# --- line and bar layouts ---------------------------------------------------------------------

def _draw_lines(layout: Layout, height: int, *, title, summary, labels, aligned_values, names, y_title, value_format,
                min_y, as_bars: bool) -> SafeString:
    root = _root(layout, height, title=title, summary=summary, variant="wide" if layout.width > NARROW_WIDTH else "narrow")
    values = [v for series in aligned_values for v in series if v is not None]
    if not labels or not values:
        _no_data(root, layout, height)
        return _finish(root)
    integer = _is_count(values)
    ticks = nice_ticks(max(max(values), 0 if min_y is not None else max(values)), integer=integer)
    legend_rows = _legend_rows(names, layout)
    left, right, top, bottom = _plot_box(layout, height, ticks, value_format, legend_rows, y_title)
    _y_title(root, y_title, layout, top, bottom)
    _y_axis(root, ticks, left=left, right=right, top=top, bottom=bottom, layout=layout, value_format=value_format)
    count = len(labels)
    span = ticks[-1] or 1

    def y_of(value):
        return bottom - (bottom - top) * max(0.0, value) / span

    if as_bars:
        slot = (right - left) / count
        width = max(1.0, slot * 0.7 / len(aligned_values))
        x_of = [left + slot * (i + 0.5) for i in range(count)]
        for s, series in enumerate(aligned_values):
            group = _el(root, "g", fill=PALETTE[s % len(PALETTE)])
            for i, value in enumerate(series):
                if value is None:
                    continue
                x = x_of[i] - slot * 0.35 + s * width
                _el(group, "rect", x=round(x, 1), y=round(y_of(value), 1), width=round(width, 1),
                    height=round(max(0.0, bottom - y_of(value)), 1))
    else:
        x_of = [left + (right - left) * (i / (count - 1) if count > 1 else 0.5) for i in range(count)]
        for s, series in enumerate(aligned_values):
            color = PALETTE[s % len(PALETTE)]
            runs, run = [], []
            for i, value in enumerate(series):
                if value is None:
                    if run:
                        runs.append(run)
                    run = []
                else:
                    run.append((x_of[i], y_of(value)))
            if run:
                runs.append(run)
            d = " ".join("M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in points) for points in runs)
            if d:
                _el(root, "path", d=d, fill="none", stroke=color, stroke_width="2", stroke_linejoin="round")
            if count <= 31:
                for points in runs:
                    for x, y in points:
                        _el(root, "circle", cx=f"{x:.1f}", cy=f"{y:.1f}", r="2.5", fill=color)
    # As many x labels as fit the width, evenly spread.
    widest = max(_text_width(label, layout.font) for label in labels) + 12
    limit = max(2, min(layout.max_x_labels, int((right - left) / widest)))
    for i in _thin(count, limit):
        # Centred under its point, but never past the chart's edge.
        half = _text_width(labels[i], layout.font) / 2
        x = min(max(x_of[i], half + 2), layout.width - half - 2)
        _el(root, "text", labels[i], x=round(x, 1), y=round(bottom + layout.font + 6, 1), text_anchor="middle",
            fill_opacity="0.85")
    if legend_rows:
        _legend(root, names, layout, bottom + 2 * layout.font + 14)
    return _finish(root)


def _draw_hbars(layout: Layout, *, title, summary, labels, aligned_values, names, value_format) -> tuple[SafeString, int]:
    rows = len(labels)
    bar_band = (layout.font + 10) * max(1, len(aligned_values)) + 6
    legend_rows = _legend_rows(names, layout)
    height = int(layout.title_font + 30 + rows * bar_band + (layout.font + 8) * (1 + legend_rows) + 10)
    root = _root(layout, height, title=title, summary=summary, variant="wide" if layout.width > NARROW_WIDTH else "narrow")
    values = [v for series in aligned_values for v in series if v is not None]
    if not labels or not values:
        _no_data(root, layout, max(height, 120))
        return _finish(root), max(height, 120)
    integer = _is_count(values)
    ticks = nice_ticks(max(values), integer=integer, count=4 if layout.width <= NARROW_WIDTH else 5)
    # On a phone the category name goes above its bar; on a wide box, beside it.
    label_chars = 60 if layout.width <= NARROW_WIDTH else 32
    beside = layout.width > NARROW_WIDTH
    left = 12 + (min(max(_text_width(label, layout.font) for label in labels), _text_width("x" * label_chars, layout.font)) + 10
                 if beside else 0)
    right, top = layout.width - 16 - _text_width(format_number(ticks[-1]), layout.font) / 2, layout.title_font + 24
    span = ticks[-1] or 1
    bottom = top + rows * bar_band
    for tick in ticks:
        x = left + (right - left) * tick / span
        _el(root, "path", d=f"M{x:.1f},{top:.1f}V{bottom:.1f}", stroke="currentColor",
            stroke_opacity="0.5" if tick == 0 else "0.15", fill="none")
        _el(root, "text", _tick_label(tick, value_format), x=round(x, 1), y=round(bottom + layout.font + 6, 1),
            text_anchor="middle", fill_opacity="0.85")
    for i, label in enumerate(labels):
        band_top = top + i * bar_band
        text = _truncate(label, label_chars)
        if beside:
            _el(root, "text", text, x=round(left - 8, 1), y=round(band_top + bar_band / 2 + layout.font * 0.35, 1),
                text_anchor="end")
            bar_top = band_top + 3
        else:
            _el(root, "text", text, x=12, y=round(band_top + layout.font, 1))
            bar_top = band_top + layout.font + 4
        thickness = (bar_band - (layout.font + 8 if not beside else 6)) / max(1, len(aligned_values))
        for s, series in enumerate(aligned_values):
            value = series[i]
            if value is None:
                continue
            _el(root, "rect", x=round(left, 1), y=round(bar_top + s * thickness, 1),
                width=round(max(0.0, (right - left) * value / span), 1), height=round(max(1.0, thickness - 2), 1),
                fill=PALETTE[s % len(PALETTE)])
    if legend_rows:
        _legend(root, names, layout, bottom + 2 * layout.font + 14)
    return _finish(root), height


# --- public API ----------------------------------------------------------------------------

def line_chart(
    *,
    title: str,
    series: dict[str, Sequence[tuple[Any, Number | None]]],
    y_title: str = "",
    x_title: str = "",
    height: int = DEFAULT_HEIGHT,
    width: int = DEFAULT_WIDTH,
    x_format: Callable[[Any], str] | None = None,
    value_format: Callable[[Any], str] | None = None,
    fill: bool = False,
    min_y: float | None = 0,
) -> Chart:
    """Lines over a shared x axis (times, dates, numbers or labels), one per series.

    ``series`` maps a name to ``(x, y)`` points; points are aligned on the union of every
    series' x values (sorted) and a missing point leaves a gap. Counts per day (dates on the
    x axis, whole numbers) are drawn as bars: a day is a bucket, not a point on a line.
    """
    value_format = value_format or format_number
    xs = sorted({x for points in series.values() for x, _ in points}, key=_sort_key)
    span = _x_span(xs)
    label = x_format or (lambda x: format_x(x, span_seconds=span))
    labels = [label(x) for x in xs]
    aligned = {name: dict(points) for name, points in series.items()}
    values = [[points.get(x) for x in xs] for points in aligned.values()]
    per_day_counts = bool(xs) and all(isinstance(x, date) and not isinstance(x, datetime) for x in xs) and _is_count(
        [v for row in values for v in row])
    summary = _summary(title, aligned, value_format)
    names = list(aligned)
    wide, narrow = (
        _draw_lines(layout, height, title=title, summary=summary, labels=labels, aligned_values=values, names=names,
                    y_title=y_title, value_format=value_format, min_y=min_y, as_bars=per_day_counts)
        for layout in _layouts(width)
    )
    headers = [x_title or "", *aligned.keys()]
    rows = [[labels[i], *(value_format(points.get(x)) for points in aligned.values())] for i, x in enumerate(xs)]
    return Chart(title=title, svg=wide, svg_narrow=narrow, table=ChartTable(headers=headers, rows=rows), summary=summary,
                 empty=_empty(values))


def bar_chart(
    *,
    title: str,
    series: dict[str, Sequence[tuple[Any, Number | None]]],
    y_title: str = "",
    x_title: str = "",
    height: int = DEFAULT_HEIGHT,
    width: int = DEFAULT_WIDTH,
    horizontal: bool = False,
    value_format: Callable[[Any], str] | None = None,
    x_format: Callable[[Any], str] | None = None,
) -> Chart:
    """Bars for labelled values; several series are drawn side by side per label.

    ``series`` maps a name to ``(label, value)`` pairs; labels keep their first-seen order.
    More than a few labels, or long ones, are drawn as horizontal bars so every name stays readable.
    """
    value_format = value_format or format_number
    order: list[Any] = []
    seen: set = set()
    for points in series.values():
        for x, _ in points:
            if x not in seen:
                seen.add(x)
                order.append(x)
    span = _x_span(order)
    label = x_format or (lambda x: format_x(x, span_seconds=span))
    labels = [label(x) for x in order]
    aligned = {name: dict(points) for name, points in series.items()}
    values = [[points.get(x) for x in order] for points in aligned.values()]
    summary = _summary(title, aligned, value_format)
    names = list(aligned) if len(aligned) > 1 else []
    categorical = not all(isinstance(x, (date, datetime)) for x in order)
    rendered = []
    for layout in _layouts(width):
        fits = sum(_text_width(text, layout.font) + 12 for text in labels) < layout.width - 80
        if horizontal or (categorical and not fits):
            svg, _ = _draw_hbars(layout, title=title, summary=summary, labels=labels, aligned_values=values, names=names,
                                 value_format=value_format)
        else:
            svg = _draw_lines(layout, height, title=title, summary=summary, labels=labels, aligned_values=values,
                              names=names, y_title=y_title, value_format=value_format, min_y=0, as_bars=True)
        rendered.append(svg)
    headers = [x_title or "", *aligned.keys()]
    rows = [[labels[i], *(value_format(points.get(x)) for points in aligned.values())] for i, x in enumerate(order)]
    return Chart(title=title, svg=rendered[0], svg_narrow=rendered[1], table=ChartTable(headers=headers, rows=rows),
                 summary=summary, empty=_empty(values))


def _empty(values: list[list[Any]]) -> bool:
    """Nothing to see: no value at all, or only zeros."""
    return not any(v for row in values for v in row if v is not None)


def _summary(title: str, aligned: dict[str, dict], value_format: Callable[[Any], str]) -> str:
    """One sentence for ``aria-label``: each series' range, so the picture has words."""
    parts = []
    for name, points in aligned.items():
        values = [v for v in points.values() if v is not None]
        if not values:
            parts.append(f"{name}: no data")
        elif len(values) == 1:
            parts.append(f"{name}: {value_format(values[0])}")
        else:
            parts.append(f"{name}: {value_format(min(values))} to {value_format(max(values))}, last {value_format(values[-1])}")
    return f"{title}. " + "; ".join(parts) if parts else f"{title}. No data."
