"""The summary's hand-written window statements equal the ORM's expressions on generated histories."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db.models import Avg, Count, Max, Q, Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lessons.models import Lesson, LessonProgress
from progress import fastpaths
from progress.models import ProgressEvent
from tests.lessons.factories import CategoryFactory, LessonFactory

pytestmark = pytest.mark.django_db

BASE = datetime(2026, 3, 2, tzinfo=UTC)
LESSONS = 6
offsets = st.integers(min_value=-30 * 24, max_value=30 * 24).map(lambda hours: BASE + timedelta(hours=hours, seconds=17))
rows = st.lists(st.fixed_dictionaries({
    "status": st.sampled_from(LessonProgress.Status.values),
    "score": st.none() | st.sampled_from([0.0, 0.25, 0.5, 1.0]),
    "seconds": st.integers(min_value=0, max_value=5000),
    "completed_at": st.none() | offsets,
}), max_size=LESSONS)
windows = st.lists(st.tuples(offsets, st.integers(min_value=0, max_value=14 * 24)), min_size=1, max_size=3).map(
    lambda pairs: {f"w{i}": (start, start + timedelta(hours=hours)) for i, (start, hours) in enumerate(pairs)})


@pytest.fixture
def lessons(db):
    category = CategoryFactory()
    return LessonFactory.create_batch(LESSONS, category=category)


def orm_lesson_figures(user, windows):
    """The ORM expression the statement replaces: conditional aggregates over the learner's rows."""
    counted = LessonProgress.objects.counted().filter(user=user).values("pk")
    figures = {"average": Avg("score", filter=Q(pk__in=counted)), "last": Max("updated_at")}
    for name, (start, end) in windows.items():
        window = Q(completed_at__gte=start, completed_at__lt=end)
        figures[f"{name}_n"] = Count("pk", filter=window)
        figures[f"{name}_seconds"] = Sum("time_spent_seconds", filter=window)
    return LessonProgress.objects.filter(user=user).aggregate(**figures)


def orm_event_figures(user, windows, since):
    events = ProgressEvent.objects.filter(user=user, created_at__gte=since)
    return events.aggregate(last=Max("created_at"), **{
        f"{name}_n": Count("pk", filter=Q(created_at__gte=start, created_at__lt=end))
        for name, (start, end) in windows.items()})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=rows, unpublished=st.sets(st.integers(0, LESSONS - 1)), event_moments=st.lists(offsets, max_size=25),
       windows=windows, since=offsets)
def test_window_statements_equal_the_orm(user, other_user, lessons, records, unpublished, event_moments, windows, since):
    LessonProgress.objects.all().delete()
    ProgressEvent.objects.all().delete()
    Lesson.objects.update(is_published=True)
    Lesson.objects.filter(pk__in=[lessons[i].pk for i in unpublished]).update(is_published=False)
    for learner in (user, other_user):  # another learner's rows must never count
        LessonProgress.objects.bulk_create([
            LessonProgress(user=learner, lesson=lesson, status=r["status"], score=r["score"],
                           time_spent_seconds=r["seconds"], completed_at=r["completed_at"])
            for lesson, r in zip(lessons, records, strict=False)])
        ProgressEvent.objects.bulk_create([
            ProgressEvent(user=learner, category=lessons[0].category, previous=0, new=1,
                          source=ProgressEvent.Source.MANUAL, created_at=moment)
            for moment in event_moments])

    fast = fastpaths.lesson_window_figures(user_id=user.pk, windows=windows)
    orm = orm_lesson_figures(user, windows)
    assert fast.keys() == orm.keys()
    assert fast["average"] == pytest.approx(orm["average"]) if orm["average"] is not None else fast["average"] is None
    assert {k: v for k, v in fast.items() if k != "average"} == {k: v for k, v in orm.items() if k != "average"}
    assert fastpaths.event_window_figures(user_id=user.pk, windows=windows, since=since) == \
        orm_event_figures(user, windows, since)


