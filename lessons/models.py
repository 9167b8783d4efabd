from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from controlpanel.styles import style_members


class Category(models.Model):
    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=80, unique=True)
    description = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class LessonQuerySet(models.QuerySet):
    def published(self):
        return self.filter(is_published=True)


class Lesson(models.Model):
    """One Crazy Diamonds lesson, authored in lessons/catalog/ or generated from the parts bank."""

    Style = models.TextChoices("Style", style_members())  # VISUAL, NARRATIVE, ... (controlpanel.styles)

    class Source(models.TextChoices):
        AUTHORED = "authored", "Authored"
        GENERATED = "generated", "Generated"

    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=120, unique=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="lessons")
    difficulty = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    style = models.CharField(max_length=12, choices=Style.choices)
    minutes = models.PositiveSmallIntegerField(default=15)
    summary = models.CharField(max_length=300)
    tags = models.JSONField(default=list, blank=True)
    body_markdown = models.TextField()
    body_html = models.TextField(help_text="Rendered from the Markdown and sanitized when the lesson is saved.")
    content_hash = models.CharField(max_length=64, unique=True)
    prerequisites = models.ManyToManyField("self", symmetrical=False, related_name="unlocks", blank=True)
    is_published = models.BooleanField(default=True)
    published_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.AUTHORED)
    generator_version = models.CharField(max_length=20, blank=True)
    generator_seed = models.BigIntegerField(null=True, blank=True)
    generator_parts = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = LessonQuerySet.as_manager()

    class Meta:
        ordering = ["category__order", "difficulty", "title"]
        constraints = [
            models.CheckConstraint(condition=Q(difficulty__gte=1, difficulty__lte=5), name="lesson_difficulty_1_5"),
        ]
        indexes = [
            models.Index(fields=["category", "is_published", "difficulty"], name="lesson_cat_pub_diff"),
            models.Index(fields=["is_published", "style"], name="lesson_pub_style"),
            # The search facets of a list of matches, read from the index alone rather than from each lesson's row.
            models.Index(fields=["id", "category", "difficulty", "style"], name="lesson_facets"),
        ]

    def __str__(self) -> str:
        return self.title


class LessonCheck(models.Model):
    """A short multiple-choice question at the end of a lesson."""

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="checks")
    order = models.PositiveSmallIntegerField()
    question = models.TextField()
    choices = models.JSONField()
    answer = models.PositiveSmallIntegerField(help_text="0-based index of the right choice.")
    explanation = models.TextField()

    class Meta:
        ordering = ["lesson", "order"]
        constraints = [models.UniqueConstraint(fields=["lesson", "order"], name="lessoncheck_unique_order")]

    def __str__(self) -> str:
        return f"{self.lesson.slug} #{self.order + 1}"


class LessonProgressQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)

    def completed(self):
        return self.filter(status=LessonProgress.Status.COMPLETED)

    def counted(self):
        """Completions that count towards "N of M lessons": completed, of a lesson that is published now.

        The one definition every progress figure uses (category bars, summary, lesson lists,
        recommendations, charts), so no two views can count differently.
        """
        return self.filter(status=LessonProgress.Status.COMPLETED, lesson__is_published=True)


class LessonProgress(models.Model):
    """One learner's state on one lesson, and how well they answered its checks.

    Scores, said the same way everywhere: the *score of record* (``score``) is the first
    complete attempt, where each check counts the first answer the learner ever gave to it (an
    instant check made before completing is that first answer). Retries are allowed; their best
    (``best_score``, which includes the score of record) is shown separately and never replaces
    the score of record. A lesson is *mastered* once a complete attempt got every check right:
    the score of record, or a later retry.
    """

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETED = "completed", "Completed"

    class Mastery(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        IN_PROGRESS = "in_progress", "In progress"
        PRACTISING = "practising", "Completed, not mastered yet"
        MASTERED = "mastered", "Mastered"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lesson_progress")
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="progress_records")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NOT_STARTED)
    score = models.FloatField(null=True, blank=True,
                              help_text="Score of record, 0..1: the first complete attempt, each check's first answer.")
    best_score = models.FloatField(null=True, blank=True, help_text="Best complete attempt, 0..1, retries included.")
    first_answers = models.JSONField(default=dict, blank=True,
                                     help_text="The first answer given to each check, by check order.")
    last_answers = models.JSONField(default=list, blank=True, help_text="The answers of the latest complete attempt.")
    attempts = models.PositiveIntegerField(default=0, help_text="Complete attempts (the first and every retry).")
    time_spent_seconds = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = LessonProgressQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "lesson"], name="lessonprogress_unique_user_lesson"),
            models.CheckConstraint(condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=1), name="lessonprogress_score_0_1"),
            models.CheckConstraint(condition=Q(best_score__isnull=True) | Q(best_score__gte=0, best_score__lte=1),
                                   name="lessonprogress_best_score_0_1"),
        ]
        indexes = [models.Index(fields=["user", "status", "completed_at"], name="lessonprogress_user_status")]

    def __str__(self) -> str:
        return f"{self.user_id} · {self.lesson_id} · {self.status}"

    @property
    def mastery(self) -> str:
        return mastery_of(status=self.status, best_score=self.best_score)

    @property
    def first_try_perfect(self) -> bool:
        """Every check right on the learner's genuine first try."""
        return self.status == self.Status.COMPLETED and self.score == 1


def mastery_of(*, status: str, best_score: float | None) -> str:
    """The mastery state of a lesson record (also used on annotated lesson lists)."""
    if status == LessonProgress.Status.COMPLETED:
        return LessonProgress.Mastery.MASTERED if best_score == 1 else LessonProgress.Mastery.PRACTISING
    return LessonProgress.Mastery.IN_PROGRESS if status == LessonProgress.Status.IN_PROGRESS else LessonProgress.Mastery.NOT_STARTED
