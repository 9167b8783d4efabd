import re
from datetime import UTC, date, datetime, timedelta

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from lessons.api.serializers import CategoryRefSerializer, LessonProgressOutputSerializer, StrictInputSerializer
from progress.selectors import category_by_slug

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@extend_schema_field({"type": "string", "example": "2026-05-01", "description": "ISO 8601 date or date-time"})
class DateOrDateTimeField(serializers.Field):
    """An ISO 8601 date-time, or a plain date (read in the learner's time zone by the view)."""

    default_error_messages = {"invalid": "Use an ISO 8601 date (2026-05-01) or date-time (2026-05-01T08:00:00Z)."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        try:
            if _DATE_ONLY.match(data):
                value = parse_date(data)
            else:
                value = parse_datetime(data)
                if value is not None and not timezone.is_aware(value):
                    value = timezone.make_aware(value, UTC)
        except (ValueError, OverflowError):
            value = None
        # Years 2..9998 only, so shifting by a day or a time zone can never overflow.
        if value is None or not 2 <= value.year <= 9998:
            self.fail("invalid")
        return value

    def to_representation(self, value):
        return value.isoformat()


class HistoryFilterInputSerializer(serializers.Serializer):
    category = serializers.SlugField(required=False, help_text="Category slug.")
    since = DateOrDateTimeField(required=False, help_text="From this moment (inclusive); a date means its start.")
    until = DateOrDateTimeField(required=False, help_text="Up to this moment (exclusive); a date includes that whole day.")

    def validate_category(self, value):
        category = category_by_slug(slug=value)
        if category is None:
            raise serializers.ValidationError(f"Unknown category {value!r}.")
        return category

    def validate(self, attrs):
        zone = self.context["zone"]
        since, until = attrs.get("since"), attrs.get("until")
        if isinstance(since, date) and not isinstance(since, datetime):
            attrs["since"] = datetime.combine(since, datetime.min.time(), tzinfo=zone)
        if isinstance(until, date) and not isinstance(until, datetime):
            attrs["until"] = datetime.combine(until, datetime.min.time(), tzinfo=zone) + timedelta(days=1)
        if attrs.get("since") and attrs.get("until") and attrs["since"] >= attrs["until"]:
            raise serializers.ValidationError({"until": ["Must be after since."]})
        return attrs


class ProgressSetInputSerializer(StrictInputSerializer):
    progress = serializers.IntegerField(
        help_text="Your self-paced marker: lessons of this category you have done outside the product, 0..total_lessons. "
                  "It is shown as `marked` and never changes the counted `progress`.")


class ProgressBulkItemInputSerializer(StrictInputSerializer):
    category = serializers.SlugField(help_text="Category slug.")
    progress = serializers.IntegerField(help_text="Your self-paced marker for that category, 0..total_lessons.")


class ProgressBulkInputSerializer(serializers.ListSerializer):
    child = ProgressBulkItemInputSerializer()

    def validate(self, attrs):
        slugs = [item["category"] for item in attrs]
        if len(set(slugs)) != len(slugs):
            raise serializers.ValidationError("Name each category at most once.")
        return attrs


class CategoryProgressOutputSerializer(serializers.Serializer):
    category = serializers.SerializerMethodField()
    progress = serializers.IntegerField(help_text="Lessons of this category you have completed (published ones).")
    total_lessons = serializers.IntegerField(help_text="Published lessons in this category.")
    percent = serializers.FloatField()
    is_complete = serializers.BooleanField()
    marked = serializers.IntegerField(allow_null=True,
                                      help_text="Your self-paced marker (set with PUT), or null; never added to progress.")
    last_updated = serializers.DateTimeField(allow_null=True)

    def get_category(self, row) -> CategoryRefSerializer:
        return {"slug": row.slug, "name": row.name}

    @classmethod
    def represent_many(cls, rows) -> list[dict]:
        """What ``cls(rows, many=True).data`` gives, without building the serializer per request.

        ``progress/`` answers on nearly every dashboard load and is the P1 endpoint: binding and
        copying six fields per call cost a tenth of its time. The shape is the declared one above
        (the schema still comes from the fields) and a test holds the two equal.
        """
        timestamp = _TIMESTAMP.to_representation
        return [
            {
                "category": {"slug": row.slug, "name": row.name},
                "progress": int(row.progress),
                "total_lessons": int(row.total_lessons),
                "percent": float(row.percent),
                "is_complete": bool(row.is_complete),
                "marked": row.marked,
                "last_updated": None if row.last_updated is None else timestamp(row.last_updated),
            }
            for row in rows
        ]


_TIMESTAMP = serializers.DateTimeField()


class LessonRefSerializer(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()


class ProgressEventOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    category = CategoryRefSerializer()
    previous = serializers.IntegerField()
    new = serializers.IntegerField()
    delta = serializers.SerializerMethodField()
    source = serializers.CharField(
        help_text="lesson: a first completion (previous/new: completed lessons in the category); "
                  "manual: your self-paced marker changed (previous/new: its values).")
    lesson = LessonRefSerializer(allow_null=True)
    created_at = serializers.DateTimeField()

    def get_delta(self, event) -> int:
        return event.new - event.previous

    @classmethod
    def represent_many(cls, rows) -> list[dict]:
        """What ``cls(events, many=True).data`` gives for the events of ``rows`` (``progress_history_rows``),
        without binding this serializer and its two nested ones per event: on a page of history that binding
        cost as much as the page's read. The shape is the declared one above (the schema still comes from
        the fields) and a test holds the two equal."""
        return [
            {
                "id": int(row["id"]),
                "category": {"slug": str(row["category__slug"]), "name": str(row["category__name"])},
                "previous": int(row["previous"]), "new": int(row["new"]), "delta": row["new"] - row["previous"],
                "source": str(row["source"]),
                "lesson": None if row["lesson__slug"] is None else {"slug": str(row["lesson__slug"]),
                                                                   "title": str(row["lesson__title"])},
                "created_at": _TIMESTAMP.to_representation(row["created_at"]),
            }
            for row in rows
        ]


class BadgeOutputSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    icon = serializers.CharField()
    earned = serializers.BooleanField()
    awarded_at = serializers.DateTimeField(allow_null=True)


class WeekOutputSerializer(serializers.Serializer):
    starts_on = serializers.DateField()
    lessons_completed = serializers.IntegerField()
    minutes = serializers.IntegerField()
    progress_events = serializers.IntegerField()


class StreakOutputSerializer(serializers.Serializer):
    current = serializers.IntegerField(source="current_streak", help_text="Consecutive days with a completed lesson, up to today.")
    best = serializers.IntegerField(source="best_streak")
    active_today = serializers.BooleanField()


class DailyGoalOutputSerializer(serializers.Serializer):
    goal_minutes = serializers.IntegerField(help_text="Your daily goal (preferences).")
    today_minutes = serializers.IntegerField(help_text="Minutes of lessons completed today, your time zone.")
    lessons_today = serializers.IntegerField()
    met = serializers.BooleanField()
    percent = serializers.FloatField()


class SummaryOutputSerializer(serializers.Serializer):
    overall_percent = serializers.FloatField()
    lessons_completed = serializers.IntegerField()
    lessons_total = serializers.IntegerField()
    average_score = serializers.FloatField(allow_null=True)
    categories_complete = serializers.IntegerField()
    categories_total = serializers.IntegerField()
    streak = StreakOutputSerializer(source="*")
    badges = BadgeOutputSerializer(many=True, source="badges_earned", help_text="Achievements earned, in catalog order.")
    all_badges = BadgeOutputSerializer(many=True, source="badges", help_text="Every achievement, earned or not.")
    last_activity = serializers.DateTimeField(allow_null=True)
    this_week = WeekOutputSerializer()
    last_week = WeekOutputSerializer()
    daily_goal = DailyGoalOutputSerializer()

    @classmethod
    def represent(cls, summary) -> dict:
        """What ``cls(summary).data`` gives, without binding some sixty fields per request.

        ``progress/summary/`` answers on every dashboard load; building its nested serializers cost
        as much as its queries. The shape is the declared one above (the schema still comes from the
        fields) and a test holds the two equal on generated summaries.
        """
        timestamp = _TIMESTAMP.to_representation

        def badge(b) -> dict:
            return {"code": str(b.code), "name": str(b.name), "description": str(b.description), "icon": str(b.icon),
                    "earned": bool(b.earned), "awarded_at": None if b.awarded_at is None else timestamp(b.awarded_at)}

        def week(w) -> dict:
            return {"starts_on": w.starts_on.isoformat(), "lessons_completed": int(w.lessons_completed),
                    "minutes": int(w.minutes), "progress_events": int(w.progress_events)}

        goal = summary.daily_goal
        return {
            "overall_percent": float(summary.overall_percent),
            "lessons_completed": int(summary.lessons_completed),
            "lessons_total": int(summary.lessons_total),
            "average_score": None if summary.average_score is None else float(summary.average_score),
            "categories_complete": int(summary.categories_complete),
            "categories_total": int(summary.categories_total),
            "streak": {"current": int(summary.current_streak), "best": int(summary.best_streak),
                       "active_today": bool(summary.active_today)},
            "badges": [badge(b) for b in summary.badges_earned],
            "all_badges": [badge(b) for b in summary.badges],
            "last_activity": None if summary.last_activity is None else timestamp(summary.last_activity),
            "this_week": week(summary.this_week),
            "last_week": week(summary.last_week),
            "daily_goal": {"goal_minutes": int(goal.goal_minutes), "today_minutes": int(goal.today_minutes),
                           "lessons_today": int(goal.lessons_today), "met": bool(goal.met),
                           "percent": float(goal.percent)},
        }


# --- a learner's work on a lesson ------------------------------------------------------------

class LessonCompleteInputSerializer(StrictInputSerializer):
    answers = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=9), max_length=10,
        help_text="One 0-based choice index per check, in order; every check needs an answer.",
    )


