"""Telemetry writes: system samples and their rollups, thresholds, health probes, pruning,
and reports (generation, exactly once per period, and delivery)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from controlpanel.errors import ApplicationError, ConflictError
from telemetry import delivery, rendering, reports, sampler, selectors
from telemetry.models import (
    ROLLUP_METRICS,
    ActiveUserDay,
    AppProcess,
    HealthCheck,
    ReleaseMark,
    Report,
    RequestHour,
    RequestMinute,
    SystemRollup,
    SystemSample,
    ThresholdEvent,
    ThresholdState,
    ThresholdStatus,
)
from telemetry.periods import KINDS, Period, last_complete, period_for

logger = logging.getLogger("controlpanel.telemetry")


class InvalidPeriod(ApplicationError):
    code = "invalid_period"
    message = "Unknown report period; use daily, weekly or monthly."


class PeriodNotServed(ApplicationError):
    code = "period_not_served"
    message = "The product recorded nothing in that period (no request, probe or sample), so there is nothing to report."


class PeriodNotOver(ConflictError):
    code = "period_not_over"
    message = "That period is not over yet; a report covers a finished period."


# --- system samples --------------------------------------------------------------------

def _rollup_sql(vendor: str) -> str:
    qn = connection.ops.quote_name
    table = qn(SystemRollup._meta.db_table)
    columns = ["resolution", "host", "start", "samples"]
    updates = [f"{qn('samples')} = {table}.{qn('samples')} + EXCLUDED.{qn('samples')}"]
    greatest = "MAX" if vendor == "sqlite" else "GREATEST"
    for metric in ROLLUP_METRICS:
        total, n, peak = f"{metric}_sum", f"{metric}_n", f"{metric}_max"
        columns += [total, n, peak]
        updates.append(f"{qn(total)} = {table}.{qn(total)} + EXCLUDED.{qn(total)}")
        updates.append(f"{qn(n)} = {table}.{qn(n)} + EXCLUDED.{qn(n)}")
        # NULL means "no value yet" on either side; COALESCE keeps the other.
        updates.append(
            f"{qn(peak)} = {greatest}(COALESCE({table}.{qn(peak)}, EXCLUDED.{qn(peak)}), "
            f"COALESCE(EXCLUDED.{qn(peak)}, {table}.{qn(peak)}))"
        )
    return (
        f"INSERT INTO {table} ({', '.join(qn(c) for c in columns)}) VALUES ({', '.join(['%s'] * len(columns))}) "
        f"ON CONFLICT ({qn('resolution')}, {qn('host')}, {qn('start')}) DO UPDATE SET " + ", ".join(updates)
    )


def _rollup_add(sample: SystemSample) -> None:
    """Add one sample to its host's minute and hour rollups (additive, so concurrent samplers are safe)."""
    adapt = connection.ops.adapt_datetimefield_value
    minute = sample.at.replace(second=0, microsecond=0)
    starts = {SystemRollup.Resolution.MINUTE: minute, SystemRollup.Resolution.HOUR: minute.replace(minute=0)}
    sql = _rollup_sql(connection.vendor)
    with connection.cursor() as cursor:
        for resolution, start in starts.items():
            params: list = [str(resolution), sample.host, adapt(start), 1]
            for metric in ROLLUP_METRICS:
                value = getattr(sample, metric)
                params += [value or 0.0, 0 if value is None else 1, value]
            cursor.execute(sql, params)


def app_process_register(*, host: str, pid: int, role: str, rss_bytes: int, started_at: datetime,
                         now: datetime) -> None:
    """Record that this deployment's process ``pid`` runs on ``host`` with this memory (an upsert)."""
    AppProcess.objects.update_or_create(
        host=host, pid=pid,
        defaults={"role": role, "rss_bytes": rss_bytes, "started_at": started_at, "seen_at": now},
    )


def app_process_forget(*, host: str, pid: int) -> None:
    """A process that stops takes itself off its host's list at once."""
    AppProcess.objects.filter(host=host, pid=pid).delete()


