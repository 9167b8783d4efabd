from rest_framework import serializers

from lessons.models import Category, Lesson, LessonProgress
from lessons.recommendations import MAX_LIMIT


class StrictInputSerializer(serializers.Serializer):
    """Rejects fields it does not declare, so a typo or a mass-assignment attempt is a 400."""

    def validate(self, attrs):
        if isinstance(self.initial_data, dict):
            unknown = sorted(set(self.initial_data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return attrs


# --- input -----------------------------------------------------------------------------------

class LessonFilterInputSerializer(serializers.Serializer):
    category = serializers.SlugField(required=False, help_text="Category slug, e.g. `colour`.")
    difficulty = serializers.IntegerField(required=False, min_value=1, max_value=5)
    style = serializers.ChoiceField(required=False, choices=Lesson.Style.choices)
    status = serializers.ChoiceField(required=False, choices=LessonProgress.Status.choices,
                                     help_text="Your status on the lesson.")

    def validate_category(self, value):
        if not Category.objects.filter(slug=value).exists():
            raise serializers.ValidationError(f"Unknown category {value!r}.")
        return value


class RecommendationQueryInputSerializer(serializers.Serializer):
    limit = serializers.IntegerField(required=False, default=5, min_value=1, max_value=MAX_LIMIT)


class LessonCompleteInputSerializer(StrictInputSerializer):
    answers = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=9), required=False, allow_null=True, max_length=10,
        help_text="One 0-based choice index per check, in order. Leave out to complete without a score.",
    )


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
    score = serializers.FloatField(source="user_score", allow_null=True, help_text="Your best check score, 0..1.")


class LessonLinkSerializer(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()
    difficulty = serializers.IntegerField()


class PrerequisiteSerializer(LessonLinkSerializer):
    completed = serializers.BooleanField()


class CheckQuestionSerializer(serializers.Serializer):
    order = serializers.IntegerField()
    question = serializers.CharField()
    choices = serializers.ListField(child=serializers.CharField())


class LessonProgressOutputSerializer(serializers.Serializer):
    status = serializers.CharField()
    score = serializers.FloatField(allow_null=True)
    attempts = serializers.IntegerField()
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
    checks = CheckQuestionSerializer(many=True, help_text="The lesson's checks, without their answers.")
    prerequisites = PrerequisiteSerializer(many=True)
    prerequisites_met = serializers.BooleanField()
    previous = LessonLinkSerializer(allow_null=True, help_text="Previous lesson in this category.")
    next = LessonLinkSerializer(allow_null=True, help_text="Next lesson in this category.")
    progress = serializers.SerializerMethodField()

    def get_progress(self, detail) -> LessonProgressOutputSerializer:
        record = detail.record or LessonProgress()
        return LessonProgressOutputSerializer(record).data


class CheckResultSerializer(serializers.Serializer):
    order = serializers.IntegerField()
    question = serializers.CharField()
    choices = serializers.ListField(child=serializers.CharField())
    your_answer = serializers.IntegerField(allow_null=True)
    correct_answer = serializers.IntegerField()
    is_correct = serializers.BooleanField(allow_null=True)
    explanation = serializers.CharField()


class LessonCompletionOutputSerializer(serializers.Serializer):
    slug = serializers.CharField(source="lesson.slug")
    newly_completed = serializers.BooleanField(help_text="False when the lesson was already completed (nothing counted twice).")
    score = serializers.FloatField(allow_null=True, help_text="This submission's share of right answers; null without answers.")
    best_score = serializers.FloatField(allow_null=True)
    progress = LessonProgressOutputSerializer(source="record")
    checks = CheckResultSerializer(many=True, source="results")


class LessonStartOutputSerializer(serializers.Serializer):
    slug = serializers.CharField(source="lesson.slug")
    progress = LessonProgressOutputSerializer(source="record")


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
