"""How progress follows the lessons app (which never imports progress): one receiver per signal."""

from django.dispatch import receiver

from lessons.signals import lesson_completed, lessons_changed
from progress import services


@receiver(lesson_completed, dispatch_uid="progress.record_lesson")
def record_lesson(sender, *, user, lesson, at=None, first_completion=True, **kwargs):
    """Inside ``lesson_complete``'s transaction: category step, history event, streak, badges."""
    if first_completion:
        services.progress_record_lesson(user=user, lesson=lesson, at=at)
    services.schedule_achievements(user=user, at=at)


@receiver(lessons_changed, dispatch_uid="progress.sync_totals")
def sync_totals(sender, *, lesson_ids, **kwargs):
    """Keep every learner's ``total_lessons`` equal to the published lesson count of its category."""
    services.progress_sync_totals()
