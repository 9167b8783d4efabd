from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from controlpanel.api.schema import error_responses
from lessons import selectors
from lessons.api import serializers as s
from lessons.filters import LessonFilterSet
from lessons.models import Lesson


class LessonViewSet(viewsets.GenericViewSet):
    """The Crazy Diamonds catalog as the requesting learner sees it."""

    lookup_field = "slug"
    lookup_value_converter = "slug"
    serializer_class = s.LessonListOutputSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = LessonFilterSet

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI schema only needs the model
            return Lesson.objects.none()
        return selectors.lesson_list(user=self.request.user)

    @extend_schema(responses={200: s.LessonListOutputSerializer(many=True), **error_responses(400, 401, 429)},
                   tags=["lessons"])
    def list(self, request):
        """Published lessons in catalog order with your status; filter by category, difficulty, style, status."""
        if any(name in request.query_params for name in LessonFilterSet.base_filters):
            lessons = self.filter_queryset(self.get_queryset())
        else:
            # Without a filter the FilterSet changes nothing (and building it, a deep copy of its filters and
            # form, costs more than the list's own query): the whole catalog, read by written statements.
            lessons = selectors.catalog_page(user=request.user)
        page = self.paginate_queryset(lessons)
        return self.get_paginated_response(s.LessonListOutputSerializer.represent_many(page))

    @extend_schema(responses={200: s.LessonDetailOutputSerializer, **error_responses(401, 404, 429)}, tags=["lessons"])
    def retrieve(self, request, slug=None):
        """One lesson: sanitized HTML, its checks (answers only for checks you attempted), prerequisites,
        previous/next in its category, your progress and mastery."""
        return Response(s.LessonDetailOutputSerializer.represent(selectors.lesson_detail(user=request.user, slug=slug)))

    @extend_schema(parameters=[s.RecommendationQueryInputSerializer], filters=False,
                   responses={200: s.RecommendationOutputSerializer(many=True), **error_responses(400, 401, 429)},
                   tags=["lessons"])
    @action(detail=False, methods=["get"], pagination_class=None)
    def recommendations(self, request):
        """Lessons ranked for you, each with a score and the reasons behind it; computed fresh on every call."""
        query = s.RecommendationQueryInputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        ranked = selectors.lesson_recommendations(user=request.user, limit=query.validated_data["limit"])
        return Response(s.RecommendationOutputSerializer.represent_many(ranked))
