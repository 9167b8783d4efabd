"""Reads of the progress app, shaped for the API, the dashboard pages and the reports.

Costs: every per-learner selector runs a fixed number of queries, O(categories) or O(page),
whatever the length of the learner's history (docs/performance.md, P7); streaks are read from the
``LearningStreak`` row the services keep up to date.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Avg, Count, QuerySet
from django.utils import timezone

from accounts.models import User, UserPreferences
from accounts.selectors import preferences_of
from lessons.models import Category, Lesson, LessonProgress, mastery_of
from progress import fastpaths
from progress.models import ProgressEvent, UserAchievement

UTC = ZoneInfo("UTC")


def user_time_zone(*, user: User) -> ZoneInfo:
    """The learner's time zone from their preferences (UTC when they have none)."""
    return _zone_of(preferences_of(user=user))


def published_totals() -> dict[int, int]:
    """Published lessons per category id (categories without any are absent)."""
    return dict(
        Lesson.objects.published().values_list("category_id").annotate(n=Count("pk")).order_by()
    )


# --- per category ----------------------------------------------------------------------------

@dataclass(frozen=True)
class CategoryProgress:
    """A learner's progress in one category: completed lessons (counted) of its published lessons.

    ``progress`` is always counted from completions; ``marked`` is the learner's self-paced
    marker (None when never set), shown beside it and never added to it.
    """

    slug: str
    name: str
    order: int
    progress: int
    total_lessons: int
    last_updated: datetime | None
    marked: int | None = None

    @property
    def percent(self) -> float:
        return round(100 * self.progress / self.total_lessons, 1) if self.total_lessons else 0.0

    @property
    def is_complete(self) -> bool:
        return self.total_lessons > 0 and self.progress >= self.total_lessons


def counted_in_category(*, user: User, category_id: int) -> int:
    """The learner's counted completions in one category (the figure every view shows)."""
    return LessonProgress.objects.counted().filter(user=user, lesson__category_id=category_id).count()


def _category_rows(user: User, category_id: int | None = None) -> list[CategoryProgress]:
    return [
        CategoryProgress(
            slug=slug, name=name, order=order, progress=done, total_lessons=total,
            last_updated=max((t for t in (done_at, marked_at) if t is not None), default=None),
            marked=None if marked is None else min(marked, total),
        )
        for slug, name, order, total, done, done_at, marked, marked_at in fastpaths.category_rows(
            user_id=user.pk, category_id=category_id)
    ]


def category_progress_list(*, user: User) -> list[CategoryProgress]:
    """One row per category, in catalog order, untouched categories at zero; one query."""
    return _category_rows(user)


def category_progress_get(*, user: User, category: Category) -> CategoryProgress:
    return _category_rows(user, category.pk)[0]


def category_by_slug(*, slug: str) -> Category | None:
    return Category.objects.filter(slug=slug).first()


# --- history ---------------------------------------------------------------------------------

def progress_history(*, user: User, category: Category | str | None = None, since: datetime | None = None,
                     until: datetime | None = None) -> QuerySet[ProgressEvent]:
    """The learner's progress events, newest first; ``since`` inclusive, ``until`` exclusive."""
    qs = (
        ProgressEvent.objects.filter(user=user)
        .select_related("category", "lesson")
        .only("id", "previous", "new", "source", "created_at", "category__slug", "category__name",
              "lesson__slug", "lesson__title")
    )
    if isinstance(category, Category):
        qs = qs.filter(category=category)
    elif category:
        qs = qs.filter(category__slug=category)
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    if until is not None:
        qs = qs.filter(created_at__lt=until)
    return qs.order_by("-created_at", "-id")


HISTORY_FIELDS = ("id", "previous", "new", "source", "created_at", "category__slug", "category__name",
                  "lesson__slug", "lesson__title")


def progress_history_rows(*, user: User, category: Category | str | None = None, since: datetime | None = None,
                          until: datetime | None = None) -> QuerySet[dict]:
    """:func:`progress_history` as rows, one dict of ``HISTORY_FIELDS`` per event (``lesson__slug`` None for an
    event without a lesson): a page of the API reads them without building an event, its category and its
    lesson as models, which cost as much as the rest of the page."""
    return progress_history(user=user, category=category, since=since, until=until).values(*HISTORY_FIELDS)


