import logging

from django.apps import AppConfig
from django.db.models.signals import post_migrate

logger = logging.getLogger("controlpanel.search")


def _sync_index(sender, using="default", **kwargs):
    """After ``migrate`` (and a test database flush) repair an index that no longer matches the catalog."""
    from search.index import sync_after_migrate

    if using != "default":
        return
    outcome = sync_after_migrate()
    if outcome == "out_of_sync":
        logger.warning("the search index does not match the catalog; run manage.py rebuild_search_index")


class SearchConfig(AppConfig):
    name = "search"

    def ready(self) -> None:
        from search import receivers  # noqa: F401

        post_migrate.connect(_sync_index, sender=self, dispatch_uid="search.sync_index")
