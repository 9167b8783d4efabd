"""Demo learners with months of realistic activity, so every chart and report has data.

Everything is written through the same services the API uses (``lesson_start``,
``lesson_check_answer``, ``lesson_complete``, ``achievements_award``), backdated with their
``at`` argument, so the demo holds only states a learner can reach through the product: every
completion answers every check, some checks are tried before completing, some lessons are
retried to master them, and the demo learner has lessons in progress to continue. Category
progress is counted from those completions like anyone's; streaks and badges follow from them
and nothing is dated in the future.
"""

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.models import User, UserPreferences
from accounts.validators import username_key
from lessons.models import Category, Lesson
from progress.services import achievements_award, lesson_check_answer, lesson_complete, lesson_start

DEMO_PASSWORD = "crazy-diamonds-demo"  # noqa: S105 (the published demo login)


@dataclass(frozen=True)
class Profile:
    username: str
    time_zone: str
    style: str
    activity: float  # chance of practising on a day after a day off
    keep_going: float  # chance of practising the day after a day of practice (streaks)
    skill: float  # chance of answering an easy check right
    favourites: tuple[str, ...]


PROFILES = [
    Profile("demo", "Europe/London", "visual", 0.12, 0.6, 0.85, ("drawing", "colour")),
    Profile("demo-ana", "Europe/Lisbon", "narrative", 0.1, 0.55, 0.8, ("writing", "photography")),
    Profile("demo-kofi", "Africa/Accra", "musical", 0.1, 0.6, 0.75, ("music-rhythm", "writing")),
    Profile("demo-mei", "Asia/Shanghai", "analytical", 0.15, 0.7, 0.9, ("composition", "colour")),
    Profile("demo-lucas", "America/Sao_Paulo", "playful", 0.06, 0.4, 0.6, ("photography", "drawing")),
    Profile("demo-priya", "Asia/Kolkata", "visual", 0.09, 0.55, 0.7, ("colour", "composition")),
    Profile("demo-sam", "America/New_York", "narrative", 0.05, 0.4, 0.65, ("writing", "music-rhythm")),
    Profile("demo-ines", "Europe/Madrid", "playful", 0.08, 0.5, 0.8, ("music-rhythm", "photography")),
]


@dataclass
class Catalog:
    lessons: list[Lesson]
    prerequisites: dict[int, set[int]]
    categories: dict[int, str]


def _catalog() -> Catalog:
    lessons = list(Lesson.objects.published().select_related("category").prefetch_related("checks"))
    through = Lesson.prerequisites.through.objects.values_list("from_lesson_id", "to_lesson_id")
    prerequisites: dict[int, set[int]] = {}
    for from_id, to_id in through:
        prerequisites.setdefault(from_id, set()).add(to_id)
    return Catalog(lessons=lessons, prerequisites=prerequisites,
                   categories=dict(Category.objects.values_list("pk", "slug")))


class Learner:
    """One simulated learner walking the catalog day by day."""

    def __init__(self, user: User, profile: Profile, catalog: Catalog, rng: random.Random):
        self.user, self.profile, self.catalog, self.rng = user, profile, catalog, rng
        self.zone = ZoneInfo(profile.time_zone)
        self.done: set[int] = set()
        self.started: set[int] = set()
        self.completions = 0

    def _choose(self) -> Lesson | None:
        open_started = [lesson for lesson in self.catalog.lessons if lesson.pk in self.started and lesson.pk not in self.done]
        if open_started and self.rng.random() < 0.6:
            return self.rng.choice(open_started)
        ready = [lesson for lesson in self.catalog.lessons
                 if lesson.pk not in self.done and self.catalog.prerequisites.get(lesson.pk, set()) <= self.done]
        if not ready:
            return None
        weights = [(3.0 if lesson.category.slug in self.profile.favourites else 1.0)
                   * (1.5 if lesson.style == self.profile.style else 1.0) / lesson.difficulty for lesson in ready]
        return self.rng.choices(ready, weights=weights)[0]

    def _answer(self, lesson: Lesson, check, *, bonus: float = 0.0) -> int:
        right = self.rng.random() < self.profile.skill + bonus - 0.06 * (lesson.difficulty - 1)
        wrong = [i for i in range(len(check.choices)) if i != check.answer]
        return check.answer if right or not wrong else self.rng.choice(wrong)

    def _answers(self, lesson: Lesson, *, bonus: float = 0.0) -> list[int]:
        return [self._answer(lesson, check, bonus=bonus) for check in lesson.checks.all()]

    def _work_through(self, lesson: Lesson, moment: datetime, finish: datetime, now: datetime) -> None:
        """Sometimes try a check before completing, complete with every answer, sometimes retry."""
        checks = list(lesson.checks.all())
        if checks and self.rng.random() < 0.3:
            check = self.rng.choice(checks)
            lesson_check_answer(user=self.user, lesson=lesson, order=check.order, choice=self._answer(lesson, check),
                                at=moment + (finish - moment) / 2)
        completion = lesson_complete(user=self.user, lesson=lesson, answers=self._answers(lesson), at=finish)
        if completion.record.mastery != "mastered" and self.rng.random() < 0.4:
            retry_at = finish + timedelta(minutes=self.rng.randint(2, 30))
            if retry_at < now:
                    lesson_complete(user=self.user, lesson=lesson, answers=self._answers(lesson, bonus=0.2), at=retry_at)

    def practise(self, day, now: datetime, *, must_complete: bool = False) -> datetime | None:
        """One day of practice; returns the time of the day's last activity (None if nothing happened)."""
        moment = datetime.combine(day, time(self.rng.randint(7, 20), self.rng.randint(0, 59)), tzinfo=self.zone)
        if must_complete:  # early enough that today's lesson is finished before "now"
            moment = min(moment, now - timedelta(hours=5))
        last = None
        for _ in range(self.rng.choice((1, 1, 1, 2))):
            lesson = self._choose()
            if lesson is None or moment >= now:
                break
            lesson_start(user=self.user, lesson=lesson, at=moment)
            self.started.add(lesson.pk)
            last = moment
            finish = moment + timedelta(minutes=lesson.minutes * self.rng.uniform(0.7, 1.6))
            if (not must_complete and self.rng.random() < 0.3) or finish >= now:  # left for another day
                moment = finish + timedelta(minutes=self.rng.randint(20, 180))
                continue
            self._work_through(lesson, moment, finish, now)
            self.done.add(lesson.pk)
            self.completions += 1
            last = finish
            moment = finish + timedelta(minutes=self.rng.randint(10, 240))
        return last

    def leave_in_progress(self, now: datetime, count: int) -> None:
        """Start ``count`` lessons the learner has not finished yet, in the last day (for "continue")."""
        open_lessons = [lesson for lesson in self.catalog.lessons if lesson.pk not in self.done | self.started
                        and self.catalog.prerequisites.get(lesson.pk, set()) <= self.done]
        for i, lesson in enumerate(self.rng.sample(open_lessons, min(count, len(open_lessons)))):
            lesson_start(user=self.user, lesson=lesson, at=now - timedelta(hours=3 + 2 * i))
            self.started.add(lesson.pk)


