"""seed_demo: demo learners with backdated, consistent activity; a no-op when already seeded."""

from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.db.models import Count, F
from django.utils import timezone

from accounts.models import User
from lessons.models import LessonProgress
from progress.models import LearningStreak, ProgressEvent, UserAchievement, UserProgress
from progress.selectors import progress_summary

pytestmark = pytest.mark.django_db


def seed(*args) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def test_seed_demo_needs_the_catalog():
    with pytest.raises(CommandError, match="load_lessons"):
        seed("--learners", "1")


def test_seed_demo_creates_learners_with_90_days_of_consistent_history(catalog):
    out = seed("--learners", "3", "--days", "90", "--seed", "7")
    assert "demo / crazy-diamonds-demo" in out
    demo = User.objects.get(username="demo")
    assert authenticate(username="demo", password="crazy-diamonds-demo") == demo
    now = timezone.now()
    for user in User.objects.filter(username__startswith="demo"):
        events = ProgressEvent.objects.filter(user=user)
        assert events.exists()
        assert not events.filter(created_at__gt=now).exists()
        assert not LessonProgress.objects.filter(user=user, completed_at__gt=now).exists()
        assert not UserProgress.objects.filter(user=user, progress__gt=F("total_lessons")).exists()
        # One lesson event per completed lesson; every row's progress is its last event's value.
        done = LessonProgress.objects.filter(user=user, status="completed").count()
        assert events.filter(source="lesson").count() == done
        for row in UserProgress.objects.filter(user=user):
            last = events.filter(category=row.category).order_by("-created_at", "-id").first()
            assert last.new == row.progress
    oldest = ProgressEvent.objects.order_by("created_at").first().created_at
    assert (now - oldest).days >= 30
    summary = progress_summary(demo)
    assert summary.current_streak >= 3 and summary.lessons_completed >= 5
    assert UserAchievement.objects.filter(user=demo, awarded_at__lt=now).exists()
    assert LessonProgress.objects.filter(user=demo, score__isnull=False).exists()
    assert ProgressEvent.objects.filter(source="manual").exists()


def test_seed_demo_if_empty_does_nothing_the_second_time(catalog):
    seed("--learners", "2", "--days", "20")
    counts = (User.objects.count(), ProgressEvent.objects.count(), LearningStreak.objects.count())
    out = seed("--if-empty")
    assert "nothing to do" in out
    assert (User.objects.count(), ProgressEvent.objects.count(), LearningStreak.objects.count()) == counts


def test_seed_demo_is_deterministic_per_seed(catalog):
    def history(username):
        return list(LessonProgress.objects.filter(user__username=username).order_by("lesson__slug")
                    .values_list("lesson__slug", "status", "score", "attempts"))

    seed("--learners", "1", "--days", "30", "--seed", "3")
    User.objects.filter(username="demo").update(username="first-run", email="first-run@example.com")
    seed("--learners", "1", "--days", "30", "--seed", "3")
    assert history("demo") == history("first-run") != []


def test_seed_demo_spreads_activity_over_the_period(catalog):
    seed("--learners", "4", "--days", "90")
    days = (ProgressEvent.objects.values("created_at__date").annotate(n=Count("id")).count())
    assert days >= 20
