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
from progress.selectors import category_progress_list, progress_summary

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
        # Only states a learner can reach: every completion answered every check, no hand-set markers.
        done = LessonProgress.objects.filter(user=user, status="completed")
        assert not done.filter(score__isnull=True).exists() and not done.filter(best_score__lt=F("score")).exists()
        assert not UserProgress.objects.filter(user=user).exists()
        # One lesson event per completed lesson; a category's last event is its counted figure.
        assert events.filter(source="lesson").count() == done.count()
        for row in category_progress_list(user=user):
            last = events.filter(category__slug=row.slug).order_by("-created_at", "-id").first()
            assert (last.new if last else 0) == row.progress
    oldest = ProgressEvent.objects.order_by("created_at").first().created_at
    assert (now - oldest).days >= 30
    summary = progress_summary(user=demo)
    assert summary.current_streak >= 3 and summary.lessons_completed >= 5
    assert UserAchievement.objects.filter(user=demo, awarded_at__lt=now).exists()
    assert LessonProgress.objects.filter(user=demo, score__isnull=False).exists()
    assert LessonProgress.objects.filter(user=demo, status="in_progress").count() >= 2  # "continue where you left off"
    assert LessonProgress.objects.filter(attempts__gt=1).exists()  # some lessons were retried
    assert not ProgressEvent.objects.filter(source="manual").exists()


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
    User.objects.filter(username="demo").update(username="first-run", username_key="first-run",
                                                email="first-run@example.com")
    seed("--learners", "1", "--days", "30", "--seed", "3")
    assert history("demo") == history("first-run") != []


def test_seed_demo_spreads_activity_over_the_period(catalog):
    seed("--learners", "4", "--days", "90")
    days = (ProgressEvent.objects.values("created_at__date").annotate(n=Count("id")).count())
    assert days >= 20
