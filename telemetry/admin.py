from django.contrib import admin, messages
from django.http import Http404, HttpResponse
from django.urls import path, reverse
from django.utils.html import format_html

from controlpanel.admin import ReadOnlyAdmin
from controlpanel.errors import ApplicationError
from telemetry import services
from telemetry.models import HealthCheck, Report, SystemSample, ThresholdEvent, ThresholdState
from telemetry.rendering import REPORT_DOCUMENT_CSP


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    deletable = True
    list_display = ["__str__", "kind", "period_start", "time_zone", "generated_at", "version", "sent_at", "document"]
    list_filter = ["kind"]
    date_hierarchy = "period_start"
    fields = ["kind", "period_start", "period_end", "time_zone", "starts_at", "ends_at", "generated_at",
              "generation_ms", "version", "sent_at", "delivery", "document"]
    readonly_fields = fields
    actions = ["regenerate", "send_again"]

    def get_urls(self):
        view = self.admin_site.admin_view(self.document_view)
        return [path("<int:report_id>/document/", view, name="telemetry_report_document"), *super().get_urls()]

    def document_view(self, request, report_id):
        report = Report.objects.filter(pk=report_id).first()
        if report is None:
            raise Http404("No such report.")
        response = HttpResponse(report.html, content_type="text/html; charset=utf-8")
        response["Content-Security-Policy"] = REPORT_DOCUMENT_CSP
        return response

    @admin.display(description="Report")
    def document(self, report):
        if not report.pk:
            return "—"
        html = reverse("admin:telemetry_report_document", args=[report.pk])
        return format_html('<a href="{}">View</a> · <a href="/api/v1/reports/{}/csv/">CSV</a>', html, report.pk)

    @admin.action(description="Regenerate the selected reports (in place)")
    def regenerate(self, request, queryset):
        for report in queryset:
            try:
                services.report_generate(kind=report.kind, day=report.period_start, force=True)
            except ApplicationError as exc:
                self.message_user(request, f"{report}: {exc.message}", messages.ERROR)
        self.message_user(request, "Regenerated.", messages.SUCCESS)

    @admin.action(description="Send the selected reports again (e-mail and webhook)")
    def send_again(self, request, queryset):
        for report in queryset:
            outcome = services.report_deliver(report=report, force=True)
            summary = ", ".join(f"{channel}: {result['status']}" for channel, result in outcome.items())
            self.message_user(request, f"{report}: {summary}", messages.INFO)


@admin.register(ThresholdState)
class ThresholdStateAdmin(ReadOnlyAdmin):
    deletable = True
    list_display = ["metric", "status", "value", "since", "evaluated_at"]


@admin.register(ThresholdEvent)
class ThresholdEventAdmin(ReadOnlyAdmin):
    deletable = True
    list_display = ["at", "metric", "previous", "status", "value"]
    list_filter = ["metric", "status"]


@admin.register(HealthCheck)
class HealthCheckAdmin(ReadOnlyAdmin):
    deletable = True
    list_display = ["at", "ok", "database_ok", "cache_ok", "broker_ok", "database_ms", "cache_ms", "broker_ms"]
    list_filter = ["ok"]


@admin.register(SystemSample)
class SystemSampleAdmin(ReadOnlyAdmin):
    deletable = True
    list_display = ["at", "cpu_percent", "memory_percent", "disk_percent", "load_1", "app_rss_bytes", "app_processes"]
    exclude = ["counters"]
