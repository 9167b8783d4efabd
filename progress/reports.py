"""The progress app's section of the operator reports."""

from __future__ import annotations

from datetime import datetime

from controlpanel.reporting import ChartSeries, ChartSpec, Figure, ReportSection
from progress.selectors import report_learning_stats

# key, label, better
FIGURES = (
    ("lessons_completed", "Lessons completed", "higher"),
    ("lessons_started", "Lessons started", "higher"),
    ("active_learners", "Active learners", "higher"),
    ("learners_completing", "Learners completing", None),
    ("progress_events", "Progress events", None),
    ("manual_updates", "Manual updates", None),
    ("average_score", "Average score", "higher"),
    ("learners_streak_3", "Learners on a 3-day streak", "higher"),
    ("learners_streak_7", "Learners on a 7-day streak", "higher"),
    ("achievements_awarded", "Achievements awarded", None),
)
# Progress rates, derived from the counts above: key, label, unit, better
RATES = (
    ("completion_rate", "Lessons started in the period and completed by its end", "ratio", "higher"),
    ("lessons_per_active_learner", "Lessons completed per active learner", "x", "higher"),
)


def progress_rates(stats: dict) -> dict[str, float | None]:
    """The share of lessons started in the period that were completed by its end, and completions
    per active learner (``None`` when there is nothing to divide by)."""
    started, learners, completed = stats["lessons_started"], stats["active_learners"], stats["lessons_completed"]
    return {
        "completion_rate": round(stats["started_and_completed"] / started, 4) if started else None,
        "lessons_per_active_learner": round(completed / learners, 2) if learners else None,
    }
MAX_CATEGORIES = 20


def report_section(*, start: datetime, end: datetime) -> ReportSection:
    """Learning in ``[start, end)``: completions, learners, scores, streaks, completions per category."""
    stats = report_learning_stats(start=start, end=end)
    rates = progress_rates(stats)
    by_category = stats["completions_by_category"]
    charts = ()
    if by_category:
        points = tuple((slug, count) for slug, count in list(by_category.items())[:MAX_CATEGORIES])
        charts = (ChartSpec(key="completions_by_category", title="Completions by category",
                            series=(ChartSeries("This period", points),), compare=True),)
    return ReportSection(
        key="learning",
        title="Learning",
        figures=tuple(Figure(key=key, label=label, value=stats[key], better=better) for key, label, better in FIGURES)
        + tuple(Figure(key=key, label=label, value=rates[key], unit=unit, better=better)
                for key, label, unit, better in RATES),
        charts=charts,
    )
