"""Report sections: what an app contributes to the operator reports, as typed values.

Each app that has figures for the reports builds a :class:`ReportSection` in its own
``reports.py`` (``progress.reports``, ``search.reports``); telemetry imports those functions
by name and renders every section the same way. Nothing here imports an app.

A section is stored with its report as JSON (:func:`section_to_json` /
:func:`section_from_json`), so a stored report reads the same whatever the apps later change.
:meth:`ReportSection.values` is the flat ``{key: value}`` view the metrics API and the stored
report's ``learning`` / ``search`` / ``turbo`` fields have always had.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Better = Literal["higher", "lower"] | None
# "" (a count or plain value), "ms", "s", "ratio" (a 0..1 share), "x" (a factor), "time" (an ISO instant).
Unit = Literal["", "ms", "s", "ratio", "x", "time"]
UNITS: tuple[str, ...] = ("", "ms", "s", "ratio", "x", "time")
SCHEMA = 1


@dataclass(frozen=True)
class Figure:
    """One value with what a reader needs to judge it: label, unit, which direction is better."""

    key: str
    label: str
    value: Any
    unit: Unit = ""
    better: Better = None

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"unknown unit {self.unit!r} for figure {self.key!r}")
        if self.better not in ("higher", "lower", None):
            raise ValueError(f"better must be 'higher', 'lower' or None, not {self.better!r}")

    @property
    def is_number(self) -> bool:
        return isinstance(self.value, (int, float)) and not isinstance(self.value, bool)


@dataclass(frozen=True)
class Table:
    """Rows of values under column keys (shown with ``_`` as spaces)."""

    key: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...] = ()

    def records(self) -> list[dict]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


@dataclass(frozen=True)
class ChartSeries:
    name: str
    points: tuple[tuple[str, float | int | None], ...]


@dataclass(frozen=True)
class ChartSpec:
    """A bar chart of labelled values.

    ``compare``: the points of its one series are this period's figures (e.g. completions per
    category): the report compares each with the previous period's and draws that period
    next to it, and :meth:`ReportSection.values` holds them as ``{label: value}``.
    """

    key: str
    title: str
    series: tuple[ChartSeries, ...]
    compare: bool = False
    better: Better = None

    def __post_init__(self) -> None:
        if self.compare and len(self.series) != 1:
            raise ValueError("a compared chart has exactly one series")


@dataclass(frozen=True)
class ReportSection:
    """An app's part of a report. ``reason`` is set (and the rest empty) when it is not available."""

    key: str
    title: str
    figures: tuple[Figure, ...] = ()
    tables: tuple[Table, ...] = ()
    charts: tuple[ChartSpec, ...] = field(default=())
    reason: str | None = None

    @classmethod
    def unavailable(cls, key: str, title: str, reason: str) -> ReportSection:
        return cls(key=key, title=title, reason=reason)

    @property
    def available(self) -> bool:
        return self.reason is None

    def figure(self, key: str) -> Figure:
        for figure in self.figures:
            if figure.key == key:
                return figure
        raise KeyError(f"section {self.key!r} has no figure {key!r}")

    def value(self, key: str) -> Any:
        """A figure's value; None when the section is not available (a missing key raises)."""
        return self.figure(key).value if self.available else None

    def comparable(self) -> dict[str, tuple[float, str, str, Better]]:
        """Numbers to compare with the previous period: ``key`` → (value, label, unit, better)."""
        out: dict[str, tuple[float, str, str, Better]] = {}
        for figure in self.figures:
            if figure.is_number:
                out[figure.key] = (figure.value, figure.label, figure.unit, figure.better)
        for chart in self.charts:
            if chart.compare:
                for label, value in chart.series[0].points:
                    if isinstance(value, (int, float)) and not isinstance(value, bool):
                        out[f"{chart.key}.{label}"] = (value, f"{chart.title} · {label}", "", chart.better)
        return out

    def values(self) -> dict[str, Any]:
        """The flat, JSON-ready view: figures, compared charts as ``{label: value}``, tables as records."""
        if not self.available:
            return {"available": False, "reason": self.reason}
        out: dict[str, Any] = {figure.key: figure.value for figure in self.figures}
        for chart in self.charts:
            if chart.compare:
                out[chart.key] = dict(chart.series[0].points)
        for table in self.tables:
            out[table.key] = table.records()
        return out


# --- JSON ------------------------------------------------------------------------------

def section_to_json(section: ReportSection) -> dict:
    return {
        "schema": SCHEMA,
        "key": section.key,
        "title": section.title,
        "reason": section.reason,
        "figures": [{"key": f.key, "label": f.label, "value": f.value, "unit": f.unit, "better": f.better}
                    for f in section.figures],
        "tables": [{"key": t.key, "title": t.title, "columns": list(t.columns), "rows": [list(r) for r in t.rows]}
                   for t in section.tables],
        "charts": [{"key": c.key, "title": c.title, "compare": c.compare, "better": c.better,
                    "series": [{"name": s.name, "points": [list(p) for p in s.points]} for s in c.series]}
                   for c in section.charts],
    }


def section_from_json(data: Mapping) -> ReportSection:
    if data.get("schema") != SCHEMA:
        raise ValueError(f"unknown report section schema {data.get('schema')!r}")
    return ReportSection(
        key=data["key"],
        title=data["title"],
        reason=data.get("reason"),
        figures=tuple(Figure(key=f["key"], label=f["label"], value=f["value"], unit=f["unit"], better=f["better"])
                      for f in data["figures"]),
        tables=tuple(Table(key=t["key"], title=t["title"], columns=tuple(t["columns"]),
                           rows=tuple(tuple(r) for r in t["rows"])) for t in data["tables"]),
        charts=tuple(ChartSpec(key=c["key"], title=c["title"], compare=c["compare"], better=c["better"],
                               series=tuple(ChartSeries(name=s["name"], points=tuple(tuple(p) for p in s["points"]))
                                            for s in c["series"]))
                     for c in data["charts"]),
    )
