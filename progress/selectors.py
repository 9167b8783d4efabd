"""Reads of the progress app, shaped for the API, the dashboard pages and the reports.

Costs: every per-learner selector runs a fixed number of queries, O(categories) or O(page),
whatever the length of the learner's history (PERFORMANCE.md P7); streaks are read from the
``LearningStreak`` row the services keep up to date.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.db import connections, router
from django.db.models import Avg, Count, Max, OuterRef, QuerySet, Subquery, Sum
from django.utils import timezone

from accounts.models import UserPreferences
from controlpanel.sql import Converters, column, convert_row, converters_for
from lessons.models import Category, Lesson, LessonProgress
from progress.models import Achievement, LearningStreak, ProgressEvent, UserAchievement, UserProgress

UTC = ZoneInfo("UTC")


def user_time_zone(user) -> ZoneInfo:
    """The learner's time zone from their preferences (UTC when they have none)."""
    try:
        name = user.preferences.time_zone
    except Exception:  # no preferences row yet (RelatedObjectDoesNotExist)
        return UTC
    try:
        return ZoneInfo(name or "UTC")
    except (ValueError, KeyError):
        return UTC


def published_totals() -> dict[int, int]:
    """Published lessons per category id (categories without any are absent)."""
    return dict(
        Lesson.objects.published().values_list("category_id").annotate(n=Count("pk")).order_by()
    )


# --- per category ----------------------------------------------------------------------------

@dataclass(frozen=True)
class CategoryProgress:
    slug: str
    name: str
    order: int
    progress: int
    total_lessons: int
    last_updated: datetime | None

    @property
    def percent(self) -> float:
        return round(100 * self.progress / self.total_lessons, 1) if self.total_lessons else 0.0

    @property
    def is_complete(self) -> bool:
        return self.total_lessons > 0 and self.progress >= self.total_lessons


@lru_cache(maxsize=4)
def _category_progress_statement(alias: str) -> tuple[str, Converters]:
    """Every category in catalog order with this learner's row, if any, in one statement.

    The published-lesson count is only computed (from the ``lesson_cat_pub_diff`` index) for a
    category the learner has no row in yet: a row carries its own total, kept in step with the
    catalog by ``progress.receivers``. Compiled once per database (``controlpanel.sql``).
    """
    connection = connections[alias]
    qn = connection.ops.quote_name

    def c(name: str) -> str:
        return column(connection, Category, name)

    def p(name: str) -> str:
        return column(connection, UserProgress, name)

    def lesson(name: str) -> str:
        return column(connection, Lesson, name)

    sql = (
        f"SELECT c.{c('slug')}, c.{c('name')}, c.{c('order')}, p.{p('progress')}, p.{p('total_lessons')},"
        f" p.{p('last_updated')},"
        f" CASE WHEN p.{p('id')} IS NULL THEN (SELECT COUNT(*) FROM {qn(Lesson._meta.db_table)} l"
        f" WHERE l.{lesson('category')} = c.{c('id')} AND l.{lesson('is_published')} = %s) END"
        f" FROM {qn(Category._meta.db_table)} c LEFT OUTER JOIN {qn(UserProgress._meta.db_table)} p"
        f" ON p.{p('category')} = c.{c('id')} AND p.{p('user')} = %s"
        f" ORDER BY c.{c('order')}, c.{c('name')}"
    )
    return sql, converters_for(connection, UserProgress, ["last_updated"])


def category_progress_list(user) -> list[CategoryProgress]:
    """One row per category, in catalog order, untouched categories at zero; one query."""
    alias = router.db_for_read(UserProgress)
    connection = connections[alias]
    sql, converters = _category_progress_statement(alias)
    with connection.cursor() as cursor:
        cursor.execute(sql, [True, user.pk])
        rows = cursor.fetchall()
    result = []
    for slug, name, order, progress, total, last_updated, published in rows:
        touched = total is not None
        result.append(CategoryProgress(
            slug=slug, name=name, order=order,
            progress=progress if touched else 0,
            total_lessons=total if touched else published,
            last_updated=convert_row(connection, [last_updated], converters)[0] if touched else None,
        ))
    return result


