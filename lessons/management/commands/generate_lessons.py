from django.core.management.base import BaseCommand, CommandError

from controlpanel.errors import ApplicationError
from lessons.services import default_seed, lessons_generate


class Command(BaseCommand):
    help = ("Compose new Crazy Diamonds lessons from the parts bank into the thinnest category x difficulty "
            "cells. They wait in review (unpublished) unless --publish or LESSONS_PUBLISH_GENERATED says otherwise.")

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=5, help="How many lessons (default 5).")
        parser.add_argument("--category", help="Only this category (slug).")
        parser.add_argument("--difficulty", type=int, choices=range(1, 6), help="Only this difficulty (1-5).")
        parser.add_argument("--seed", type=int, help="Random seed; the same seed gives the same lessons (default: ISO week).")
        parser.add_argument("--dry-run", action="store_true", help="Compose and show, write nothing.")
        publish = parser.add_mutually_exclusive_group()
        publish.add_argument("--publish", dest="publish", action="store_true", default=None, help="Publish at once.")
        publish.add_argument("--no-publish", dest="publish", action="store_false", help="Keep in review.")

    def handle(self, *args, count, category, difficulty, seed, dry_run, publish, **options):
        if count < 1:
            raise CommandError("--count must be at least 1.")
        seed = default_seed() if seed is None else seed
        self.stdout.write(f"Generating {count} lesson(s) with seed {seed}{' (dry run)' if dry_run else ''}...")
        try:
            made = lessons_generate(count=count, category=category, difficulty=difficulty, seed=seed,
                                    dry_run=dry_run, publish=publish)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        for i, item in enumerate(made, 1):
            spec = getattr(item, "spec", None)
            if spec is not None:  # dry run: GeneratedLesson
                self.stdout.write(f"[{i}/{count}] {spec.slug}  ({spec.category}, difficulty {spec.difficulty}, "
                                  f"{spec.word_count()} words)\n        {spec.title}")
            else:
                state = "published" if item.is_published else "in review"
                self.stdout.write(f"[{i}/{count}] {item.slug}  ({item.category.slug}, difficulty {item.difficulty}, "
                                  f"{state})\n        {item.title}")
        if len(made) < count:
            self.stderr.write(self.style.WARNING(f"Only {len(made)} of {count} could be composed: the bank is "
                                                 "exhausted for the chosen cells."))
        verb = "Would create" if dry_run else "Created"
        self.stdout.write(self.style.SUCCESS(f"{verb} {len(made)} lesson(s)."))