def system_sample_record(*, now: datetime | None = None, host: str | None = None,
                         slot: int | None = None) -> SystemSample | None:
    """Take one psutil sample of this machine, store it with its rollups, and re-evaluate its thresholds.

    With a ``slot`` (the periodic sampler's interval number) the sample is taken only if no
    other process on this host has taken that slot's: the unique (host, slot) constraint is the
    claim, so host CPU and memory are never counted twice. Returns ``None`` when another
    process had the slot.
    """
    now = now or timezone.now()
    host = host or settings.CONTROLPANEL_HOST_NAME
    if slot is not None and SystemSample.objects.filter(host=host, slot=slot).exists():
        return None
    previous = (SystemSample.objects.filter(host=host).order_by("-at").values_list("counters", flat=True).first())
    processes = selectors.app_processes(host=host, now=now)
    reading = sampler.read(previous, processes=processes["roles"])
    try:
        sample = system_sample_store(at=now, host=host, roles=processes["host_roles"], slot=slot,
                                     values=reading.values, processes=reading.processes, counters=reading.counters)
    except IntegrityError:
        return None  # another process on this host took the slot between the check and the insert
    thresholds_evaluate(now=now, host=host)
    return sample


@transaction.atomic
def system_sample_store(*, at: datetime, values: dict, processes: dict | None = None,
                        counters: dict | None = None, host: str | None = None, roles: list | None = None,
                        slot: int | None = None) -> SystemSample:
    """Store one sample of ``host`` (default: this one) and add it to its minute and hour rollups."""
    sample = SystemSample.objects.create(at=at, host=host or settings.CONTROLPANEL_HOST_NAME, roles=roles or [],
                                         slot=slot, processes=processes or {}, counters=counters or {}, **values)
    _rollup_add(sample)
    return sample


def next_status(current: str, value: float | None, *, warning: float, critical: float, hysteresis: float) -> str:
    """Netdata-style hysteresis: a raised state holds until the value drops ``hysteresis`` below its limit."""
    if value is None:
        return current
    critical_at = critical - hysteresis if current == ThresholdStatus.CRITICAL else critical
    warning_at = warning - hysteresis if current in (ThresholdStatus.WARNING, ThresholdStatus.CRITICAL) else warning
    if value > critical_at:
        return ThresholdStatus.CRITICAL
    if value > warning_at:
        return ThresholdStatus.WARNING
    return ThresholdStatus.CLEAR


def _crossed(threshold: selectors.Threshold, previous: str, status: str) -> float:
    """The limit a transition crossed: the raised level's limit, or for a fall the level it fell below."""
    gap = settings.TELEMETRY_THRESHOLD_HYSTERESIS
    if status == ThresholdStatus.CRITICAL:
        return threshold.critical
    if status == ThresholdStatus.WARNING:
        return threshold.warning if previous == ThresholdStatus.CLEAR else threshold.critical - gap
    return threshold.warning - gap


def thresholds_evaluate(*, now: datetime | None = None, host: str | None = None) -> list[ThresholdState]:
    """Move each of ``host``'s thresholds on its windowed average; a change is an event and one alert."""
    from telemetry.tasks import alert_notify_task

    now = now or timezone.now()
    host = host or settings.CONTROLPANEL_HOST_NAME
    states = []
    for threshold in selectors.thresholds():
        value = selectors.window_average(field=threshold.field, seconds=threshold.window_seconds, now=now, host=host)
        with transaction.atomic():
            ThresholdState.objects.get_or_create(host=host, metric=threshold.metric,
                                                 defaults={"since": now, "evaluated_at": now})
            state = ThresholdState.objects.select_for_update().get(host=host, metric=threshold.metric)
            status = next_status(state.status, value, warning=threshold.warning, critical=threshold.critical,
                                 hysteresis=settings.TELEMETRY_THRESHOLD_HYSTERESIS)
            if status != state.status:
                event = ThresholdEvent.objects.create(
                    host=host, metric=threshold.metric, at=now, previous=state.status, status=status, value=value,
                    threshold=_crossed(threshold, state.status, status))
                logger.warning("threshold %s on %s: %s → %s", threshold.metric, host, state.status, status,
                               extra={"metric": threshold.metric, "host": host, "value": value})
                alert_notify_task.delay_on_commit(event_id=event.pk)
                state.since = now
            state.status = status
            state.value = value
            state.evaluated_at = now
            state.save()
        states.append(state)
    return states


def alert_notify(*, event_id: int, now: datetime | None = None) -> dict:
    """Tell staff (e-mail) and Slack about one threshold transition, exactly once.

    The claim is ``notified_at``, set only where it is still empty: of several workers handed
    the same event (a replayed or duplicated task) exactly one sends; the others return the
    recorded outcome.
    """
    now = now or timezone.now()
    claimed = ThresholdEvent.objects.filter(pk=event_id, notified_at__isnull=True).update(notified_at=now)
    event = ThresholdEvent.objects.filter(pk=event_id).first()
    if event is None or not claimed:
        return dict(event.delivery) if event else {}
    alert = selectors.alert_dict(event)
    outcome = {
        "email": delivery.send_alert_email(alert=alert, recipients=selectors.report_recipients()),
        "webhook": delivery.send_alert_webhook(alert=alert, url=settings.SLACK_WEBHOOK_URL),
    }
    ThresholdEvent.objects.filter(pk=event_id).update(delivery=outcome)
    return outcome