@dataclass(frozen=True)
class DayActivity:
    day: date
    lessons_completed: int
    minutes: int
    progress_events: int


def activity_by_day(*, user: User, days: int = 30) -> list[DayActivity]:
    """The last ``days`` local days (today included, oldest first), zeros included; two queries."""
    zone = user_time_zone(user=user)
    today = timezone.now().astimezone(zone).date()
    first = today - timedelta(days=days - 1)
    start = datetime.combine(first, datetime.min.time(), tzinfo=zone)
    completions = LessonProgress.objects.filter(user=user, completed_at__gte=start).values_list(
        "completed_at", "time_spent_seconds"
    )
    done: Counter = Counter()
    seconds: Counter = Counter()
    for moment, spent in completions:
        day = moment.astimezone(zone).date()
        done[day] += 1
        seconds[day] += spent
    events = Counter(
        moment.astimezone(zone).date()
        for moment in ProgressEvent.objects.filter(user=user, created_at__gte=start).values_list("created_at", flat=True)
    )
    return [
        DayActivity(day=d, lessons_completed=done[d], minutes=round(seconds[d] / 60), progress_events=events[d])
        for d in (first + timedelta(days=i) for i in range(days))
    ]


# --- summary ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Badge:
    code: str
    name: str
    description: str
    icon: str
    awarded_at: datetime | None

    @property
    def earned(self) -> bool:
        return self.awarded_at is not None


@dataclass(frozen=True)
class WeekFigures:
    starts_on: date
    lessons_completed: int
    minutes: int
    progress_events: int


@dataclass(frozen=True)
class DailyGoal:
    """Today's practice against the learner's daily goal (minutes of completed lessons, local day)."""

    goal_minutes: int
    today_minutes: int
    lessons_today: int

    @property
    def met(self) -> bool:
        return self.today_minutes >= self.goal_minutes

    @property
    def percent(self) -> float:
        return min(100.0, round(100 * self.today_minutes / self.goal_minutes, 1)) if self.goal_minutes else 100.0


@dataclass(frozen=True)
class ProgressSummary:
    overall_percent: float
    lessons_completed: int
    lessons_total: int
    average_score: float | None
    categories_complete: int
    categories_total: int
    current_streak: int
    best_streak: int
    active_today: bool
    badges: list[Badge]
    last_activity: datetime | None
    this_week: WeekFigures
    last_week: WeekFigures
    daily_goal: DailyGoal

    @property
    def badges_earned(self) -> list[Badge]:
        return [b for b in self.badges if b.earned]


def badge_list(*, user: User) -> list[Badge]:
    """Every achievement in catalog order, with the learner's award time (None when not earned yet); one query."""
    return [
        Badge(code=code, name=name, description=description, icon=icon, awarded_at=awarded_at)
        for code, name, description, icon, awarded_at in fastpaths.badge_rows(user_id=user.pk)
    ]


def streak_now(*, user: User, zone: ZoneInfo | None = None) -> tuple[int, int, bool]:
    """(current streak, best streak, active today) in the learner's time zone.

    The current streak is alive while its last day is today or yesterday: a learner who has
    not practised yet today has not lost it.
    """
    zone = zone or user_time_zone(user=user)
    row = fastpaths.streak_row(user_id=user.pk)
    if row is None or row[2] is None:
        return 0, 0, False
    current, best, last_day = row
    today = timezone.now().astimezone(zone).date()
    alive = last_day >= today - timedelta(days=1)
    return (current if alive else 0), best, last_day == today


def _zone_of(preferences: UserPreferences) -> ZoneInfo:
    try:
        return ZoneInfo(preferences.time_zone or "UTC")
    except (ValueError, KeyError):
        return UTC


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=zone)


def _week(figures: dict, events: dict, window: str, starts_on: date) -> WeekFigures:
    return WeekFigures(starts_on=starts_on, lessons_completed=figures[f"{window}_n"],
                       minutes=round((figures[f"{window}_seconds"] or 0) / 60), progress_events=events[f"{window}_n"])


