"""Staff-only metrics and reports API: thin views over the telemetry selectors."""

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, mixins, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from controlpanel.api.schema import error_responses
from controlpanel.errors import NotFoundError
from telemetry import rendering, selectors
from telemetry.agent import process_sampler
from telemetry.api import serializers as s

_STAFF_ERRORS = error_responses(400, 401, 403, 429)


def _query(serializer_class, request) -> dict:
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data


class SystemMetricsView(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(
        parameters=[s.SystemQuerySerializer],
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="Latest sample, thresholds, health and a series."),
                   **_STAFF_ERRORS, **error_responses(404)},  # 404: no samples from the host asked for
        tags=["metrics"],
    )
    def get(self, request):
        """Latest CPU, memory, disk, network, load and app RSS, threshold states, and a series."""
        params = _query(s.SystemQuerySerializer, request)
        process_sampler.ensure_sample()
        now = timezone.now()
        body = selectors.system_metrics_snapshot(now=now, host=params.get("host"))
        if params.get("host") and body["latest"] is None:
            raise NotFoundError("No samples from that host.")
        body["series"] = {
            "host": body["host"],
            "window_seconds": int(params["window"].total_seconds()),
            "resolution": params["resolution"],
            "points": selectors.system_series(start=now - params["window"], end=now, resolution=params["resolution"],
                                              host=body["host"]),
        }
        return Response(body)


class AlertListView(generics.GenericAPIView):
    permission_classes = [IsAdminUser]

    @extend_schema(
        parameters=[s.AlertQuerySerializer],
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="Threshold transitions, newest first."),
                   **_STAFF_ERRORS},
        tags=["metrics"],
    )
    def get(self, request):
        """Threshold transitions (warning, critical, cleared) per host, with value, limit and notification outcome."""
        params = _query(s.AlertQuerySerializer, request)
        page = self.paginate_queryset(selectors.alert_list(host=params.get("host")))
        return self.get_paginated_response([selectors.alert_dict(event) for event in page])


class PerformanceMetricsView(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(
        parameters=[s.WindowQuerySerializer],
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="Per-endpoint and overall latency and errors."),
                   **_STAFF_ERRORS},
        tags=["metrics"],
    )
    def get(self, request):
        """Per endpoint and overall p50/p95/p99, error rate and throughput; the plan's objectives."""
        params = _query(s.WindowQuerySerializer, request)
        return Response(selectors.performance_summary(window=params["window"]))


class TelemetryMetricsView(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(
        parameters=[s.EngagementQuerySerializer],
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="Engagement, search, turbo status and uptime."),
                   **_STAFF_ERRORS},
        tags=["metrics"],
    )
    def get(self, request):
        """Active users, sessions, feature usage, learning and search figures, turbo status, uptime."""
        params = _query(s.EngagementQuerySerializer, request)
        return Response(selectors.engagement_summary(window=params["window"]))


class ReportViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Stored reports: the list, each as JSON, as its HTML document and as CSV."""

    permission_classes = [IsAdminUser]
    serializer_class = s.ReportOutputSerializer
    lookup_value_converter = "int"

    def get_queryset(self):
        params = _query(s.ReportListQuerySerializer, self.request)
        return selectors.report_list(kind=params.get("kind"))

    def _detail(self, pk):
        detail = selectors.report_detail(pk=int(pk))
        if detail is None:
            raise NotFoundError("No such report.")
        return detail

    @extend_schema(parameters=[s.ReportListQuerySerializer], responses={200: s.ReportOutputSerializer(many=True), **_STAFF_ERRORS},
                   tags=["reports"])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={200: s.ReportDetailOutputSerializer, **error_responses(401, 403, 404, 429)}, tags=["reports"])
    def retrieve(self, request, pk=None):
        return Response(s.ReportDetailOutputSerializer(self._detail(pk).report).data)

    @extend_schema(
        parameters=[OpenApiParameter("download", OpenApiTypes.BOOL, description="Serve as an attachment.")],
        responses={(200, "text/html"): OpenApiTypes.STR, **error_responses(401, 403, 404, 429)}, tags=["reports"],
    )
    @action(detail=True, methods=["get"], url_path="html")
    def html(self, request, pk=None):
        report = self._detail(pk).report
        response = HttpResponse(report.html, content_type="text/html; charset=utf-8")
        response["Content-Security-Policy"] = rendering.REPORT_DOCUMENT_CSP
        if request.query_params.get("download", "").lower() == "true":  # the API contract allows true or false
            response["Content-Disposition"] = f'attachment; filename="report-{report.kind}-{report.period_start}.html"'
        return response

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.STR, **error_responses(401, 403, 404, 429)}, tags=["reports"])
    @action(detail=True, methods=["get"], url_path="csv")
    def csv(self, request, pk=None):
        report = self._detail(pk).report
        response = HttpResponse(rendering.render_csv(report.data), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="report-{report.kind}-{report.period_start}.csv"'
        return response
