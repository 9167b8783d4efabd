"""progress/summary/: percentages, streaks in the learner's time zone, badges, weeks."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from accounts.models import UserPreferences
from progress.models import UserAchievement
from progress.selectors import activity_by_day, progress_summary
from progress.services import achievements_award, lesson_complete
from tests.lessons.factories import CategoryFactory, LessonFactory, lesson_with_checks, right_answers, wrong_answers

pytestmark = pytest.mark.django_db


def local_noon(zone_name: str, days_ago: int) -> datetime:
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(zone_name)
    day = timezone.now().astimezone(zone).date() - timedelta(days=days_ago)
    return datetime(day.year, day.month, day.day, 12, tzinfo=zone)


def test_summary_of_a_new_learner_is_all_zeros(auth_client, catalog):
    body = auth_client.get("/api/v1/progress/summary/").json()
    assert body["overall_percent"] == 0.0
    assert (body["lessons_completed"], body["lessons_total"]) == (0, 36)
    assert (body["categories_complete"], body["categories_total"]) == (0, 6)
    assert body["streak"] == {"current": 0, "best": 0, "active_today": False}
    assert body["badges"] == [] and len(body["all_badges"]) == 9
    assert body["last_activity"] is None and body["average_score"] is None
    assert body["this_week"]["lessons_completed"] == 0 and body["last_week"]["lessons_completed"] == 0


def test_summary_moves_with_completions_and_never_with_a_self_paced_marker(auth_client, catalog):
    lesson = catalog["music-rhythm-steady-pulse"]
    answers = [c.answer for c in lesson.checks.all()]
    auth_client.post(f"/api/v1/lessons/{lesson.slug}/complete/", {"answers": answers}, format="json")
    auth_client.put("/api/v1/progress/photography/", {"progress": 6}, format="json")
    body = auth_client.get("/api/v1/progress/summary/").json()
    assert body["overall_percent"] == round(100 * 1 / 36, 1)
    assert (body["lessons_completed"], body["average_score"], body["categories_complete"]) == (1, 1.0, 0)
    assert body["streak"] == {"current": 1, "best": 1, "active_today": True}
    assert body["this_week"]["lessons_completed"] == 1 and body["this_week"]["progress_events"] == 2
    assert body["last_activity"] is not None


def test_streaks_count_consecutive_local_days_in_the_learners_time_zone(user):
    UserPreferences.objects.filter(user=user).update(time_zone="Pacific/Kiritimati")  # UTC+14
    user.refresh_from_db()
    category = CategoryFactory()
    lessons = LessonFactory.create_batch(6, category=category)
    # Local noon in UTC+14 is 22:00 UTC the day before: days are counted on the learner's calendar.
    # Three days in a row, a gap, then yesterday and today.
    for lesson, days_ago in zip(lessons, (6, 5, 4, 1, 0), strict=False):
        lesson_complete(user=user, lesson=lesson, answers=right_answers(lesson), at=min(local_noon("Pacific/Kiritimati", days_ago), timezone.now()))
    summary = progress_summary(user=type(user).objects.get(pk=user.pk))
    assert (summary.current_streak, summary.best_streak, summary.active_today) == (2, 3, True)


def test_two_completions_late_evening_and_early_morning_local_are_two_days(user):
    UserPreferences.objects.filter(user=user).update(time_zone="America/Los_Angeles")
    user = type(user).objects.get(pk=user.pk)
    category = CategoryFactory()
    a, b = LessonFactory.create_batch(2, category=category)
    # 23:30 and 07:30 local on consecutive days (both on the same UTC day would be wrong).
    evening = local_noon("America/Los_Angeles", 3) + timedelta(hours=11, minutes=30)
    lesson_complete(user=user, lesson=a, answers=right_answers(a), at=evening)
    lesson_complete(user=user, lesson=b, answers=right_answers(b), at=evening + timedelta(hours=8))
    summary = progress_summary(user=user)
    assert summary.best_streak == 2 and summary.current_streak == 0


def test_a_backdated_completion_between_days_recounts_the_streak(user):
    category = CategoryFactory()
    a, b, c = LessonFactory.create_batch(3, category=category)
    lesson_complete(user=user, lesson=a, answers=right_answers(a), at=local_noon("UTC", 2))
    lesson_complete(user=user, lesson=b, answers=right_answers(b), at=local_noon("UTC", 0))
    lesson_complete(user=user, lesson=c, answers=right_answers(c), at=local_noon("UTC", 1))
    summary = progress_summary(user=user)
    assert (summary.current_streak, summary.best_streak) == (3, 3)


def test_activity_by_day_has_one_entry_per_local_day_with_zeros(user):
    category = CategoryFactory()
    a, b = LessonFactory.create_batch(2, category=category, minutes=20)
    lesson_complete(user=user, lesson=a, answers=right_answers(a), at=local_noon("UTC", 2))
    lesson_complete(user=user, lesson=b, answers=right_answers(b), at=local_noon("UTC", 2) + timedelta(hours=1))
    days = activity_by_day(user=user, days=7)
    assert len(days) == 7 and days[-1].day == timezone.now().date()
    assert [d.lessons_completed for d in days] == [0, 0, 0, 0, 2, 0, 0]
    assert days[4].minutes == 40 and days[4].progress_events == 2


def test_achievements_are_awarded_after_commit_and_listed_in_the_summary(
        auth_client, catalog, django_capture_on_commit_callbacks):
    lesson = catalog["drawing-blind-contour"]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        auth_client.post(f"/api/v1/lessons/{lesson.slug}/complete/",
                         {"answers": [c.answer for c in lesson.checks.all()]}, format="json")
    assert len(callbacks) == 1
    badges = auth_client.get("/api/v1/progress/summary/").json()["badges"]
    assert {b["code"] for b in badges} == {"first-lesson", "perfect-score"}
    assert all(b["earned"] and b["awarded_at"] for b in badges)


def test_each_achievement_is_awarded_once(user, catalog):
    lesson = catalog["drawing-blind-contour"]
    lesson_complete(user=user, lesson=lesson, answers=wrong_answers(lesson))
    assert [a.achievement.code for a in achievements_award(user=user)] == ["first-lesson"]
    assert achievements_award(user=user) == []
    assert UserAchievement.objects.filter(user=user).count() == 1


def test_category_complete_streak_and_stretch_badges(user):
    category = CategoryFactory()
    lessons = [LessonFactory(category=category, difficulty=d) for d in (1, 3, 5)]
    for lesson, days_ago in zip(lessons, (2, 1, 0), strict=True):
        lesson_complete(user=user, lesson=lesson, answers=right_answers(lesson), at=local_noon("UTC", days_ago))
    codes = {a.achievement.code for a in achievements_award(user=user)}
    assert {"first-lesson", "category-complete", "streak-3", "stretch", "explorer"} <= codes
    assert "streak-7" not in codes and "five-lessons" not in codes


def test_summary_runs_a_fixed_number_of_queries_whatever_the_history(user, django_assert_max_num_queries):
    category = CategoryFactory()
    lessons = LessonFactory.create_batch(40, category=category)
    start = timezone.now() - timedelta(days=60)
    for i, lesson in enumerate(lessons):
        lesson_complete(user=user, lesson=lesson, answers=right_answers(lesson), at=start + timedelta(days=i, hours=1))
    user = type(user).objects.select_related("preferences").get(pk=user.pk)
    with django_assert_max_num_queries(12):
        summary = progress_summary(user=user)
    assert summary.lessons_completed == 40 and summary.best_streak == 40


def test_week_and_today_figures_count_local_days_and_last_activity_reaches_back_past_them(user):
    from progress.models import ProgressEvent
    from progress.services import progress_mark

    zone_name = "Pacific/Auckland"
    UserPreferences.objects.filter(user=user).update(time_zone=zone_name)
    category = CategoryFactory()
    lessons = [lesson_with_checks(2, category=category) for _ in range(8)]
    progress_mark(user=user, category=category, marked=1, at=timezone.now() - timedelta(days=40))
    learner = type(user).objects.get(pk=user.pk)
    old = progress_summary(user=learner)
    assert old.last_activity == ProgressEvent.objects.get(user=user).created_at  # no event in the last two weeks
    assert (old.this_week.progress_events, old.last_week.progress_events) == (0, 0)

    days_ago = (0, 1, 3, 6, 8, 12, 16, 30)
    moments = [min(local_noon(zone_name, d), timezone.now()) for d in days_ago]
    for lesson, moment, right in zip(lessons, moments, (True, False) * 4, strict=True):
        lesson_complete(user=user, lesson=lesson, answers=right_answers(lesson) if right else wrong_answers(lesson),
                        at=moment)
    lessons[1].is_published = False
    lessons[1].save()
    summary = progress_summary(user=type(user).objects.get(pk=user.pk))

    from zoneinfo import ZoneInfo

    today = timezone.now().astimezone(ZoneInfo(zone_name)).date()
    monday = today - timedelta(days=today.weekday())
    local_days = [m.astimezone(ZoneInfo(zone_name)).date() for m in moments]
    assert summary.this_week.starts_on == monday and summary.last_week.starts_on == monday - timedelta(days=7)
    assert summary.this_week.lessons_completed == sum(monday <= d <= today for d in local_days)
    assert summary.last_week.lessons_completed == sum(monday - timedelta(days=7) <= d < monday for d in local_days)
    assert summary.daily_goal.lessons_today == sum(d == today for d in local_days) == 1
    assert summary.this_week.progress_events == summary.this_week.lessons_completed
    records = {r.lesson_id: r for r in user.lesson_progress.all()}
    counted = [records[lesson.pk].score for lesson in lessons if lesson.is_published]
    scored = [score for score in counted if score is not None]
    assert summary.average_score == round(sum(scored) / len(scored), 4) == 0.5714  # 4 of 7: the unpublished 0.0 is not counted
    assert summary.daily_goal.today_minutes == round(records[lessons[0].pk].time_spent_seconds / 60)
    assert summary.last_activity == max(r.updated_at for r in records.values())


def test_the_dashboard_home_reads_the_category_figures_once(client, user, catalog):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from lessons.models import Category

    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/home/")
    assert response.status_code == 200
    page = response.content.decode()
    assert all(name in page for name in Category.objects.values_list("name", flat=True))  # every bar is shown
    category_rows = [q["sql"] for q in queries.captured_queries
                     if q["sql"].lstrip().startswith('SELECT "lessons_category"."slug", "lessons_category"."name"')]
    assert len(category_rows) == 1, category_rows
