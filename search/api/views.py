from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from controlpanel.api.ratelimit import ApiRateLimit, SearchRateLimit
from controlpanel.api.schema import error_responses
from controlpanel.errors import NotFoundError
from search import selectors, services
from search.api import serializers as s


def _result_payload(request, result: selectors.SearchResult) -> dict:
    url = request.build_absolute_uri()
    next_url = replace_query_param(url, "page", result.page + 1) if result.has_next else None
    if not result.has_previous:
        previous_url = None
    elif result.page == 2:
        previous_url = remove_query_param(url, "page")
    else:
        previous_url = replace_query_param(url, "page", result.page - 1)
    payload = s.SearchResultOutputSerializer.represent(result)
    payload["next"], payload["previous"] = next_url, previous_url
    return payload


class SearchViewSet(viewsets.GenericViewSet):
    """Search published lessons (plain or turbo), the search history and saving a search."""

    serializer_class = s.SearchResultOutputSerializer
    pagination_class = None

    def get_throttles(self):
        if self.action in {"list", "save"}:  # saving runs the search for its snapshot
            return [ApiRateLimit(), SearchRateLimit()]
        return super().get_throttles()

    @extend_schema(parameters=[s.SearchQueryInputSerializer],
                   responses={200: s.SearchResultOutputSerializer, **error_responses(400, 401, 429)}, tags=["search"])
    def list(self, request):
        """Search published lessons. Every word must occur in the title, summary, body, tags or category
        name; results carry a highlighted snippet and a score, title matches first. Recorded in your history;
        at most 100 searches a minute."""
        params = s.SearchQueryInputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        result = services.search_run(user=request.user, query=data["q"], turbo=data.get("turbo"),
                                     category=data.get("category"), difficulty=data.get("difficulty"),
                                     style=data.get("style"), page=data["page"], page_size=data["page_size"])
        return Response(_result_payload(request, result))

    @extend_schema(methods=["GET"], responses={200: s.SearchHistoryOutputSerializer(many=True),
                                               **error_responses(401, 429)}, tags=["search"])
    @extend_schema(methods=["DELETE"], responses={200: s.HistoryClearedOutputSerializer, **error_responses(401, 429)},
                   tags=["search"])
    @action(detail=False, methods=["get", "delete"], serializer_class=s.SearchHistoryOutputSerializer,
            pagination_class=viewsets.GenericViewSet.pagination_class)
    def history(self, request):
        """Your searches, newest first (GET, paginated); DELETE clears them (saved searches stay)."""
        if request.method == "DELETE":
            deleted = services.search_history_clear(user=request.user)
            return Response(s.HistoryClearedOutputSerializer({"deleted": deleted}).data)
        page = self.paginate_queryset(selectors.search_history_list(user=request.user))
        return self.get_paginated_response(s.SearchHistoryOutputSerializer(page, many=True).data)

    @extend_schema(request=s.SavedSearchInputSerializer,
                   responses={201: s.SavedSearchOutputSerializer, **error_responses(400, 401, 409, 415, 429)},
                   tags=["search"])
    @action(detail=False, methods=["post"], serializer_class=s.SavedSearchInputSerializer)
    def save(self, request):
        """Save a search under a name with a snapshot of its results (ids and titles, up to 100).

        Saving runs the search, so it counts against the search rate limit like a search."""
        data = s.SavedSearchInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        saved = services.saved_search_create(user=request.user, **data.validated_data)
        return Response(s.SavedSearchOutputSerializer(saved).data, status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[s.SearchSuggestInputSerializer],
                   responses={200: s.SearchSuggestOutputSerializer, **error_responses(400, 401, 429)}, tags=["search"])
    @action(detail=False, methods=["get"], serializer_class=s.SearchSuggestOutputSerializer)
    def suggest(self, request):
        """Autocomplete as you type: completions of the last word and matching lesson titles.

        Not recorded in your history and not counted in the search limit (the API limit applies)."""
        params = s.SearchSuggestInputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        return Response(s.SearchSuggestOutputSerializer(selectors.search_suggest(query=params.validated_data["q"])).data)


class SavedSearchViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Your saved searches: list, read the snapshot, run again, delete."""

    serializer_class = s.SavedSearchOutputSerializer
    lookup_value_converter = "rowid"

    def get_queryset(self):
        return selectors.saved_search_list(user=self.request.user)

    def get_throttles(self):
        if self.action == "run":
            return [ApiRateLimit(), SearchRateLimit()]
        return super().get_throttles()

    @extend_schema(responses={200: s.SavedSearchOutputSerializer(many=True), **error_responses(401, 429)},
                   tags=["search"])
    def list(self, request, *args, **kwargs):
        """Your saved searches, newest first."""
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={200: s.SavedSearchOutputSerializer, **error_responses(401, 404, 429)}, tags=["search"])
    def retrieve(self, request, *args, **kwargs):
        """One saved search with its snapshot."""
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(responses={204: None, **error_responses(401, 404, 429)}, tags=["search"])
    def destroy(self, request, pk=None):
        """Delete one of your saved searches."""
        services.saved_search_delete(user=request.user, saved_search_id=int(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(parameters=[s.SearchPageInputSerializer],
                   responses={200: s.SearchResultOutputSerializer, **error_responses(400, 401, 404, 429)},
                   tags=["search"])
    @action(detail=True, methods=["get"], serializer_class=s.SearchResultOutputSerializer)
    def run(self, request, pk=None):
        """Run the saved search again now (recorded in your history, counted in the search rate limit)."""
        params = s.SearchPageInputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        try:
            saved_id = int(pk)
        except (TypeError, ValueError) as exc:
            raise NotFoundError("No such saved search.") from exc
        result = services.saved_search_rerun(user=request.user, saved_search_id=saved_id,
                                             page=params.validated_data["page"],
                                             page_size=params.validated_data["page_size"])
        return Response(_result_payload(request, result))
