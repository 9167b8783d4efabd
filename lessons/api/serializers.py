from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from lessons.models import LessonProgress, mastery_of
from lessons.recommendations import MAX_LIMIT


class StrictInputSerializer(serializers.Serializer):
    """Rejects fields it does not declare, so a typo or a mass-assignment attempt is a 400 (also nested in a list)."""

    def to_internal_value(self, data):
        unknown = sorted(set(data) - set(self.fields)) if isinstance(data, dict) else []
        unknown_errors = {name: ["Unknown field."] for name in unknown}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if unknown_errors and isinstance(exc.detail, dict):
                raise serializers.ValidationError({**exc.detail, **unknown_errors}) from exc
            raise
        if unknown_errors:
            raise serializers.ValidationError(unknown_errors)
        return value


# --- input -----------------------------------------------------------------------------------

class RecommendationQueryInputSerializer(serializers.Serializer):
    limit = serializers.IntegerField(required=False, default=5, min_value=1, max_value=MAX_LIMIT)


# --- output ----------------------------------------------------------------------------------

class CategoryRefSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()


class LessonListOutputSerializer(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()
    category = CategoryRefSerializer()
    difficulty = serializers.IntegerField()
    style = serializers.CharField()
    minutes = serializers.IntegerField()
    summary = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField())
    source = serializers.CharField()
    status = serializers.CharField(source="user_status", help_text="Your status: not_started, in_progress or completed.")
    score = serializers.FloatField(source="user_score", allow_null=True,
                                   help_text="Your score of record, 0..1: the first complete attempt (first answer per check).")
    best_score = serializers.FloatField(source="user_best_score", allow_null=True,
                                        help_text="Your best complete attempt, 0..1, retries included.")
    mastery = serializers.SerializerMethodField(help_text="not_started, in_progress, practising or mastered.")

    def get_mastery(self, lesson) -> str:
        return mastery_of(status=lesson.user_status, best_score=lesson.user_best_score)

    @classmethod
    def represent_many(cls, lessons) -> list[dict]:
        """What ``cls(lessons, many=True).data`` gives, without binding thirteen fields per lesson per request.

        ``lessons/`` is the catalog every learner opens; building the serializer for a page of it
        cost three times its query. The shape is the declared one above (the schema still comes
        from the fields) and a test holds the two equal on generated lessons.
        """
        def number(value, kind):
            return None if value is None else kind(value)

        return [
            {
                "slug": str(lesson.slug), "title": str(lesson.title),
                "category": {"slug": str(lesson.category.slug), "name": str(lesson.category.name)},
                "difficulty": int(lesson.difficulty), "style": str(lesson.style), "minutes": int(lesson.minutes),
                "summary": str(lesson.summary), "tags": [str(tag) for tag in lesson.tags], "source": str(lesson.source),
                "status": str(lesson.user_status), "score": number(lesson.user_score, float),
                "best_score": number(lesson.user_best_score, float),
                "mastery": mastery_of(status=lesson.user_status, best_score=lesson.user_best_score),
            }
            for lesson in lessons
        ]


class LessonLinkSerializer(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()
    difficulty = serializers.IntegerField()


class PrerequisiteSerializer(LessonLinkSerializer):
    completed = serializers.BooleanField()


class CheckAttemptSerializer(serializers.Serializer):
    first_answer = serializers.IntegerField(help_text="Your first answer: the one your score of record counts.")
    first_correct = serializers.BooleanField()
    last_answer = serializers.IntegerField(allow_null=True, help_text="Your answer in your latest complete attempt.")
    last_correct = serializers.BooleanField(allow_null=True)
    correct_answer = serializers.IntegerField()
    explanation = serializers.CharField()


class CheckQuestionSerializer(serializers.Serializer):
    order = serializers.IntegerField()
    question = serializers.CharField()
    choices = serializers.ListField(child=serializers.CharField())


class LessonCheckOutputSerializer(CheckQuestionSerializer):
    attempt = CheckAttemptSerializer(allow_null=True, help_text="Null until you have answered this check.")


class LessonProgressOutputSerializer(serializers.Serializer):
    status = serializers.CharField()
    mastery = serializers.CharField(help_text="not_started, in_progress, practising (completed) or mastered.")
    score = serializers.FloatField(allow_null=True,
                                   help_text="Score of record, 0..1: the first complete attempt, first answer per check.")
    best_score = serializers.FloatField(allow_null=True, help_text="Best complete attempt, 0..1, retries included.")
    attempts = serializers.IntegerField(help_text="Complete attempts.")
    time_spent_seconds = serializers.IntegerField()
    started_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)


