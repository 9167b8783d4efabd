"""Query parameters and output shapes of the metrics and reports API."""

import re
from datetime import timedelta

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from telemetry.models import Report

WINDOW_RE = re.compile(r"^(\d{1,4})([smhd])$")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
MAX_WINDOW = timedelta(days=366)
# A series longer than this is refused: ask for a coarser resolution instead.
MAX_POINTS = 10_000
STEP_SECONDS = {"minute": 60, "hour": 3600}


@extend_schema_field({"type": "string", "pattern": WINDOW_RE.pattern, "example": "6h"})
class WindowField(serializers.CharField):
    """A duration such as ``15m``, ``6h``, ``7d`` (seconds, minutes, hours or days), up to 366 days."""

    default_error_messages = {
        "format": "Use a number and a unit: 30s, 15m, 6h or 7d.",
        "range": "The window must be between 1 minute and 366 days.",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("trim_whitespace", False)  # " 1h" does not match the pattern, so it is refused
        super().__init__(**kwargs)

    def get_default(self):
        # The default is written as a client would send it ("1h"), so the schema documents a value the server accepts.
        default = super().get_default()
        return self.to_internal_value(default) if isinstance(default, str) else default

    def to_internal_value(self, data):
        # As the schema's pattern says: no spaces, lower-case units (what a generated client sends).
        match = WINDOW_RE.match(super().to_internal_value(data))
        if not match:
            self.fail("format")
        window = timedelta(**{UNITS[match.group(2)]: int(match.group(1))})
        if window < timedelta(minutes=1) or window > MAX_WINDOW:
            self.fail("range")
        return window


class SystemQuerySerializer(serializers.Serializer):
    window = WindowField(required=False, default="1h", help_text="How far back the series goes (15m, 6h, 7d…).")
    resolution = serializers.ChoiceField(choices=["auto", "raw", "minute", "hour"], required=False, default="auto",
                                         help_text="raw samples (kept 48 h), per-minute (30 days) or per-hour (1 year).")
    host = serializers.CharField(required=False, max_length=100,
                                 help_text="One host's detail (a name from `hosts`); default: the host answering.")

    def validate(self, attrs):
        from django.conf import settings

        from telemetry.selectors import auto_resolution

        window, resolution = attrs["window"], attrs["resolution"]
        if resolution == "auto":
            resolution = auto_resolution(window)
        step = settings.TELEMETRY_SAMPLE_SECONDS if resolution == "raw" else STEP_SECONDS[resolution]
        if window.total_seconds() / max(step, 1) > MAX_POINTS:
            raise serializers.ValidationError({"resolution": [
                f"A {resolution} series over this window has more than {MAX_POINTS} points; choose a coarser resolution."]})
        attrs["resolution"] = resolution
        return attrs


class AlertQuerySerializer(serializers.Serializer):
    host = serializers.CharField(required=False, max_length=100, help_text="Only this host's alerts.")


class WindowQuerySerializer(serializers.Serializer):
    window = WindowField(required=False, default="1h", help_text="How far back to look (15m, 6h, 7d…).")


class EngagementQuerySerializer(serializers.Serializer):
    window = WindowField(required=False, default="30d", help_text="How far back to look (1d, 7d, 30d…).")


class ReportListQuerySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Report.Kind.choices, required=False)


class ReportOutputSerializer(serializers.ModelSerializer):
    title = serializers.CharField(read_only=True)
    links = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = ["id", "kind", "title", "period_start", "period_end", "time_zone", "starts_at", "ends_at",
                  "generated_at", "generation_ms", "version", "sent_at", "delivery", "links"]

    def get_links(self, report) -> dict:
        base = f"/api/v1/reports/{report.pk}/"
        return {"self": base, "html": f"{base}html/", "csv": f"{base}csv/"}


class ReportDetailOutputSerializer(ReportOutputSerializer):
    class Meta(ReportOutputSerializer.Meta):
        fields = [*ReportOutputSerializer.Meta.fields, "data", "charts"]