# --- release marks -----------------------------------------------------------------------

class InvalidMark(ApplicationError):
    code = "invalid_mark"
    message = "Describe the change in 1 to 120 characters."


def release_mark_create(*, label: str, at: datetime | None = None) -> ReleaseMark:
    """A change a staff member marks ("new cache settings"), drawn on every live chart from ``at`` (now)."""
    label = (label or "").strip()
    if not 0 < len(label) <= 120:
        raise InvalidMark(details={"label": ["Describe the change in 1 to 120 characters."]})
    return ReleaseMark.objects.create(at=at or timezone.now(), kind=ReleaseMark.Kind.CHANGE, label=label)


def release_mark_version(*, version: str, now: datetime | None = None) -> ReleaseMark:
    """The release mark of ``version``: made by the first process of that version to start, found by the rest."""
    mark = ReleaseMark.objects.filter(version=version).first()
    if mark is not None:
        return mark
    try:
        with transaction.atomic():
            return ReleaseMark.objects.create(at=now or timezone.now(), kind=ReleaseMark.Kind.RELEASE,
                                              label=f"Release {version}", version=version)
    except IntegrityError:
        return ReleaseMark.objects.get(version=version)


# --- health ----------------------------------------------------------------------------

def health_probe(*, now: datetime | None = None) -> HealthCheck:
    """Probe database, cache and broker (the /readyz checks) and record the result."""
    from controlpanel.health import run_checks

    now = now or timezone.now()
    results = run_checks()
    return HealthCheck.objects.create(
        at=now,
        ok=all(result["ok"] for result in results.values()),
        **{f"{name}_ok": results[name]["ok"] for name in selectors.COMPONENTS},
        **{f"{name}_ms": results[name].get("ms") for name in selectors.COMPONENTS},
        details={name: result for name, result in results.items() if not result["ok"]},
    )


# --- retention -------------------------------------------------------------------------

def telemetry_prune(*, now: datetime | None = None) -> dict[str, int]:
    """Delete rows past their tier's retention: raw 48 h, per-minute 30 days, per-hour a year."""
    now = now or timezone.now()
    raw = now - timedelta(hours=settings.TELEMETRY_RETENTION_RAW_HOURS)
    minute = now - timedelta(days=settings.TELEMETRY_RETENTION_MINUTE_DAYS)
    hour = now - timedelta(days=settings.TELEMETRY_RETENTION_HOUR_DAYS)
    local_hour_day = hour.astimezone(ZoneInfo(settings.REPORT_TIME_ZONE)).date()
    deleted = {
        "system_samples": SystemSample.objects.filter(at__lt=raw).delete()[0],
        "app_processes": AppProcess.objects.filter(seen_at__lt=raw).delete()[0],
        "system_minutes": SystemRollup.objects.filter(resolution=SystemRollup.Resolution.MINUTE, start__lt=minute).delete()[0],
        "request_minutes": RequestMinute.objects.filter(minute__lt=minute).delete()[0],
        "system_hours": SystemRollup.objects.filter(resolution=SystemRollup.Resolution.HOUR, start__lt=hour).delete()[0],
        "request_hours": RequestHour.objects.filter(hour__lt=hour).delete()[0],
        # Uptime of a month and the month before needs the probes; they live as long as the hour tier.
        "health_checks": HealthCheck.objects.filter(at__lt=hour).delete()[0],
        "threshold_events": ThresholdEvent.objects.filter(at__lt=hour).delete()[0],
        "active_user_days": ActiveUserDay.objects.filter(day__lt=local_hour_day).delete()[0],
    }
    logger.info("telemetry pruned", extra={"deleted": deleted})
    return deleted


# --- reports ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ReportResult:
    report: Report
    status: str  # "created", "existing" or "regenerated"


def report_period(*, kind: str, day: date | None = None, now: datetime | None = None) -> Period:
    """The period of ``kind`` containing ``day``; without a day, the last finished one."""
    if kind not in KINDS:
        raise InvalidPeriod(details={"period": [f"Choose one of: {', '.join(KINDS)}."]})
    now = now or timezone.now()
    return period_for(kind, day) if day else last_complete(kind, now)