def daily_goal_minutes(*, user: User) -> int:
    return preferences_of(user=user).daily_goal_minutes


def progress_summary(*, user: User, categories: list[CategoryProgress] | None = None) -> ProgressSummary:
    """Everything the summary card and ``progress/summary/`` show, in six queries whatever the history.

    ``categories``, when the caller has them (``category_progress_list`` for the same user, read
    in the same request), are used rather than read again.

    Every "N of M" figure is the sum of ``category_progress_list``: counted completions of
    published lessons, the same numbers the category bars show. The three windows (this week,
    last week, today; local days) are conditional aggregates of one statement over the learner's
    lesson rows (O(lessons)) and one over the last two weeks of their events (``fastpaths``),
    which also gives the latest event whenever there is one in that time (otherwise one
    indexed lookup).
    """
    preferences = preferences_of(user=user)
    zone = _zone_of(preferences)
    categories = category_progress_list(user=user) if categories is None else categories
    today = timezone.now().astimezone(zone).date()
    monday = today - timedelta(days=today.weekday())
    tomorrow = _local_midnight(today + timedelta(days=1), zone)
    windows = {
        "this": (_local_midnight(monday, zone), tomorrow),
        "last": (_local_midnight(monday - timedelta(days=7), zone), _local_midnight(monday, zone)),
        "today": (_local_midnight(today, zone), tomorrow),
    }
    lessons = fastpaths.lesson_window_figures(user_id=user.pk, windows=windows)
    events = fastpaths.event_window_figures(user_id=user.pk, windows=windows, since=windows["last"][0])
    last_event = events["last"]
    if last_event is None:
        last_event = (ProgressEvent.objects.filter(user=user).order_by("-created_at")
                      .values_list("created_at", flat=True).first())
    current, best, active_today = streak_now(user=user, zone=zone)
    total_progress = sum(c.progress for c in categories)
    total_lessons = sum(c.total_lessons for c in categories)
    average = lessons["average"]
    today_figures = _week(lessons, events, "today", today)
    return ProgressSummary(
        overall_percent=round(100 * total_progress / total_lessons, 1) if total_lessons else 0.0,
        lessons_completed=total_progress,
        lessons_total=total_lessons,
        average_score=round(average, 4) if average is not None else None,
        categories_complete=sum(1 for c in categories if c.is_complete),
        categories_total=len(categories),
        current_streak=current,
        best_streak=best,
        active_today=active_today,
        badges=badge_list(user=user),
        last_activity=max((t for t in (last_event, lessons["last"]) if t is not None), default=None),
        this_week=_week(lessons, events, "this", monday),
        last_week=_week(lessons, events, "last", monday - timedelta(days=7)),
        daily_goal=DailyGoal(goal_minutes=preferences.daily_goal_minutes, today_minutes=today_figures.minutes,
                             lessons_today=today_figures.lessons_completed),
    )


# --- charts and per-lesson records -------------------------------------------------------------

def category_series(*, user: User, categories: list[CategoryProgress], days: int) -> tuple[list[date], dict[str, list[int]]]:
    """Each category's counted completions at the end of each of the last ``days`` local days.

    Counted from the same rows as ``category_progress_list`` (completions of published
    lessons, by ``completed_at``), so the last point of every series is the figure the bars
    show and no series ever goes down. O(completed lessons), never O(history events).
    """
    zone = user_time_zone(user=user)
    today = timezone.now().astimezone(zone).date()
    day_list = [today - timedelta(days=days - 1 - i) for i in range(days)]
    first = day_list[0]
    before: Counter = Counter()
    per_day: dict[str, Counter] = defaultdict(Counter)
    for slug, moment in LessonProgress.objects.counted().filter(user=user).values_list("lesson__category__slug",
                                                                                        "completed_at"):
        day = moment.astimezone(zone).date()
        if day < first:
            before[slug] += 1
        else:
            per_day[slug][min(day, today)] += 1
    series = {}
    for c in categories:
        value, points = before[c.slug], []
        for day in day_list:
            value += per_day[c.slug][day]
            points.append(value)
        series[c.slug] = points
    return day_list, series


