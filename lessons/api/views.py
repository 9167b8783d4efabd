from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.metadata import SimpleMetadata
from rest_framework.response import Response

from controlpanel.api.schema import error_responses
from lessons import selectors, services
from lessons.api import serializers as s


class ViewMetadata(SimpleMetadata):
    """OPTIONS names the view and its formats; it never looks an object up to describe a form."""

    def determine_actions(self, request, view):
        return {}


class LessonViewSet(viewsets.GenericViewSet):
    """The Crazy Diamonds catalog as the requesting learner sees it."""

    lookup_field = "slug"
    lookup_value_converter = "slug"
    metadata_class = ViewMetadata
    serializer_class = s.LessonListOutputSerializer

    @extend_schema(parameters=[s.LessonFilterInputSerializer], responses={200: s.LessonListOutputSerializer(many=True),
                   **error_responses(400, 401, 429)}, tags=["lessons"])
    def list(self, request):
        """Published lessons in catalog order with your status; filter by category, difficulty, style, status."""
        filters = s.LessonFilterInputSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        page = self.paginate_queryset(selectors.lesson_list(request.user, filters.validated_data))
        return self.get_paginated_response(s.LessonListOutputSerializer(page, many=True).data)

    @extend_schema(responses={200: s.LessonDetailOutputSerializer, **error_responses(401, 404, 429)}, tags=["lessons"])
    def retrieve(self, request, slug=None):
        """One lesson: sanitized HTML, checks without answers, prerequisites, previous/next in its category."""
        return Response(s.LessonDetailOutputSerializer(selectors.lesson_detail(request.user, slug)).data)

    @extend_schema(request=None, responses={200: s.LessonStartOutputSerializer, **error_responses(401, 404, 429)},
                   tags=["lessons"])
    @action(detail=True, methods=["post"])
    def start(self, request, slug=None):
        """Mark the lesson in progress; repeating it (or starting a completed lesson) changes nothing."""
        lesson = selectors.lesson_get_published(slug)
        record = services.lesson_start(user=request.user, lesson=lesson)
        return Response(s.LessonStartOutputSerializer({"lesson": lesson, "record": record}).data)

    @extend_schema(request=s.LessonCompleteInputSerializer,
                   responses={200: s.LessonCompletionOutputSerializer, **error_responses(400, 401, 404, 415, 429)},
                   tags=["lessons"])
    @action(detail=True, methods=["post"])
    def complete(self, request, slug=None):
        """Complete the lesson and score `answers` (one choice index per check). Counts once: repeating it only
        retries the checks (best score kept). Returns the score and the right answers with explanations."""
        data = s.LessonCompleteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        lesson = selectors.lesson_get_published(slug)
        completion = services.lesson_complete(user=request.user, lesson=lesson,
                                              answers=data.validated_data.get("answers"))
        return Response(s.LessonCompletionOutputSerializer(completion).data)

    @extend_schema(parameters=[s.RecommendationQueryInputSerializer],
                   responses={200: s.RecommendationOutputSerializer(many=True), **error_responses(400, 401, 429)},
                   tags=["lessons"])
    @action(detail=False, methods=["get"], pagination_class=None)
    def recommendations(self, request):
        """Lessons ranked for you, each with a score and the reasons behind it; computed fresh on every call."""
        query = s.RecommendationQueryInputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        ranked = selectors.lesson_recommendations(request.user, query.validated_data["limit"])
        return Response(s.RecommendationOutputSerializer(ranked, many=True).data)
