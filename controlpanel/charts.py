"""Server-rendered SVG charts: the one chart code path of reports and the dashboard.

Charts are drawn with pygal and then made safe to inline in a page under our strict CSP
(``style-src 'self'``, ``script-src 'self'``): pygal's ``<style>`` and ``<script>`` blocks,
comments, tooltip overlays and every ``style=""`` attribute are removed, and the look is
re-applied as SVG presentation attributes, which CSP does not govern. Text and axes use
``currentColor``, so a chart follows the page's light or dark theme; series use the
Okabe-Ito palette, which stays distinguishable for colour-blind readers.

The SVG has a ``viewBox`` and no fixed width or height, so it scales to its container. It
holds no script and no external reference. Every chart also carries ``table``: the same
figures as headers + rows, the text alternative for screen readers (and the e-mail body).

    chart = line_chart(title="Requests per hour", series={"2xx": [(t0, 120), (t1, 98)]})
    chart.svg     # safe markup for {{ chart.svg }}
    chart.table   # ChartTable(headers=[...], rows=[[...], ...])
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pygal
from django.utils.safestring import SafeString, mark_safe
from pygal.style import Style

# Okabe & Ito (2008): eight colours that stay apart under the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
FONT_FAMILY = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
DEFAULT_WIDTH = 800
DEFAULT_HEIGHT = 300
# Past this many points a line is drawn without dots and only some x labels are written.
DENSE_POINTS = 48
MAX_X_LABELS = 12

Number = int | float


@dataclass(frozen=True)
class ChartTable:
    """The chart's figures as a table: the text alternative to the picture."""

    headers: list[str]
    rows: list[list[str]]


@dataclass(frozen=True)
class Chart:
    """A rendered chart: ``svg`` is safe markup; ``table`` holds the same figures as text."""

    title: str
    svg: SafeString
    table: ChartTable
    summary: str = ""

    def __html__(self) -> str:
        return self.svg

    def __str__(self) -> str:
        return self.svg


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


def _style(colors: Sequence[str]) -> Style:
    return Style(
        background="transparent",
        plot_background="transparent",
        foreground="currentColor",
        foreground_strong="currentColor",
        foreground_subtle="currentColor",
        colors=tuple(colors),
        font_family=FONT_FAMILY,
        transition="0s",
    )


def _config(*, title: str, width: int, height: int, y_title: str, x_title: str, colors: Sequence[str], **extra) -> dict:
    return {
        "title": title,
        "width": width,
        "height": height,
        "y_title": y_title or None,
        "x_title": x_title or None,
        "style": _style(colors),
        "js": [],
        "css": [],
        "no_prefix": True,
        "disable_xml_declaration": True,
        "explicit_size": False,
        "legend_at_bottom": True,
        "legend_at_bottom_columns": None,
        "truncate_legend": 40,
        "truncate_label": 24,
        "print_values": False,
        "margin": 12,
        "no_data_text": "No data for this period",
        **extra,
    }


# --- making pygal's output CSP-safe --------------------------------------------------------

def _classes(element: ET.Element) -> set[str]:
    return set((element.get("class") or "").split())


def _walk(element: ET.Element, ancestors: tuple[set[str], ...]):
    yield element, ancestors
    mine = ancestors + (_classes(element),)
    for child in list(element):
        yield from _walk(child, mine)


def _within(ancestors: tuple[set[str], ...], *names: str) -> bool:
    return any(all(name in classes for name in names) for classes in ancestors)


def _strip(parent: ET.Element) -> None:
    """Drop scripts, styles, comments, tooltips and per-point descriptions."""
    for child in list(parent):
        tag = child.tag if isinstance(child.tag, str) else ""
        classes = _classes(child)
        if (
            child.tag is ET.Comment
            or tag in {"script", "style", "desc"}
            or "tooltip-overlay" in classes
            or "tooltip" in classes
        ):
            parent.remove(child)
            continue
        _strip(child)
    if "style" in parent.attrib:
        del parent.attrib["style"]


