from django.conf import settings
from django.db import models
from django.db.models import F, Q

from lessons.models import Category, Lesson


class UserProgress(models.Model):
    """A learner's own self-paced marker in one category (the seed's ``user_progress``).

    Category progress itself is never stored: "N of M lessons" is always counted from the
    learner's lesson completions (``LessonProgress.objects.counted()``). What a learner sets
    through ``PUT progress/{category}/`` is kept here as ``marked`` ("I have done this many
    outside the product") and shown beside the counted figure, never instead of it.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="category_progress")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="user_progress")
    marked = models.PositiveIntegerField(null=True, blank=True,
                                         help_text="Lessons the learner says they have done (self-paced); null: none.")
    last_updated = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "category"], name="userprogress_unique_user_category"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} · {self.category_id}: marked {self.marked}"


class ProgressEvent(models.Model):
    """One step of a learner's history in a category.

    ``lesson``: a first completion; ``previous``/``new`` are the category's counted completions
    just before and after it. ``manual``: the learner changed their self-paced marker;
    ``previous``/``new`` are the marker's values (0 for none).
    """

    class Source(models.TextChoices):
        LESSON = "lesson", "Lesson completed"
        MANUAL = "manual", "Self-paced marker set by the learner"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="progress_events")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="progress_events")
    previous = models.PositiveIntegerField()
    new = models.PositiveIntegerField()
    source = models.CharField(max_length=10, choices=Source.choices)
    lesson = models.ForeignKey(Lesson, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="progressevent_user_time"),
            models.Index(fields=["user", "category", "-created_at"], name="progressevent_user_cat_time"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} · {self.category_id}: {self.previous}→{self.new}"


class Achievement(models.Model):
    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=80)
    description = models.CharField(max_length=200)
    icon = models.CharField(max_length=8, default="◆")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class UserAchievement(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="achievements")
    achievement = models.ForeignKey(Achievement, on_delete=models.CASCADE, related_name="awards")
    awarded_at = models.DateTimeField()

    class Meta:
        ordering = ["-awarded_at"]
        constraints = [models.UniqueConstraint(fields=["user", "achievement"], name="userachievement_awarded_once")]

    def __str__(self) -> str:
        return f"{self.user_id} · {self.achievement_id}"


class LearningStreak(models.Model):
    """A learner's run of consecutive active days (a day with at least one completed lesson).

    Kept up to date by the progress services on every completion, so the summary reads one
    row instead of scanning the whole history. Days are the learner's local days, in the
    time zone of their preferences at the moment of the activity.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="learning_streak")
    current = models.PositiveIntegerField(default=0, help_text="Length of the run ending on last_day.")
    best = models.PositiveIntegerField(default=0)
    last_day = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(current__lte=F("best")), name="learningstreak_current_le_best")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.current} (best {self.best})"


class WeeklyProgressEmail(models.Model):
    """One learner's weekly progress e-mail: exactly one row per learner and week.

    The row is the claim: it is created (unique on user and week) and then moved from
    ``pending`` to its outcome by a conditional update, so a duplicated or replayed beat run
    sends one e-mail. ``week_start`` is the Monday of the ISO week the e-mail covers.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="weekly_progress_emails")
    week_start = models.DateField(help_text="Monday of the week the e-mail covers.")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-week_start", "user_id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "week_start"], name="weeklyprogressemail_once_per_week"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} · week of {self.week_start:%Y-%m-%d}: {self.status}"
