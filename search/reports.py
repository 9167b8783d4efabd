"""The search app's sections of the operator reports: searches in a period, and turbo now."""

from __future__ import annotations

from datetime import datetime

from controlpanel.reporting import ChartSeries, ChartSpec, Figure, ReportSection, Table
from search.selectors import report_search_stats, turbo_status

TIMINGS = (
    ("turbo_p50_ms", "Turbo p50", "ms", "lower"),
    ("turbo_p95_ms", "Turbo p95", "ms", "lower"),
    ("plain_p50_ms", "Plain p50", "ms", "lower"),
    ("plain_p95_ms", "Plain p95", "ms", "lower"),
    ("speedup", "Speedup", "x", "higher"),
)
SEARCH_FIGURES = (
    ("searches", "Searches", "", None),
    ("users", "Users", "", None),
    ("zero_result_rate", "Zero result rate", "ratio", "lower"),
    ("turbo_share", "Turbo share", "ratio", None),
    ("cache_hit_rate", "Cache hit rate", "ratio", "higher"),
    *TIMINGS,
    ("saved_searches_created", "Saved searches created", "", None),
)
TURBO_FIGURES = (
    ("engine", "Engine", "", None),
    ("index_documents", "Index documents", "", None),
    ("published_lessons", "Published lessons", "", None),
    ("index_in_sync", "Index in sync", "", None),
    ("catalog_version", "Catalog version", "", None),
    ("last_rebuild_at", "Last rebuild at", "time", None),
    ("last_rebuild_seconds", "Last rebuild seconds", "s", None),
    ("searches_24h", "Searches (24 h)", "", None),
    ("cache_hit_rate", "Cache hit rate", "ratio", "higher"),
    *TIMINGS,
)
QUERY_COLUMNS = ("query", "searches", "learners")


def _figures(stats: dict, spec) -> tuple[Figure, ...]:
    return tuple(Figure(key=key, label=label, value=stats[key], unit=unit, better=better)
                 for key, label, unit, better in spec)


def report_section(*, start: datetime, end: datetime) -> ReportSection:
    """Searches in ``[start, end)``: volume, zero results, turbo share and timings, top queries
    (k-anonymous, see ``search.selectors.K_ANONYMITY``)."""
    stats = report_search_stats(start=start, end=end)
    rows = tuple(tuple(row[column] for column in QUERY_COLUMNS) for row in stats["top_queries"])
    charts = ()
    if rows:
        charts = (ChartSpec(key="top_queries", title="Top queries", series=tuple(
            ChartSeries(column, tuple((str(row[0]), row[index]) for row in rows))
            for index, column in enumerate(QUERY_COLUMNS) if index)),)
    return ReportSection(
        key="search",
        title="Search",
        figures=_figures(stats, SEARCH_FIGURES),
        tables=(Table(key="top_queries", title="Top queries", columns=QUERY_COLUMNS, rows=rows),),
        charts=charts,
    )


def turbo_section(*, now: datetime | None = None) -> ReportSection:
    """The search index now: size and sync with the catalog, last rebuild, 24 h cache and timings."""
    return ReportSection(key="turbo", title="Turbo status", figures=_figures(turbo_status(now=now), TURBO_FIGURES))
