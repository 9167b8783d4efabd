"""Search history, saved searches and the bookkeeping of the turbo index.

The index itself is not a Django model: FTS5 tables (porter and trigram) on SQLite, a
``tsvector`` + ``pg_trgm`` table on PostgreSQL, created by migration 0003 and written only by
:mod:`search.index`.
"""

from django.conf import settings
from django.db import models


class SearchHistoryQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)


class SearchHistory(models.Model):
    """One search a user ran (the seed's ``search_history``), or a run of the same search in a row; bounded per user.

    A repeat of the user's latest entry (same words, category and mode) updates that entry
    instead of adding one: ``repeats`` and ``cached_runs`` count the runs, ``created_at`` and
    the result count follow the latest run, ``search_time`` and ``cached`` the latest run the
    engine answered (a cached repeat keeps the engine's time).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="search_history")
    query = models.CharField(max_length=200)
    category = models.ForeignKey("lessons.Category", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+")
    results_count = models.PositiveIntegerField()
    count_exact = models.BooleanField(default=True, help_text="False when turbo stopped counting at the limit.")
    turbo_used = models.BooleanField()
    search_time = models.FloatField(help_text="Milliseconds the search took on the server.")
    cached = models.BooleanField(default=False, help_text="Answered from the shared result cache.")
    repeats = models.PositiveIntegerField(default=1, help_text="Times the search was run in a row (consecutive "
                                                               "repeats collapse into this entry).")
    cached_runs = models.PositiveIntegerField(default=0, help_text="How many of those runs the result cache answered.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = SearchHistoryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "search history"
        indexes = [models.Index(fields=["user", "-id"], name="searchhistory_user_id")]

    def __str__(self) -> str:
        return f"{self.user_id} · {self.query}"


class SavedSearchQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)


class SavedSearch(models.Model):
    """A named search with a snapshot of what it found when it was saved; never trimmed."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_searches")
    name = models.CharField(max_length=100)
    query = models.CharField(max_length=200)
    turbo = models.BooleanField(default=True)
    category = models.ForeignKey("lessons.Category", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+")
    result_count = models.PositiveIntegerField(default=0)
    count_exact = models.BooleanField(default=True)
    snapshot = models.JSONField(default=list, blank=True,
                                help_text='Results when saved, best first: [{"id", "slug", "title"}, ...].')
    created_at = models.DateTimeField(auto_now_add=True)
    last_run_at = models.DateTimeField(null=True, blank=True)

    objects = SavedSearchQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="savedsearch_unique_user_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def result_ids(self) -> list[int]:
        return [row["id"] for row in self.snapshot]

    @property
    def result_titles(self) -> list[str]:
        return [row["title"] for row in self.snapshot]


class SearchIndexState(models.Model):
    """The single row describing the turbo index: catalog version, last rebuild.

    ``catalog_version`` is bumped (with ``F()``) in the same transaction as every index change,
    and ``catalog_stamp`` gets a fresh random value with it. The result cache is keyed by the
    stamp, so it can never serve a state from before a committed
    change, in any process, and a rolled-back change can never lend its key to a later one.
    """

    SINGLETON_ID = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_ID, editable=False)
    catalog_version = models.PositiveBigIntegerField(default=0)
    catalog_stamp = models.CharField(max_length=32, default="initial")
    documents = models.PositiveIntegerField(default=0, help_text="Lessons in the index.")
    last_rebuild_at = models.DateTimeField(null=True, blank=True)
    last_rebuild_seconds = models.FloatField(null=True, blank=True)
    last_rebuild_documents = models.PositiveIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="searchindexstate_singleton")]

    def __str__(self) -> str:
        return f"search index v{self.catalog_version}"
