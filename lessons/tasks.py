"""Background work of the lessons app."""

from celery import shared_task

from lessons.services import lessons_generate_weekly


@shared_task(name="lessons.generate_weekly")
def generate_weekly_task() -> list[str]:
    """Every week: five new lessons into the thinnest cells, waiting in review (once per ISO week)."""
    return [lesson.slug for lesson in lessons_generate_weekly()]