class Command(BaseCommand):
    help = "Create demo learners (demo / crazy-diamonds-demo and others) with realistic, backdated activity."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when the demo learner already exists.")
        parser.add_argument("--learners", type=int, default=6, help=f"How many learners (1-{len(PROFILES)}, default 6).")
        parser.add_argument("--days", type=int, default=90, help="Days of history (default 90).")
        parser.add_argument("--seed", type=int, default=7, help="Random seed (default 7): same seed, same history.")

    def handle(self, *args, if_empty, learners, days, seed, **options):
        if not 1 <= learners <= len(PROFILES):
            raise CommandError(f"--learners must be 1-{len(PROFILES)}.")
        if not 1 <= days <= 3650:
            raise CommandError("--days must be 1-3650.")
        if if_empty and User.objects.filter(username_key=username_key(PROFILES[0].username)).exists():
            self.stdout.write("Demo data already present; nothing to do.")
            return
        catalog = _catalog()
        if not catalog.lessons:
            raise CommandError("No published lessons: run `manage.py load_lessons` first.")
        password = make_password(DEMO_PASSWORD)  # hashed once: bcrypt per learner would take seconds
        now = timezone.now()
        for index, profile in enumerate(PROFILES[:learners], 1):
            if User.objects.filter(username_key=username_key(profile.username)).exists():
                self.stdout.write(f"[{index}/{learners}] {profile.username}: exists, skipped")
                continue
            with transaction.atomic():
                learner = self._seed_one(profile, catalog, password, random.Random(f"{seed}:{profile.username}"),
                                         days=days, now=now)
            self.stdout.write(f"[{index}/{learners}] {profile.username}: {learner.completions} lessons completed")
        self.stdout.write(self.style.SUCCESS(f"Demo learners ready. Log in as {PROFILES[0].username} / {DEMO_PASSWORD}"))

    def _seed_one(self, profile: Profile, catalog: Catalog, password: str, rng: random.Random, *, days: int,
                  now: datetime) -> Learner:
        zone = ZoneInfo(profile.time_zone)
        joined = now - timedelta(days=days, hours=rng.randint(1, 12))
        user = User.objects.create(username=profile.username, email=f"{profile.username}@demo.invalid",
                                   password=password, date_joined=joined)
        UserPreferences.objects.create(user=user, time_zone=profile.time_zone, preferred_style=profile.style)
        user = User.objects.select_related("preferences").get(pk=user.pk)
        learner = Learner(user, profile, catalog, rng)
        today = now.astimezone(zone).date()
        active = False
        for offset in range(days - 1, -1, -1):
            day = today - timedelta(days=offset)
            # The demo learner keeps a streak alive through the last few days, so it shows.
            keep_streak = profile is PROFILES[0] and offset < 4
            active = keep_streak or rng.random() < (profile.keep_going if active else profile.activity)
            if not active:
                continue
            last = learner.practise(day, now, must_complete=keep_streak)
            if last is not None:
                achievements_award(user=user, at=last)
        if profile is PROFILES[0]:
            learner.leave_in_progress(now, count=2)
        return learner
