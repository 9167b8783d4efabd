"""A learner with a row in every table that holds personal data, for the deletion and export suites."""

from datetime import date, timedelta

from django.apps import apps
from django.conf import settings
from django.db import models
from django.utils import timezone

from progress import services as progress_services
from progress.models import Achievement, LearningStreak, UserAchievement, WeeklyProgressEmail
from search.models import SavedSearch, SearchHistory
from telemetry.models import ActiveUserDay
from tests.lessons.factories import lesson_with_checks, right_answers


def populate(user, marker: str) -> dict:
    """Give ``user`` lesson records, progress, history, streak, a badge, a weekly e-mail row, searches,
    saved searches and activity days; ``marker`` names their searches so a leak is easy to spot."""
    now = timezone.now()
    lesson = lesson_with_checks(2, slug=f"lesson-{marker}", title=f"Lesson {marker}")
    progress_services.lesson_start(user=user, lesson=lesson, at=now - timedelta(minutes=20))
    progress_services.lesson_complete(user=user, lesson=lesson, answers=right_answers(lesson))
    progress_services.progress_mark(user=user, category=lesson.category, marked=1)
    LearningStreak.objects.update_or_create(user=user, defaults={"current": 2, "best": 5, "last_day": now.date()})
    badge, _ = Achievement.objects.get_or_create(code=f"badge-{marker}"[:40], defaults={"name": f"Badge {marker}",
                                                                                        "description": "test"})
    UserAchievement.objects.get_or_create(user=user, achievement=badge, defaults={"awarded_at": now})
    WeeklyProgressEmail.objects.create(user=user, week_start=date(2026, 11, 23))
    SearchHistory.objects.create(user=user, query=f"query {marker}", results_count=3, turbo_used=False, search_time=1.0)
    SavedSearch.objects.create(user=user, name=f"saved {marker}", query=f"saved query {marker}")
    ActiveUserDay.objects.create(day=now.date(), user_id=user.pk, requests=7)
    return {"lesson": lesson}


def rows_naming(user_id: int) -> dict[str, int]:
    """Rows of every model with a foreign key to the user model that still hold ``user_id``."""
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    found = {}
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if isinstance(field, models.ForeignKey | models.OneToOneField) and field.remote_field.model is user_model:
                n = model._default_manager.filter(**{field.attname: user_id}).count()
                if n:
                    found[f"{model._meta.label}.{field.name}"] = n
    if user_model.objects.filter(pk=user_id).exists():
        found["user"] = 1
    return found