def orm_category_rows(user, categories):
    """The ORM expression ``fastpaths.category_rows`` replaces: correlated subqueries per category."""
    from django.db.models import OuterRef, Subquery
    from django.db.models.functions import Coalesce

    from progress.models import UserProgress

    mine = LessonProgress.objects.counted().filter(user=user, lesson__category=OuterRef("pk")).order_by()
    published = Lesson.objects.published().filter(category=OuterRef("pk")).order_by()
    marker = UserProgress.objects.filter(user=user, category=OuterRef("pk"))
    return list(categories.annotate(
        total=Coalesce(Subquery(published.values("category").annotate(n=Count("pk")).values("n")), 0),
        done=Coalesce(Subquery(mine.values("lesson__category").annotate(n=Count("pk")).values("n")), 0),
        done_at=Subquery(mine.values("lesson__category").annotate(last=Max("completed_at")).values("last")),
        marked=Subquery(marker.values("marked")[:1]),
        marked_at=Subquery(marker.values("last_updated")[:1]),
    ).order_by("order", "name").values_list("slug", "name", "order", "total", "done", "done_at", "marked", "marked_at"))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=st.lists(st.tuples(st.integers(0, 8), st.sampled_from(LessonProgress.Status.values), offsets,
                                  st.booleans()), max_size=12),
       unpublished=st.sets(st.integers(0, 8)), markers=st.dictionaries(st.integers(0, 2), st.integers(0, 5)),
       orders=st.lists(st.integers(0, 2), min_size=3, max_size=3))
def test_category_rows_equal_the_orm(user, other_user, records, unpublished, markers, orders):
    from lessons.models import Category
    from progress.models import UserProgress

    LessonProgress.objects.all().delete()
    UserProgress.objects.all().delete()
    Lesson.objects.all().delete()
    Category.objects.all().delete()
    categories = [CategoryFactory(order=order, name=f"Category {index}") for index, order in enumerate(orders)]
    lessons = [LessonFactory(category=categories[index % 3], is_published=index not in unpublished) for index in range(9)]
    for index, status, moment, theirs in records:
        completed = moment if status == LessonProgress.Status.COMPLETED else None
        LessonProgress.objects.update_or_create(user=other_user if theirs else user, lesson=lessons[index],
                                                defaults={"status": status, "completed_at": completed})
    for index, marked in markers.items():
        UserProgress.objects.create(user=user, category=categories[index], marked=marked, last_updated=BASE)
    assert fastpaths.category_rows(user_id=user.pk) == orm_category_rows(user, Category.objects.all())
    for category in categories:
        assert fastpaths.category_rows(user_id=user.pk, category_id=category.pk) == orm_category_rows(
            user, Category.objects.filter(pk=category.pk))


def orm_badge_rows(user):
    """The ORM expression ``fastpaths.badge_rows`` replaces: each achievement with a correlated award subquery."""
    from django.db.models import OuterRef, Subquery

    from progress.models import Achievement, UserAchievement

    awarded = UserAchievement.objects.filter(user=user, achievement=OuterRef("pk")).values("awarded_at")[:1]
    return list(Achievement.objects.annotate(awarded_at=Subquery(awarded)).order_by("order", "name", "id")
                .values_list("code", "name", "description", "icon", "awarded_at"))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(achievements=st.lists(st.tuples(st.integers(0, 2), st.sampled_from(["Ink", "Clay", "Light"])), max_size=7),
       mine=st.dictionaries(st.integers(0, 6), offsets), theirs=st.sets(st.integers(0, 6)))
def test_badge_rows_equal_the_orm(user, other_user, achievements, mine, theirs):
    from progress.models import Achievement, UserAchievement

    UserAchievement.objects.all().delete()
    Achievement.objects.all().delete()
    made = [Achievement.objects.create(code=f"badge-{index}", name=name, description=f"About {name}", order=order)
            for index, (order, name) in enumerate(achievements)]
    for index, moment in mine.items():
        if index < len(made):
            UserAchievement.objects.create(user=user, achievement=made[index], awarded_at=moment)
    for index in theirs:  # another learner's awards must never show
        if index < len(made):
            UserAchievement.objects.create(user=other_user, achievement=made[index], awarded_at=BASE)
    rows = fastpaths.badge_rows(user_id=user.pk)
    assert rows == orm_badge_rows(user)
    assert sum(awarded is not None for *_, awarded in rows) == len([i for i in mine if i < len(made)])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mine=st.none() | st.tuples(st.integers(0, 400), st.integers(0, 400), st.none() | st.dates()),
       theirs=st.booleans())
def test_streak_row_equals_the_orm(user, other_user, mine, theirs):
    from progress.models import LearningStreak

    LearningStreak.objects.all().delete()
    if mine is not None:
        current, best = sorted(mine[:2])  # the database holds current <= best
        LearningStreak.objects.create(user=user, current=current, best=best, last_day=mine[2])
    if theirs:  # another learner's streak must never show
        LearningStreak.objects.create(user=other_user, current=7, best=9, last_day=BASE.date())
    expected = LearningStreak.objects.filter(user=user).values_list("current", "best", "last_day").first()
    assert fastpaths.streak_row(user_id=user.pk) == expected