class LessonCheckInputSerializer(StrictInputSerializer):
    choice = serializers.IntegerField(min_value=0, max_value=9, help_text="0-based index of the chosen answer.")


class CheckResultSerializer(serializers.Serializer):
    order = serializers.IntegerField()
    question = serializers.CharField()
    choices = serializers.ListField(child=serializers.CharField())
    your_answer = serializers.IntegerField(help_text="Your answer in this attempt.")
    correct_answer = serializers.IntegerField()
    is_correct = serializers.BooleanField()
    first_answer = serializers.IntegerField(help_text="Your first answer to this check, the one the score of record counts.")
    first_try_correct = serializers.BooleanField()
    explanation = serializers.CharField()


class LessonCompletionOutputSerializer(serializers.Serializer):
    slug = serializers.CharField(source="lesson.slug")
    newly_completed = serializers.BooleanField(help_text="False when the lesson was already completed (a retry).")
    score = serializers.FloatField(allow_null=True, help_text="This attempt's share of right answers.")
    score_of_record = serializers.FloatField(allow_null=True, help_text="Your first complete attempt; retries never change it.")
    best_score = serializers.FloatField(allow_null=True)
    progress = LessonProgressOutputSerializer(source="record")
    checks = CheckResultSerializer(many=True, source="results")


class LessonStartOutputSerializer(serializers.Serializer):
    slug = serializers.CharField(source="lesson.slug")
    progress = LessonProgressOutputSerializer(source="record")


class CheckFeedbackOutputSerializer(serializers.Serializer):
    order = serializers.IntegerField()
    choice = serializers.IntegerField()
    correct = serializers.BooleanField()
    answer = serializers.IntegerField(help_text="The right answer, revealed: later answers to this check are not a first try.")
    answer_text = serializers.CharField()
    explanation = serializers.CharField()
    first_try = serializers.BooleanField(help_text="True when this was your first answer to the check.")
