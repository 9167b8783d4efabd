"""Fixtures for the lessons suites."""

import pytest

from lessons.models import Lesson
from lessons.services import catalog_sync


@pytest.fixture
def catalog(db) -> dict[str, Lesson]:
    """The real authored Crazy Diamonds catalog, loaded through the same service as load_lessons."""
    catalog_sync()
    return {lesson.slug: lesson for lesson in Lesson.objects.select_related("category")}
