"""Report reads for the API, the admin and the dashboard pages."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, QuerySet
from django.utils.safestring import mark_safe

from controlpanel.charts import Chart, ChartTable
from telemetry.models import Report


def report_list(*, kind: str | None = None) -> QuerySet[Report]:
    qs = Report.objects.defer("html", "charts").order_by("-period_start", "kind")
    return qs.of_kind(kind) if kind else qs


@dataclass(frozen=True)
class ReportDetail:
    report: Report
    charts: list[Chart]

    @property
    def data(self) -> dict:
        return self.report.data

    @property
    def html(self) -> str:
        """The standalone document (with its own ``<style>``), as e-mailed and downloaded."""
        return mark_safe(self.report.html)  # noqa: S308 - rendered by our own template from our own data

    @property
    def body_html(self) -> str:
        """The report without ``<html>`` or styles, for a page that brings its own CSS."""
        from telemetry.rendering import render_body

        return mark_safe(render_body(self.report.data, self.report.charts))  # noqa: S308 - our template, our data


def charts_from_json(items: list[dict]) -> list[Chart]:
    return [
        Chart(
            title=item["title"],
            svg=mark_safe(item["svg"]),  # noqa: S308 - produced by controlpanel.charts, every value escaped
            table=ChartTable(headers=item["table"]["headers"], rows=item["table"]["rows"]),
            summary=item.get("summary", ""),
            # Reports stored before the phone layout existed have only the wide one.
            svg_narrow=mark_safe(item["svg_narrow"]) if item.get("svg_narrow") else None,  # noqa: S308 - as above
        )
        for item in items
    ]


def report_detail(*, pk: int) -> ReportDetail | None:
    report = Report.objects.filter(pk=pk).first()
    if report is None:
        return None
    return ReportDetail(report=report, charts=charts_from_json(report.charts))


def report_counts() -> dict[str, int]:
    counts = dict(Report.objects.values_list("kind").annotate(n=Count("id")).order_by())
    return {kind: counts.get(kind, 0) for kind in Report.Kind.values}


def report_recipients() -> list[str]:
    """Who receives the operator reports, by e-mail address, each once (case-insensitive).

    Active staff (when REPORT_EMAIL_STAFF) and the addresses in REPORT_EMAIL_TO, nobody else:
    a report covers every learner's activity, so no learner preference adds a recipient
    (learners get their own weekly progress e-mail, ``progress.weekly_email``).
    """
    from accounts.models import User

    candidates: list[str] = []
    if settings.REPORT_EMAIL_STAFF:
        candidates += (User.objects.filter(is_staff=True, is_active=True, email_verified_at__isnull=False).exclude(email="")
                       .values_list("email", flat=True).order_by("email"))
    candidates += settings.REPORT_EMAIL_TO
    seen, out = set(), []
    for email in candidates:
        key = email.strip().lower()
        if key and key not in seen:
            seen.add(key)
            out.append(email.strip())
    return out
