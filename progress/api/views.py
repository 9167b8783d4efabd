from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from controlpanel.api.schema import error_responses
from lessons.selectors import lesson_get_published
from progress import selectors, services
from progress.api import serializers as s
from progress.api.pagination import HistoryPagination


def _category(slug: str):
    category = selectors.category_by_slug(slug=slug)
    if category is None:
        raise services.CategoryNotFound(details={"category": slug})
    return category


class ProgressViewSet(viewsets.GenericViewSet):
    """The requesting learner's progress per category, its history and summary."""

    lookup_field = "category"
    lookup_value_converter = "slug"
    serializer_class = s.CategoryProgressOutputSerializer

    @extend_schema(responses={200: s.CategoryProgressOutputSerializer(many=True), **error_responses(401, 429)},
                   tags=["progress"])
    def list(self, request):
        """Your progress in every category, untouched categories included (at zero)."""
        page = self.paginate_queryset(selectors.category_progress_list(user=request.user))
        return self.get_paginated_response(s.CategoryProgressOutputSerializer.represent_many(page))

    @extend_schema(responses={200: s.CategoryProgressOutputSerializer, **error_responses(401, 404, 429)},
                   tags=["progress"])
    def retrieve(self, request, category=None):
        """Your progress in one category."""
        row = selectors.category_progress_get(user=request.user, category=_category(category))
        return Response(s.CategoryProgressOutputSerializer(row).data)

    @extend_schema(request=s.ProgressSetInputSerializer,
                   responses={200: s.CategoryProgressOutputSerializer, **error_responses(400, 401, 404, 415, 429)},
                   tags=["progress"])
    def update(self, request, category=None):
        """Set your self-paced marker in a category (0..total_lessons): lessons you have done outside the product.

        `progress` always counts your completed lessons; the marker is returned as `marked` beside it and
        never changes a counted figure. A change is recorded as one `manual` history event."""
        category = _category(category)
        data = s.ProgressSetInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.progress_mark(user=request.user, category=category, marked=data.validated_data["progress"])
        return Response(s.CategoryProgressOutputSerializer(selectors.category_progress_get(user=request.user, category=category)).data)

    @extend_schema(operation_id="progress_bulk_update", request=s.ProgressBulkItemInputSerializer(many=True),
                   responses={200: s.CategoryProgressOutputSerializer(many=True),
                              **error_responses(400, 401, 404, 415, 429)},
                   tags=["progress"])
    def bulk_update(self, request):
        """Set self-paced markers in several categories at once, all or nothing; answers like `GET progress/`."""
        data = s.ProgressBulkInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        updates = [services.MarkerUpdate(category=_category(item["category"]), marked=item["progress"])
                   for item in data.validated_data]
        services.progress_mark_many(user=request.user, updates=updates)
        return self.list(request)

    @extend_schema(responses={200: s.SummaryOutputSerializer, **error_responses(401, 429)}, tags=["progress"])
    @action(detail=False, methods=["get"], pagination_class=None)
    def summary(self, request):
        """Overall percentage, lessons done, complete categories, streaks (your time zone), badges, weeks."""
        return Response(s.SummaryOutputSerializer.represent(selectors.progress_summary(user=request.user)))

    @extend_schema(parameters=[s.HistoryFilterInputSerializer],
                   responses={200: s.ProgressEventOutputSerializer(many=True), **error_responses(400, 401, 429)},
                   tags=["progress"])
    @action(detail=False, methods=["get"], pagination_class=HistoryPagination)
    def history(self, request):
        """Your progress events, newest first; filter by category and time range (since inclusive, until exclusive).

        Pages are reached by links: follow `next` (older events) and `previous` until it is null. There is
        no `count` and no page number, so a page costs the same however long your history is."""
        filters = s.HistoryFilterInputSerializer(data=request.query_params,
                                                 context={"zone": selectors.user_time_zone(user=request.user)})
        filters.is_valid(raise_exception=True)
        page = self.paginate_queryset(selectors.progress_history_rows(user=request.user, **filters.validated_data))
        return self.get_paginated_response(s.ProgressEventOutputSerializer.represent_many(page))


class LessonActivityViewSet(viewsets.GenericViewSet):
    """A learner's work on a lesson: start it, check an answer, complete it (the progress app's use case)."""

    lookup_field = "slug"
    lookup_value_converter = "slug"
    serializer_class = s.LessonCompletionOutputSerializer

    @extend_schema(request=None, responses={200: s.LessonStartOutputSerializer, **error_responses(401, 404, 429)},
                   tags=["lessons"])
    @action(detail=True, methods=["post"])
    def start(self, request, slug=None):
        """Mark the lesson in progress; repeating it (or starting a completed lesson) changes nothing."""
        lesson = lesson_get_published(slug=slug)
        record = services.lesson_start(user=request.user, lesson=lesson)
        return Response(s.LessonStartOutputSerializer({"lesson": lesson, "record": record}).data)

    @extend_schema(request=s.LessonCheckInputSerializer,
                   responses={200: s.CheckFeedbackOutputSerializer, **error_responses(400, 401, 404, 415, 429)},
                   tags=["lessons"])
    @action(detail=True, methods=["post"], url_path="checks/<int:order>", url_name="check")
    def check(self, request, slug=None, order=None):
        """Check one answer before completing. It reveals the right answer, so only your first answer to a
        check counts as a first try (and in your score of record)."""
        lesson = lesson_get_published(slug=slug)
        data = s.LessonCheckInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        feedback = services.lesson_check_answer(user=request.user, lesson=lesson, order=int(order),
                                                choice=data.validated_data["choice"])
        return Response(s.CheckFeedbackOutputSerializer(feedback).data)

    @extend_schema(request=s.LessonCompleteInputSerializer,
                   responses={200: s.LessonCompletionOutputSerializer, **error_responses(400, 401, 404, 415, 429)},
                   tags=["lessons"])
    @action(detail=True, methods=["post"])
    def complete(self, request, slug=None):
        """Complete the lesson with `answers` (one choice index per check; every check needs one).

        Counts once: the first completion sets your score of record (each check's first answer) and your
        progress; completing again is a retry that can raise your best score and reach mastery, never your
        score of record. Returns each check with the right answer and explanation."""
        lesson = lesson_get_published(slug=slug)
        data = s.LessonCompleteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        completion = services.lesson_complete(user=request.user, lesson=lesson, answers=data.validated_data["answers"])
        return Response(s.LessonCompletionOutputSerializer(completion).data)
