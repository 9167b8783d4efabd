from django.contrib import admin, messages

from search import selectors, services
from search.models import SavedSearch, SearchHistory, SearchIndexState


@admin.register(SearchHistory)
class SearchHistoryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "query", "results_count", "turbo_used", "search_time", "cached"]
    list_filter = ["turbo_used", "cached", "created_at"]
    search_fields = ["query", "user__username"]
    list_select_related = ["user"]
    readonly_fields = [f.name for f in SearchHistory._meta.fields]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SavedSearch)
class SavedSearchAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "query", "turbo", "result_count", "created_at", "last_run_at"]
    search_fields = ["name", "query", "user__username"]
    list_select_related = ["user"]
    readonly_fields = [f.name for f in SavedSearch._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SearchIndexState)
class SearchIndexStateAdmin(admin.ModelAdmin):
    """The turbo index at a glance, with a rebuild action."""

    list_display = ["__str__", "last_rebuild_at", "last_rebuild_seconds", "last_rebuild_documents", "in_sync"]
    readonly_fields = ["catalog_version", "last_rebuild_at", "last_rebuild_seconds", "last_rebuild_documents",
                       "updated_at"]
    actions = ["rebuild_index"]

    @admin.display(boolean=True, description="in sync")
    def in_sync(self, obj) -> bool:
        return selectors.turbo_status()["index_in_sync"]

    @admin.action(description="Rebuild the turbo search index now")
    def rebuild_index(self, request, queryset):
        documents = services.search_index_rebuild()
        self.message_user(request, f"Indexed {documents} published lessons.", messages.SUCCESS)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