def report_build(*, period: Period, now: datetime) -> dict:
    """Everything a stored report holds: data, charts and HTML (nothing is written)."""
    started = time.perf_counter()
    current = reports.figures(period, now=now, detailed=True)
    previous = reports.figures(period.previous(), now=now, detailed=False)
    data = {
        **current,
        "title": f"{period.kind.capitalize()} report — {period.label}",
        "generated_at": now.isoformat(),
        "previous": previous,
        "comparison": reports.compare(current["headline"], previous["headline"], reports.stored_sections(current)),
    }
    charts = [reports.chart_json(key, chart) for key, chart in reports.charts_for(period, data)]
    html = rendering.render_html(data, charts)
    return {"data": data, "charts": charts, "html": html, "generation_ms": round((time.perf_counter() - started) * 1000, 1)}


def report_generate(*, kind: str, day: date | None = None, force: bool = False, send: bool = False,
                    now: datetime | None = None, only_if_served: bool = False) -> ReportResult:
    """The report of ``kind`` for the period containing ``day`` (default: the last finished one).

    ``only_if_served`` refuses (``PeriodNotServed``) a period in which the product recorded
    nothing at all: a first start must not write a report about a day the server did not run.

    Exactly once: a report that exists is returned as it is, unless ``force``, which rebuilds
    it in place (still one row, ``version`` bumped). Two runs racing on the same period meet at
    the unique constraint and both return the one row. ``send`` delivers it unless it already
    went out (``force`` sends again).
    """
    now = now or timezone.now()
    period = report_period(kind=kind, day=day, now=now)
    if not period.is_over(now):
        raise PeriodNotOver(details={"period_end": period.ends_at.isoformat()})
    existing = Report.objects.filter(kind=kind, period_start=period.start).first()
    if only_if_served and existing is None and not selectors.period_was_served(start=period.starts_at, end=period.ends_at):
        raise PeriodNotServed(details={"period_start": period.start.isoformat()})
    if existing is not None and not force:
        if send and existing.sent_at is None:
            report_deliver(report=existing)
        return ReportResult(existing, "existing")
    built = report_build(period=period, now=now)
    fields = {
        "period_end": period.end,
        "time_zone": period.time_zone,
        "starts_at": period.starts_at,
        "ends_at": period.ends_at,
        "data": built["data"],
        "charts": built["charts"],
        "html": built["html"],
        "generated_at": now,
        "generation_ms": built["generation_ms"],
    }
    if existing is not None:
        with transaction.atomic():
            Report.objects.filter(pk=existing.pk).update(version=F("version") + 1, **fields)
        report, status = Report.objects.get(pk=existing.pk), "regenerated"
    else:
        try:
            with transaction.atomic():
                report, status = Report.objects.create(kind=kind, period_start=period.start, **fields), "created"
        except IntegrityError:
            # Another worker stored this period first: theirs is the report.
            report, status = Report.objects.get(kind=kind, period_start=period.start), "existing"
    logger.info("report %s", status, extra={"kind": kind, "period_start": period.start.isoformat(),
                                            "generation_ms": built["generation_ms"]})
    if send and (force or report.sent_at is None):
        report_deliver(report=report, force=force)
        report.refresh_from_db()
    return ReportResult(report, status)


def report_deliver(*, report: Report, force: bool = False) -> dict:
    """E-mail the report to staff and the configured report addresses (REPORT_EMAIL_TO) and post it to the webhook; record each outcome.

    A channel that already succeeded is not repeated unless ``force``. Without ``force`` the
    delivery is first claimed by setting ``sent_at`` only where it is still empty, so of several
    workers handed the same due report exactly one sends; a claim whose sending fails on every
    channel is released for the next run.
    """
    if not force:
        claimed = Report.objects.filter(pk=report.pk, sent_at__isnull=True).update(sent_at=timezone.now())
        report.refresh_from_db(fields=["delivery", "sent_at"])
        if not claimed:
            return dict(report.delivery or {})
    previous_sent_at = None if not force else report.sent_at
    outcome = dict(report.delivery or {})
    if force or outcome.get("email", {}).get("status") != "sent":
        outcome["email"] = delivery.send_email(report=report, recipients=selectors.report_recipients())
    if force or outcome.get("webhook", {}).get("status") != "delivered":
        outcome["webhook"] = delivery.send_webhook(report=report, url=settings.SLACK_WEBHOOK_URL)
    delivered = outcome["email"]["status"] == "sent" or outcome["webhook"]["status"] == "delivered"
    sent_at = timezone.now() if delivered else previous_sent_at
    Report.objects.filter(pk=report.pk).update(delivery=outcome, sent_at=sent_at)
    report.delivery, report.sent_at = outcome, sent_at
    return outcome
