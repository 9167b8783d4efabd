"""The lesson list's filters: one FilterSet for the API (``GET /api/v1/lessons/``) and the page.

It filters a list that carries the learner's ``user_status`` (``selectors.lesson_list``). The
API answers a bad value with a 400 naming the field; the page says which filters it ignores.
Its form renders the page's filter controls, and the OpenAPI schema documents its fields.
"""

import django_filters

from lessons.models import Category, Lesson, LessonProgress

DIFFICULTY_CHOICES = [(d, f"Level {d}") for d in range(1, 6)]


class LessonFilterSet(django_filters.FilterSet):
    category = django_filters.ModelChoiceFilter(
        queryset=Category.objects.all(), to_field_name="slug", label="Category", empty_label="All categories",
        help_text="Category slug, e.g. `colour`.",
        error_messages={"invalid_choice": "Unknown category %(value)r."})
    difficulty = django_filters.ChoiceFilter(choices=DIFFICULTY_CHOICES, label="Difficulty", empty_label="Any level",
                                             help_text="Level, 1 to 5.")
    style = django_filters.ChoiceFilter(choices=Lesson.Style.choices, label="Style", empty_label="Any style",
                                        help_text="How the lesson teaches.")
    status = django_filters.ChoiceFilter(field_name="user_status", choices=LessonProgress.Status.choices,
                                         label="Status", empty_label="Any status", help_text="Your status on the lesson.")

    class Meta:
        model = Lesson
        fields = ("category", "difficulty", "style", "status")
