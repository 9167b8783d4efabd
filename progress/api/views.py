from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from controlpanel.api.schema import error_responses
from lessons.api.views import ViewMetadata
from progress import selectors, services
from progress.api import serializers as s


def _category(slug: str):
    category = selectors.category_by_slug(slug)
    if category is None:
        raise services.CategoryNotFound(details={"category": slug})
    return category


class ProgressViewSet(viewsets.GenericViewSet):
    """The requesting learner's progress per category, its history and summary."""

    lookup_field = "category"
    lookup_value_converter = "slug"
    metadata_class = ViewMetadata
    serializer_class = s.CategoryProgressOutputSerializer

    @extend_schema(responses={200: s.CategoryProgressOutputSerializer(many=True), **error_responses(401, 429)},
                   tags=["progress"])
    def list(self, request):
        """Your progress in every category, untouched categories included (at zero)."""
        page = self.paginate_queryset(selectors.category_progress_list(request.user))
        return self.get_paginated_response(s.CategoryProgressOutputSerializer.represent_many(page))

    @extend_schema(responses={200: s.CategoryProgressOutputSerializer, **error_responses(401, 404, 429)},
                   tags=["progress"])
    def retrieve(self, request, category=None):
        """Your progress in one category."""
        row = selectors.category_progress_get(request.user, _category(category))
        return Response(s.CategoryProgressOutputSerializer(row).data)

    @extend_schema(request=s.ProgressSetInputSerializer,
                   responses={200: s.CategoryProgressOutputSerializer, **error_responses(400, 401, 404, 415, 429)},
                   tags=["progress"])
    def update(self, request, category=None):
        """Set your progress in a category (0..total_lessons); a change is recorded as one history event."""
        category = _category(category)
        data = s.ProgressSetInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.progress_set(user=request.user, category=category, progress=data.validated_data["progress"])
        return Response(s.CategoryProgressOutputSerializer(selectors.category_progress_get(request.user, category)).data)

    @extend_schema(responses={200: s.SummaryOutputSerializer, **error_responses(401, 429)}, tags=["progress"])
    @action(detail=False, methods=["get"], pagination_class=None)
    def summary(self, request):
        """Overall percentage, lessons done, complete categories, streaks (your time zone), badges, weeks."""
        return Response(s.SummaryOutputSerializer(selectors.progress_summary(request.user)).data)

    @extend_schema(parameters=[s.HistoryFilterInputSerializer],
                   responses={200: s.ProgressEventOutputSerializer(many=True), **error_responses(400, 401, 429)},
                   tags=["progress"])
    @action(detail=False, methods=["get"])
    def history(self, request):
        """Your progress events, newest first; filter by category and time range (since inclusive, until exclusive)."""
        filters = s.HistoryFilterInputSerializer(data=request.query_params,
                                                 context={"zone": selectors.user_time_zone(request.user)})
        filters.is_valid(raise_exception=True)
        page = self.paginate_queryset(selectors.progress_history(request.user, **filters.validated_data))
        return self.get_paginated_response(s.ProgressEventOutputSerializer(page, many=True).data)
