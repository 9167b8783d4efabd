"""Telemetry rows: request aggregates, system samples, health probes, thresholds and reports.

Request telemetry is never written per request: each web process aggregates in memory and
adds its counts to these rows with ``INSERT ... ON CONFLICT DO UPDATE SET n = n + excluded.n``,
so any number of processes on any number of app servers sum correctly. The same batch lands
in three tiers: per minute (kept 30 days), per hour (kept a year) and all-time totals (the
Prometheus counters, never pruned).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from telemetry.histogram import BOUNDS_MS, BUCKET_FIELDS

STATUS_CLASSES = ((1, "1xx"), (2, "2xx"), (3, "3xx"), (4, "4xx"), (5, "5xx"))


class RequestStats(models.Model):
    """Counts and a latency histogram for one route pattern, method and status class."""

    route = models.CharField(max_length=200, help_text="URL pattern, not the raw path.")
    method = models.CharField(max_length=8)
    status_class = models.PositiveSmallIntegerField(choices=STATUS_CLASSES)
    count = models.BigIntegerField(default=0)
    duration_sum_ms = models.FloatField(default=0)
    duration_max_ms = models.FloatField(default=0)

    class Meta:
        abstract = True

    @property
    def buckets(self) -> list[int]:
        return [getattr(self, name) for name in BUCKET_FIELDS]


# One column per latency bucket (b00 ≤ 1 ms … b32 > 10 s): additive upserts need plain integers.
for _index, _name in enumerate(BUCKET_FIELDS):
    _bound = f"≤ {BOUNDS_MS[_index]:g} ms" if _index < len(BOUNDS_MS) else f"> {BOUNDS_MS[-1]:g} ms"
    RequestStats.add_to_class(_name, models.BigIntegerField(default=0, help_text=_bound))


class RequestMinute(RequestStats):
    minute = models.DateTimeField(help_text="Start of the minute (UTC).")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["minute", "route", "method", "status_class"], name="requestminute_unique_key"),
        ]
        indexes = [models.Index(fields=["minute"], name="requestminute_minute")]

    def __str__(self) -> str:
        return f"{self.minute:%Y-%m-%d %H:%M} {self.method} {self.route} {self.status_class}xx: {self.count}"


class RequestHour(RequestStats):
    hour = models.DateTimeField(help_text="Start of the hour (UTC).")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["hour", "route", "method", "status_class"], name="requesthour_unique_key"),
        ]
        indexes = [models.Index(fields=["hour"], name="requesthour_hour")]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H:00} {self.method} {self.route} {self.status_class}xx: {self.count}"


class RequestTotal(RequestStats):
    """All-time totals: monotonic counters for ``/metrics``."""

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["route", "method", "status_class"], name="requesttotal_unique_key"),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.route} {self.status_class}xx: {self.count}"


class ActiveUserDay(models.Model):
    """A user who called the product on a day (in the report time zone), with their request count."""

    day = models.DateField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    requests = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "user"], name="activeuserday_unique_day_user")]
        indexes = [models.Index(fields=["day"], name="activeuserday_day")]

    def __str__(self) -> str:
        return f"{self.day} · {self.user_id}: {self.requests}"


class SystemSample(models.Model):
    """One psutil sample of one host, taken by one of the product's processes on that host.

    Rates come from counters of the same host (kept in ``counters``). ``slot`` is the sampling
    interval the periodic sampler claimed: one sample per host and slot, however many
    processes run there (an explicit sample has no slot).
    """

    at = models.DateTimeField(db_index=True)
    host = models.CharField(max_length=100, default="", help_text="CONTROLPANEL_HOST_NAME of the machine sampled.")
    roles = models.JSONField(default=list, blank=True, help_text="What runs on the host: web, worker.")
    slot = models.BigIntegerField(null=True, blank=True, help_text="Sampling interval number (periodic samples only).")
    cpu_percent = models.FloatField(null=True, blank=True)
    memory_percent = models.FloatField()
    memory_used_bytes = models.BigIntegerField()
    memory_total_bytes = models.BigIntegerField()
    swap_percent = models.FloatField()
    swap_used_bytes = models.BigIntegerField()
    disk_percent = models.FloatField()
    disk_used_bytes = models.BigIntegerField()
    disk_total_bytes = models.BigIntegerField()
    disk_read_bps = models.FloatField(null=True, blank=True)
    disk_write_bps = models.FloatField(null=True, blank=True)
    net_recv_bps = models.FloatField(null=True, blank=True)
    net_sent_bps = models.FloatField(null=True, blank=True)
    load_1 = models.FloatField()
    load_5 = models.FloatField()
    load_15 = models.FloatField()
    app_rss_bytes = models.BigIntegerField(default=0)
    app_processes = models.PositiveIntegerField(default=0)
    processes = models.JSONField(default=dict, blank=True, help_text="RSS bytes and count per role (web, worker).")
    counters = models.JSONField(default=dict, blank=True, help_text="Raw cumulative counters the next sample's rates are computed from.")

    class Meta:
        ordering = ["-at"]
        get_latest_by = "at"
        constraints = [models.UniqueConstraint(fields=["host", "slot"], name="systemsample_one_per_host_slot")]
        indexes = [models.Index(fields=["host", "at"], name="systemsample_host_at")]

    def __str__(self) -> str:
        return f"{self.host or 'host'} sample at {self.at:%Y-%m-%d %H:%M:%S}"


class AppProcess(models.Model):
    """A running process of this deployment (web or worker), registered by the process itself.

    App memory is the RSS these processes report, never a guess from command lines; a row
    not refreshed for three sampling intervals belongs to a process that is gone.
    """

    host = models.CharField(max_length=100)
    pid = models.PositiveIntegerField()
    role = models.CharField(max_length=10)
    rss_bytes = models.BigIntegerField(default=0)
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["host", "pid"], name="appprocess_unique_host_pid")]

    def __str__(self) -> str:
        return f"{self.role} {self.pid} on {self.host}"


# Sample fields rolled up per minute and per hour (average from sum / samples, and peak).
ROLLUP_METRICS = (
    "cpu_percent", "memory_percent", "swap_percent", "disk_percent", "disk_read_bps", "disk_write_bps",
    "net_recv_bps", "net_sent_bps", "load_1", "app_rss_bytes",
)


class SystemRollup(models.Model):
    class Resolution(models.TextChoices):
        MINUTE = "minute", "Per minute"
        HOUR = "hour", "Per hour"

    resolution = models.CharField(max_length=6, choices=Resolution.choices)
    host = models.CharField(max_length=100, default="")
    start = models.DateTimeField()
    samples = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["resolution", "host", "start"], name="systemrollup_unique_host_bucket")]
        ordering = ["resolution", "start"]

    def __str__(self) -> str:
        return f"{self.host or 'host'} {self.resolution} from {self.start:%Y-%m-%d %H:%M}"

    def average(self, metric: str) -> float | None:
        n = getattr(self, f"{metric}_n")
        return getattr(self, f"{metric}_sum") / n if n else None


# Per metric: the sum and count of non-empty values (rates are empty on a first sample) and the peak.
for _metric in ROLLUP_METRICS:
    SystemRollup.add_to_class(f"{_metric}_sum", models.FloatField(default=0))
    SystemRollup.add_to_class(f"{_metric}_n", models.PositiveIntegerField(default=0))
    SystemRollup.add_to_class(f"{_metric}_max", models.FloatField(null=True, blank=True))


class HealthCheck(models.Model):
    """One probe of database, cache and broker; uptime is computed from these rows."""

    at = models.DateTimeField(db_index=True)
    ok = models.BooleanField()
    database_ok = models.BooleanField()
    cache_ok = models.BooleanField()
    broker_ok = models.BooleanField()
    database_ms = models.FloatField(null=True, blank=True)
    cache_ms = models.FloatField(null=True, blank=True)
    broker_ms = models.FloatField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at"]
        get_latest_by = "at"

    def __str__(self) -> str:
        return f"health at {self.at:%Y-%m-%d %H:%M}: {'ok' if self.ok else 'failing'}"


class ThresholdStatus(models.TextChoices):
    CLEAR = "clear", "Clear"
    WARNING = "warning", "Warning"
    CRITICAL = "critical", "Critical"


class ThresholdState(models.Model):
    """The current state of one threshold (cpu, memory, disk) on one host; hysteresis needs the last state."""

    host = models.CharField(max_length=100, default="")
    metric = models.CharField(max_length=20)
    status = models.CharField(max_length=8, choices=ThresholdStatus.choices, default=ThresholdStatus.CLEAR)
    value = models.FloatField(null=True, blank=True)
    since = models.DateTimeField(default=timezone.now)
    evaluated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["host", "metric"], name="thresholdstate_unique_host_metric")]

    def __str__(self) -> str:
        return f"{self.host} {self.metric}: {self.status}"


class ThresholdEvent(models.Model):
    """A change of a threshold's state on a host: the alert log, and the reports' breaches.

    ``notified_at`` is the claim of its notification: set once, by whichever process sends it.
    """

    host = models.CharField(max_length=100, default="")
    metric = models.CharField(max_length=20)
    at = models.DateTimeField(db_index=True)
    previous = models.CharField(max_length=8, choices=ThresholdStatus.choices)
    status = models.CharField(max_length=8, choices=ThresholdStatus.choices)
    value = models.FloatField()
    threshold = models.FloatField(null=True, blank=True, help_text="The limit crossed (for a clear: the level it fell below).")
    notified_at = models.DateTimeField(null=True, blank=True)
    delivery = models.JSONField(default=dict, blank=True, help_text="Outcome per channel (e-mail, webhook).")

    class Meta:
        ordering = ["-at"]
        constraints = [models.UniqueConstraint(fields=["host", "metric", "at"], name="thresholdevent_unique_transition")]

    def __str__(self) -> str:
        return f"{self.host} {self.metric} {self.previous}→{self.status} at {self.at:%Y-%m-%d %H:%M}"


class ReportQuerySet(models.QuerySet):
    def of_kind(self, kind: str):
        return self.filter(kind=kind)


class Report(models.Model):
    """One automated report: exactly one per period kind and period start."""

    class Kind(models.TextChoices):
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"
        MONTHLY = "monthly", "Monthly"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    period_start = models.DateField(help_text="First day of the period, in the report time zone.")
    period_end = models.DateField(help_text="Day after the last day of the period.")
    time_zone = models.CharField(max_length=64)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    data = models.JSONField(default=dict)
    charts = models.JSONField(default=list, help_text="Rendered charts: title, SVG and the table behind each.")
    html = models.TextField(help_text="The report as a standalone HTML document (also the e-mail body).")
    generated_at = models.DateTimeField()
    generation_ms = models.FloatField(default=0)
    version = models.PositiveIntegerField(default=1, help_text="Bumped each time the report is regenerated with --force.")
    delivery = models.JSONField(default=dict, blank=True, help_text="Outcome per channel (e-mail, webhook).")
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = ReportQuerySet.as_manager()

    class Meta:
        ordering = ["-period_start", "kind"]
        constraints = [models.UniqueConstraint(fields=["kind", "period_start"], name="report_unique_kind_period")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} report from {self.period_start:%Y-%m-%d}"

    @property
    def title(self) -> str:
        return self.data.get("title") or str(self)


class ReleaseMark(models.Model):
    """A moment worth comparing before and after: a release (each new version marks itself when
    its first process starts) or a change a staff member marked. The live charts draw them."""

    class Kind(models.TextChoices):
        RELEASE = "release", "Release"
        CHANGE = "change", "Change"

    at = models.DateTimeField(db_index=True)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    label = models.CharField(max_length=120)
    version = models.CharField(max_length=40, null=True, blank=True, unique=True,
                               help_text="The release's version: one mark per version, however many processes start.")

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.label} at {self.at:%Y-%m-%d %H:%M}"