def category_progress_get(user, category: Category) -> CategoryProgress:
    row = UserProgress.objects.filter(user=user, category=category).values("progress", "total_lessons", "last_updated").first()
    total = row["total_lessons"] if row else Lesson.objects.published().filter(category=category).count()
    return CategoryProgress(slug=category.slug, name=category.name, order=category.order,
                            progress=row["progress"] if row else 0, total_lessons=total,
                            last_updated=row["last_updated"] if row else None)


def category_by_slug(slug: str) -> Category | None:
    return Category.objects.filter(slug=slug).first()


# --- history ---------------------------------------------------------------------------------

def progress_history(user, category: Category | str | None = None, since: datetime | None = None,
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


@dataclass(frozen=True)
class DayActivity:
    day: date
    lessons_completed: int
    minutes: int
    progress_events: int


def activity_by_day(user, days: int = 30) -> list[DayActivity]:
    """The last ``days`` local days (today included, oldest first), zeros included; two queries."""
    zone = user_time_zone(user)
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

    @property
    def badges_earned(self) -> list[Badge]:
        return [b for b in self.badges if b.earned]


def badge_list(user) -> list[Badge]:
    """Every achievement, with the learner's award time (None when not earned yet); one query."""
    awarded = UserAchievement.objects.filter(user=user, achievement=OuterRef("pk")).values("awarded_at")[:1]
    return [
        Badge(code=a.code, name=a.name, description=a.description, icon=a.icon, awarded_at=a.awarded_at)
        for a in Achievement.objects.annotate(awarded_at=Subquery(awarded))
    ]


def streak_now(user, zone: ZoneInfo | None = None) -> tuple[int, int, bool]:
    """(current streak, best streak, active today) in the learner's time zone.

    The current streak is alive while its last day is today or yesterday: a learner who has
    not practised yet today has not lost it.
    """
    zone = zone or user_time_zone(user)
    row = LearningStreak.objects.filter(user=user).values("current", "best", "last_day").first()
    if not row or row["last_day"] is None:
        return 0, 0, False
    today = timezone.now().astimezone(zone).date()
    alive = row["last_day"] >= today - timedelta(days=1)
    return (row["current"] if alive else 0), row["best"], row["last_day"] == today


def _week_figures(user, zone: ZoneInfo, first: date, last: date) -> WeekFigures:
    start = datetime.combine(first, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    done = LessonProgress.objects.filter(user=user, completed_at__gte=start, completed_at__lt=end).aggregate(
        n=Count("pk"), seconds=Sum("time_spent_seconds")
    )
    events = ProgressEvent.objects.filter(user=user, created_at__gte=start, created_at__lt=end).count()
    return WeekFigures(starts_on=first, lessons_completed=done["n"], minutes=round((done["seconds"] or 0) / 60),
                       progress_events=events)


def learner_last_activity(user) -> datetime | None:
    """The learner's latest progress event or lesson change."""
    event = ProgressEvent.objects.filter(user=user).order_by("-created_at").values_list("created_at", flat=True).first()
    lesson = LessonProgress.objects.filter(user=user).aggregate(last=Max("updated_at"))["last"]
    return max((t for t in (event, lesson) if t is not None), default=None)


def progress_summary(user) -> ProgressSummary:
    """Everything the summary card and ``progress/summary/`` show; a fixed number of queries."""
    zone = user_time_zone(user)
    categories = category_progress_list(user)
    done = LessonProgress.objects.filter(user=user, status=LessonProgress.Status.COMPLETED).aggregate(
        n=Count("pk"), average=Avg("score")
    )
    total_progress = sum(c.progress for c in categories)
    total_lessons = sum(c.total_lessons for c in categories)
    current, best, active_today = streak_now(user, zone)
    today = timezone.now().astimezone(zone).date()
    monday = today - timedelta(days=today.weekday())
    return ProgressSummary(
        overall_percent=round(100 * total_progress / total_lessons, 1) if total_lessons else 0.0,
        lessons_completed=done["n"],
        lessons_total=Lesson.objects.published().count(),
        average_score=round(done["average"], 4) if done["average"] is not None else None,
        categories_complete=sum(1 for c in categories if c.is_complete),
        categories_total=len(categories),
        current_streak=current,
        best_streak=best,
        active_today=active_today,
        badges=badge_list(user),
        last_activity=learner_last_activity(user),
        this_week=_week_figures(user, zone, monday, today),
        last_week=_week_figures(user, zone, monday - timedelta(days=7), monday - timedelta(days=1)),
    )


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