@dataclass(frozen=True)
class LessonRecord:
    """One lesson the learner has worked on, as the progress page lists it (Open edX's progress table)."""

    slug: str
    title: str
    category_slug: str
    category_name: str
    status: str
    mastery: str
    score: float | None
    best_score: float | None
    attempts: int
    completed_at: datetime | None


def lesson_records(*, user: User) -> list[LessonRecord]:
    """The learner's lessons (published ones, started or completed) with scores and mastery, catalog order."""
    rows = (LessonProgress.objects.filter(user=user, lesson__is_published=True)
            .exclude(status=LessonProgress.Status.NOT_STARTED)
            .order_by("lesson__category__order", "lesson__difficulty", "lesson__title")
            .values_list("lesson__slug", "lesson__title", "lesson__category__slug", "lesson__category__name",
                         "status", "score", "best_score", "attempts", "completed_at"))
    return [
        LessonRecord(slug=slug, title=title, category_slug=cat_slug, category_name=cat_name, status=status,
                     mastery=mastery_of(status=status, best_score=best), score=score, best_score=best,
                     attempts=attempts, completed_at=completed_at)
        for slug, title, cat_slug, cat_name, status, score, best, attempts, completed_at in rows
    ]


# --- reports ---------------------------------------------------------------------------------

def _run_ending(days: set[date], last: date) -> int:
    """Length of the run of consecutive days ending on ``last`` (or the day before it)."""
    if last not in days:
        last -= timedelta(days=1)
    run = 0
    while last in days:
        run += 1
        last -= timedelta(days=1)
    return run


def report_learning_stats(*, start: datetime, end: datetime) -> dict:
    """Learning figures for [start, end), JSON-serialisable, for the periodic reports.

    Streak figures count learners whose streak (in their own time zone) is at least 3 / 7
    days at ``end``; they read only the last eight days of completions.
    """
    completed = LessonProgress.objects.filter(completed_at__gte=start, completed_at__lt=end)
    figures = completed.aggregate(n=Count("pk"), average=Avg("score"), learners=Count("user", distinct=True))
    by_category = dict(completed.values_list("lesson__category__slug").annotate(n=Count("pk")).order_by())
    events = ProgressEvent.objects.filter(created_at__gte=start, created_at__lt=end)
    event_learners = set(events.values_list("user_id", flat=True).distinct())
    completion_learners = set(completed.values_list("user_id", flat=True).distinct())
    started = LessonProgress.objects.filter(started_at__gte=start, started_at__lt=end)
    recent = LessonProgress.objects.filter(completed_at__gte=end - timedelta(days=9), completed_at__lt=end)
    moments: dict[int, list[datetime]] = defaultdict(list)
    for user_id, moment in recent.values_list("user_id", "completed_at"):
        moments[user_id].append(moment)
    zones = dict(UserPreferences.objects.filter(user_id__in=list(moments)).values_list("user_id", "time_zone"))
    last_instant = end - timedelta(microseconds=1)
    streaks = []
    for user_id, times in moments.items():
        try:
            zone = ZoneInfo(zones.get(user_id) or "UTC")
        except (ValueError, KeyError):
            zone = UTC
        days = {t.astimezone(zone).date() for t in times}
        streaks.append(_run_ending(days, last_instant.astimezone(zone).date()))
    return {
        "lessons_completed": figures["n"],
        "lessons_started": started.count(),
        "started_and_completed": started.filter(completed_at__isnull=False, completed_at__lt=end).count(),
        "active_learners": len(event_learners | completion_learners | set(started.values_list("user_id", flat=True).distinct())),
        "learners_completing": figures["learners"],
        "progress_events": events.count(),
        "manual_updates": events.filter(source=ProgressEvent.Source.MANUAL).count(),
        "completions_by_category": {slug: by_category.get(slug, 0) for slug in Category.objects.values_list("slug", flat=True)},
        "average_score": round(figures["average"], 4) if figures["average"] is not None else None,
        "learners_streak_3": sum(1 for s in streaks if s >= 3),
        "learners_streak_7": sum(1 for s in streaks if s >= 7),
        "achievements_awarded": UserAchievement.objects.filter(awarded_at__gte=start, awarded_at__lt=end).count(),
    }
