"""Background telemetry work; each task is one service call (ids and plain values in)."""

from datetime import date

from celery import shared_task
from celery.signals import worker_process_shutdown

from telemetry import services
from telemetry.collector import collector


@worker_process_shutdown.connect
def flush_telemetry_on_shutdown(**kwargs) -> None:
    """A Celery pool process that stops writes what it has counted (gunicorn: gunicorn.conf.py)."""
    collector.flush_at_exit()


@shared_task(name="telemetry.sample_system")
def sample_system_task() -> int | None:
    """This worker's host's sample for the current interval, unless one of its processes took it."""
    from telemetry.agent import process_sampler

    sample = process_sampler.tick(role="worker")
    return sample.pk if sample else None


@shared_task(name="telemetry.probe_health")
def probe_health_task() -> bool:
    return services.health_probe().ok


@shared_task(name="telemetry.prune")
def prune_task() -> dict:
    return services.telemetry_prune()


@shared_task(name="telemetry.report_due")
def report_due_task(*, period: str) -> int:
    """The last finished period's report, generated once and delivered once."""
    return services.report_generate(kind=period, send=True).report.pk


@shared_task(name="telemetry.report_generate")
def report_generate_task(*, period: str, day: str | None = None, force: bool = False, send: bool = False) -> int:
    day_value = date.fromisoformat(day) if day else None
    return services.report_generate(kind=period, day=day_value, force=force, send=send).report.pk


@shared_task(name="telemetry.alert_notify")
def alert_notify_task(*, event_id: int) -> dict:
    """One threshold transition's e-mail and Slack message (sent once, however often this runs)."""
    return services.alert_notify(event_id=event_id)