def _present(root: ET.Element, colors: Sequence[str], *, horizontal: bool) -> None:
    """Re-apply pygal's look as presentation attributes (what its CSS would have done)."""
    root.set("font-family", FONT_FAMILY)
    root.set("font-size", "12")
    root.set("fill", "currentColor")
    for element, ancestors in _walk(root, ()):
        classes = _classes(element)
        tag = element.tag
        for name in classes:
            if name.startswith("color-"):
                index = int(name.split("-", 1)[1]) if name.split("-", 1)[1].isdigit() else 0
                color = colors[index % len(colors)]
                element.set("fill", color)
                element.set("stroke", color)
        if tag == "rect" and "background" in classes:
            element.set("fill", "none")
        if "title" in classes:
            # The chart's own title is larger than the axis titles, which share the class.
            element.set("font-size", "16" if "plot_title" in classes else "12")
            element.set("font-weight", "600")
            element.set("text-anchor", "middle")
        if tag == "text":
            if _within(ancestors, "legends"):
                element.set("font-size", "12")
            elif _within(ancestors, "axis"):
                element.set("font-size", "11")
                element.set("fill-opacity", "0.8")
                if _within(ancestors, "axis", "x"):
                    element.set("text-anchor", "start" if element.get("transform") else "middle")
                elif _within(ancestors, "axis", "y"):
                    element.set("text-anchor", "end")
            if "no_data" in classes:
                element.set("font-size", "20")
                element.set("text-anchor", "middle")
                element.set("fill-opacity", "0.6")
            if "centered" in classes:
                element.set("text-anchor", "middle")
        if tag == "path" and _within(ancestors, "axis"):
            element.set("fill", "none")
            element.set("stroke", "currentColor")
            if "guide" in classes:
                hidden = (horizontal and _within(ancestors, "axis", "y")) or (not horizontal and _within(ancestors, "axis", "x"))
                element.set("stroke-opacity", "0" if hidden else "0.18")
                element.set("stroke-dasharray", "6,6" if "major" in classes else "4,4")
            else:
                element.set("stroke-opacity", "0.5")
        if "reactive" in classes and not _within(ancestors, "legends"):
            element.set("fill-opacity", "0.75")
            element.set("stroke-opacity", "0.9")
            element.set("stroke-width", "1")
        if "line" in classes and "reactive" in classes:
            element.set("fill", "none")
            element.set("stroke-width", "2")
            element.set("stroke-linejoin", "round")
        if "nofill" in classes:
            element.set("fill", "none")
        if "dot" in classes:
            element.set("fill-opacity", "1")
            element.set("stroke-width", "1")


def _finish(chart: pygal.graph.graph.Graph, *, title: str, summary: str, colors: Sequence[str], horizontal: bool = False) -> SafeString:
    root = chart.render_tree()
    _strip(root)
    _present(root, colors, horizontal=horizontal)
    root.attrib.pop("id", None)
    root.set("role", "img")
    root.set("aria-label", summary or title)
    root.set("preserveAspectRatio", "xMidYMid meet")
    root.set("class", "chart")
    svg = ET.tostring(root, encoding="unicode", short_empty_elements=True)
    # ElementTree escapes text and attribute values; nothing from the data is left raw.
    return mark_safe(svg)  # noqa: S308 - built from an element tree, every value escaped


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
    series' x values (sorted) and a missing point leaves a gap.
    """
    value_format = value_format or format_number
    xs = sorted({x for points in series.values() for x, _ in points}, key=_sort_key)
    span = _x_span(xs)
    label = x_format or (lambda x: format_x(x, span_seconds=span))
    labels = [label(x) for x in xs]
    aligned = {name: dict(points) for name, points in series.items()}
    dense = len(xs) > DENSE_POINTS
    colors = PALETTE
    config = _config(
        title=title, width=width, height=height, y_title=y_title, x_title=x_title, colors=colors,
        show_dots=not dense, fill=fill, x_label_rotation=0, show_x_guides=False,
        show_minor_x_labels=False, x_labels_major_count=min(MAX_X_LABELS, max(2, len(xs))),
        value_formatter=value_format, allow_interruptions=True,
        range=(min_y, None) if min_y is not None else None,
        include_x_axis=min_y == 0,
    )
    chart = pygal.Line(**config)
    chart.x_labels = labels
    for name, points in aligned.items():
        chart.add(name, [points.get(x) for x in xs])
    headers = [x_title or "", *aligned.keys()]
    rows = [[labels[i], *(value_format(points.get(x)) for points in aligned.values())] for i, x in enumerate(xs)]
    summary = _summary(title, aligned, value_format)
    svg = _finish(chart, title=title, summary=summary, colors=colors)
    return Chart(title=title, svg=svg, table=ChartTable(headers=headers, rows=rows), summary=summary)


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
    colors = PALETTE
    config = _config(
        title=title, width=width, height=height, y_title=y_title, x_title=x_title, colors=colors,
        value_formatter=value_format, show_legend=len(aligned) > 1,
        x_label_rotation=0 if horizontal or len(order) <= 8 else 30,
        show_minor_x_labels=True, range=(0, None),
    )
    chart = (pygal.HorizontalBar if horizontal else pygal.Bar)(**config)
    chart.x_labels = labels
    for name, points in aligned.items():
        chart.add(name, [points.get(x) for x in order])
    headers = [x_title or "", *aligned.keys()]
    rows = [[labels[i], *(value_format(points.get(x)) for points in aligned.values())] for i, x in enumerate(order)]
    summary = _summary(title, aligned, value_format)
    svg = _finish(chart, title=title, summary=summary, colors=colors, horizontal=horizontal)
    return Chart(title=title, svg=svg, table=ChartTable(headers=headers, rows=rows), summary=summary)


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