class LessonDetailOutputSerializer(serializers.Serializer):
    slug = serializers.CharField(source="lesson.slug")
    title = serializers.CharField(source="lesson.title")
    category = CategoryRefSerializer(source="lesson.category")
    difficulty = serializers.IntegerField(source="lesson.difficulty")
    style = serializers.CharField(source="lesson.style")
    minutes = serializers.IntegerField(source="lesson.minutes")
    summary = serializers.CharField(source="lesson.summary")
    tags = serializers.ListField(child=serializers.CharField(), source="lesson.tags")
    source = serializers.CharField(source="lesson.source")
    html = serializers.CharField(source="lesson.body_html", help_text="Sanitized HTML rendered from the lesson's Markdown.")
    checks = serializers.SerializerMethodField(
        help_text="The lesson's checks. A check's right answer and explanation are given only once you attempted it.")
    prerequisites = PrerequisiteSerializer(many=True)
    prerequisites_met = serializers.BooleanField()
    previous = LessonLinkSerializer(allow_null=True, help_text="Previous lesson in this category.")
    next = LessonLinkSerializer(allow_null=True, help_text="Next lesson in this category.")
    progress = serializers.SerializerMethodField()

    def get_progress(self, detail) -> LessonProgressOutputSerializer:
        record = detail.record or LessonProgress()
        return LessonProgressOutputSerializer(record).data

    @extend_schema_field(LessonCheckOutputSerializer(many=True))
    def get_checks(self, detail) -> list[dict]:
        return [
            {**CheckQuestionSerializer(check).data, "attempt": _attempt_data(detail.attempt(check))}
            for check in detail.checks
        ]


    @classmethod
    def represent(cls, detail) -> dict:
        """What ``cls(detail).data`` gives, without binding this serializer and its six nested ones per request.

        The lesson page's read is one of the endpoints every learner opens; binding the fields cost
        as much as its queries. The shape is the declared one above (the schema still comes from the
        fields) and a test holds the two equal on generated lessons, checks, attempts and records.
        """
        lesson, record = detail.lesson, detail.record or LessonProgress()
        return {
            "slug": str(lesson.slug), "title": str(lesson.title),
            "category": {"slug": str(lesson.category.slug), "name": str(lesson.category.name)},
            "difficulty": int(lesson.difficulty), "style": str(lesson.style), "minutes": int(lesson.minutes),
            "summary": str(lesson.summary), "tags": [str(tag) for tag in lesson.tags], "source": str(lesson.source),
            "html": str(lesson.body_html),
            "checks": [
                {"order": int(check.order), "question": str(check.question),
                 "choices": [str(choice) for choice in check.choices], "attempt": _attempt_fast(detail.attempt(check))}
                for check in detail.checks
            ],
            "prerequisites": [{**_link(p), "completed": bool(p.completed)} for p in detail.prerequisites],
            "prerequisites_met": bool(detail.prerequisites_met),
            "previous": _link(detail.previous), "next": _link(detail.next),
            "progress": {
                "status": str(record.status), "mastery": str(record.mastery),
                "score": _maybe(record.score, float), "best_score": _maybe(record.best_score, float),
                "attempts": int(record.attempts), "time_spent_seconds": int(record.time_spent_seconds),
                "started_at": _maybe(record.started_at, _DATETIME.to_representation),
                "completed_at": _maybe(record.completed_at, _DATETIME.to_representation),
            },
        }


_DATETIME = serializers.DateTimeField()  # its formatting (ISO 8601 in the current time zone), unbound


def _maybe(value, convert):
    return None if value is None else convert(value)


def _link(link) -> dict | None:
    return None if link is None else {"slug": str(link.slug), "title": str(link.title), "difficulty": int(link.difficulty)}


def _attempt_fast(attempt) -> dict | None:
    if attempt is None:
        return None
    return {"first_answer": int(attempt.first_answer), "first_correct": bool(attempt.first_correct),
            "last_answer": _maybe(attempt.last_answer, int), "last_correct": _maybe(attempt.last_correct, bool),
            "correct_answer": int(attempt.correct_answer), "explanation": str(attempt.explanation)}


def _attempt_data(attempt) -> dict | None:
    return None if attempt is None else CheckAttemptSerializer(attempt).data


class RecommendationOutputSerializer(serializers.Serializer):
    slug = serializers.CharField(source="lesson.slug")
    title = serializers.CharField(source="lesson.title")
    category = CategoryRefSerializer()
    difficulty = serializers.IntegerField(source="lesson.difficulty")
    style = serializers.CharField(source="lesson.style")
    minutes = serializers.IntegerField(source="lesson.minutes")
    summary = serializers.CharField(source="lesson.summary")
    status = serializers.CharField()
    level = serializers.IntegerField(help_text="Your level (1-5) in the lesson's category.")
    score = serializers.FloatField(help_text="Ranking score; higher first.")
    reasons = serializers.ListField(child=serializers.CharField(), help_text="Why this lesson, in words.")

    @classmethod
    def represent_many(cls, recommendations) -> list[dict]:
        """What ``cls(recommendations, many=True).data`` gives, without binding the serializer per request.

        The shape is the declared one above (the schema still comes from the fields) and a test
        holds the two equal on generated recommendations.
        """
        return [
            {
                "slug": str(r.lesson.slug), "title": str(r.lesson.title),
                "category": {"slug": str(r.category.slug), "name": str(r.category.name)},
                "difficulty": int(r.lesson.difficulty), "style": str(r.lesson.style), "minutes": int(r.lesson.minutes),
                "summary": str(r.lesson.summary), "status": str(r.status), "level": int(r.level),
                "score": float(r.score), "reasons": [str(reason) for reason in r.reasons],
            }
            for r in recommendations
        ]
