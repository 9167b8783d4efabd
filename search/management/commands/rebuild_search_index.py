from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from search import selectors, services


class Command(BaseCommand):
    help = "Rebuild the turbo search index from the published catalog (one transaction; searches keep working)."

    def handle(self, *args, **options):
        def progress(done: int, total: int) -> None:
            percent = 100 * done // total if total else 100
            self.stdout.write(f"[{done}/{total}] {percent}% indexed")

        try:
            documents = services.search_index_rebuild(progress=progress)
        except DatabaseError as exc:
            raise CommandError(f"Rebuilding the search index failed: {exc}") from exc
        status = selectors.turbo_status()
        self.stdout.write(self.style.SUCCESS(
            f"Indexed {documents} published lessons in {status['last_rebuild_seconds']} s; "
            f"in sync: {'yes' if status['index_in_sync'] else 'no'}."
        ))
