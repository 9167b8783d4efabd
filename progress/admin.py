"""Staff views of learners' progress, history and badges (read-only) and the achievements."""

from django.contrib import admin

from controlpanel.admin import ReadOnlyAdmin
from progress.models import Achievement, LearningStreak, ProgressEvent, UserAchievement, UserProgress


@admin.register(UserProgress)
class UserProgressAdmin(ReadOnlyAdmin):
    """Self-paced markers; counted progress is the learner's completed lessons (LessonProgress)."""

    list_display = ["user", "category", "marked", "last_updated"]
    list_filter = ["category"]
    search_fields = ["user__username"]
    list_select_related = ["user", "category"]


@admin.register(ProgressEvent)
class ProgressEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "user", "category", "previous", "new", "source", "lesson"]
    list_filter = ["source", "category"]
    search_fields = ["user__username", "lesson__title"]
    list_select_related = ["user", "category", "lesson"]
    date_hierarchy = "created_at"


@admin.register(LearningStreak)
class LearningStreakAdmin(ReadOnlyAdmin):
    list_display = ["user", "current", "best", "last_day"]
    search_fields = ["user__username"]
    list_select_related = ["user"]


@admin.register(Achievement)
class AchievementAdmin(admin.ModelAdmin):
    """Names, texts and icons are editable; the code ties a badge to its rule in progress.services."""

    list_display = ["icon", "name", "code", "description", "order"]
    readonly_fields = ["code"]
    ordering = ["order"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(UserAchievement)
class UserAchievementAdmin(ReadOnlyAdmin):
    list_display = ["awarded_at", "user", "achievement"]
    list_filter = ["achievement"]
    search_fields = ["user__username"]
    list_select_related = ["user", "achievement"]
    date_hierarchy = "awarded_at"
