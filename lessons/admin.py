"""Staff views of the catalog: review generated lessons (preview, publish), read learner progress.

Lesson content comes from the catalog files and the generator, so it is read-only here; every
state change (publish, unpublish, generate, delete) goes through lessons.services, which keeps
the search index and learners' totals in line.
"""

from django.contrib import admin, messages
from django.db.models import Count
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from controlpanel.admin import ReadOnlyAdmin
from controlpanel.errors import ApplicationError
from lessons import services
from lessons.models import Category, Lesson, LessonCheck, LessonProgress


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "order", "lesson_count"]
    search_fields = ["name", "slug"]
    readonly_fields = ["slug"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_lessons=Count("lessons")).order_by("order", "name")

    @admin.display(description="lessons", ordering="n_lessons")
    def lesson_count(self, category):
        return category.n_lessons

    def has_add_permission(self, request):
        return False  # categories come from lessons/catalog/categories.yaml

    def has_delete_permission(self, request, obj=None):
        return False


class LessonCheckInline(admin.TabularInline):
    model = LessonCheck
    extra = 0
    can_delete = False
    fields = ["order", "question", "choices", "answer", "explanation"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Lesson)
class LessonAdmin(admin.ModelAdmin):
    list_display = ["title", "category", "difficulty", "style", "source", "is_published", "updated_at"]
    list_filter = ["is_published", "source", "category", "difficulty", "style"]
    search_fields = ["title", "slug", "summary"]
    list_select_related = ["category"]
    date_hierarchy = "created_at"
    inlines = [LessonCheckInline]
    actions = ["publish", "unpublish", "generate_like_selected"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "category", "difficulty", "style", "minutes", "summary", "tags",
                           "prerequisite_list", "is_published", "published_at"]}),
        ("Preview", {"fields": ["preview"]}),
        ("Provenance", {"fields": ["source", "generator_version", "generator_seed", "generator_parts", "content_hash",
                                   "created_at", "updated_at"], "classes": ["collapse"]}),
        ("Markdown", {"fields": ["body_markdown"], "classes": ["collapse"]}),
    ]
    readonly_fields = ["title", "slug", "category", "difficulty", "style", "minutes", "summary", "tags",
                       "prerequisite_list", "is_published", "published_at", "preview", "source", "generator_version",
                       "generator_seed", "generator_parts", "content_hash", "created_at", "updated_at", "body_markdown"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        """Only generated lessons still in review can be deleted (rejected in review)."""
        if obj is None:
            return super().has_delete_permission(request)
        return obj.source == Lesson.Source.GENERATED and not obj.is_published and super().has_delete_permission(request, obj)

    @admin.display(description="prerequisites")
    def prerequisite_list(self, lesson):
        return ", ".join(lesson.prerequisites.values_list("title", flat=True)) or "none"

    @admin.display(description="lesson as learners see it")
    def preview(self, lesson):
        # body_html was sanitized with nh3 when the lesson was saved (lessons.catalog.render_lesson_html).
        return format_html('<div class="lesson-preview" style="max-width: 46em">{}</div>', mark_safe(lesson.body_html))  # noqa: S308 (sanitized)

    def delete_model(self, request, obj):
        self.delete_queryset(request, Lesson.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        try:
            services.lessons_delete(lessons=list(queryset))
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)

    @admin.action(description="Publish selected lessons")
    def publish(self, request, queryset):
        changed = services.lessons_publish(lessons=queryset, publish=True)
        self.message_user(request, f"Published {changed} lesson(s).", messages.SUCCESS)

    @admin.action(description="Unpublish selected lessons (back to review)")
    def unpublish(self, request, queryset):
        changed = services.lessons_publish(lessons=queryset, publish=False)
        self.message_user(request, f"Unpublished {changed} lesson(s).", messages.SUCCESS)

    @admin.action(description="Generate 5 new lessons for review (in the selection's category and difficulty when shared)")
    def generate_like_selected(self, request, queryset):
        cells = set(queryset.values_list("category__slug", "difficulty"))
        categories = {c for c, _ in cells}
        difficulties = {d for _, d in cells}
        try:
            made = services.lessons_generate(
                count=services.WEEKLY_GENERATION_COUNT,
                category=categories.pop() if len(categories) == 1 else None,
                difficulty=difficulties.pop() if len(difficulties) == 1 else None,
            )
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        titles = ", ".join(lesson.title for lesson in made) or "none (the bank is exhausted for these cells)"
        self.message_user(request, f"Generated {len(made)} lesson(s) for review: {titles}", messages.SUCCESS)


@admin.register(LessonProgress)
class LessonProgressAdmin(ReadOnlyAdmin):
    list_display = ["user", "lesson", "status", "score", "attempts", "started_at", "completed_at"]
    list_filter = ["status", "lesson__category"]
    search_fields = ["user__username", "lesson__title", "lesson__slug"]
    list_select_related = ["user", "lesson"]
    date_hierarchy = "completed_at"
