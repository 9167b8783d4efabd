from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from lessons.catalog import CatalogError
from lessons.services import CATALOG_ROOT, catalog_sync


class Command(BaseCommand):
    help = "Sync the authored Crazy Diamonds catalog (lessons/catalog/) into the database; idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--root", type=Path, default=CATALOG_ROOT, help="Catalog folder (default: lessons/catalog).")
        parser.add_argument("--strict", action="store_true", help="Exit with an error when any file is rejected.")

    def handle(self, *args, root: Path, strict: bool, **options):
        if not (root / "categories.yaml").is_file():
            raise CommandError(f"{root} has no categories.yaml; is it a catalog folder?")
        try:
            report = catalog_sync(root=root)
        except CatalogError as exc:
            raise CommandError(f"catalog not loaded: {exc}") from exc
        for slug in report.categories_created:
            self.stdout.write(f"  category created: {slug}")
        for slug in report.created:
            self.stdout.write(f"  created: {slug}")
        for slug in report.updated:
            self.stdout.write(f"  updated: {slug}")
        for error in report.rejected:
            self.stderr.write(self.style.ERROR(f"  rejected: {error.source}: {error.reason}"))
        if report.not_in_files:
            self.stdout.write(f"  kept (no longer in the files): {', '.join(report.not_in_files)}")
        summary = (f"Lessons: {len(report.created)} created, {len(report.updated)} updated, "
                   f"{len(report.unchanged)} unchanged, {len(report.rejected)} rejected.")
        self.stdout.write(self.style.SUCCESS(summary) if not report.rejected else self.style.WARNING(summary))
        if strict and report.rejected:
            raise CommandError(f"{len(report.rejected)} lesson file(s) rejected.")
