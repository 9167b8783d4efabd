"""The Celery app and the one beat schedule.

Exactly one beat runs per deployment. Every periodic job is listed here, with when it runs in
words and an ``expires`` so a job that could not start in time is dropped instead of piling up.
Crontab entries are read in ``CELERY_TIMEZONE``, which is the report time zone.
"""

import os

from celery import Celery
from celery.schedules import crontab
from celery.signals import worker_process_init, worker_ready, worker_shutdown

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "controlpanel.settings")

app = Celery("controlpanel")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

SAMPLE_SECONDS = float(os.environ.get("TELEMETRY_SAMPLE_SECONDS", "5"))


# Every worker process samples its own host (the main process once it is ready, and each pool
# child), like every web process does from controlpanel/wsgi.py: see telemetry.agent.
@worker_ready.connect
@worker_process_init.connect
def start_host_sampler(**kwargs) -> None:
    from telemetry import agent

    agent.start(role="worker")


@worker_shutdown.connect
def stop_host_sampler(**kwargs) -> None:
    from telemetry import agent

    agent.process_sampler.stop()

HEALTH_SECONDS = float(os.environ.get("TELEMETRY_HEALTH_SECONDS", "60"))

app.conf.beat_schedule = {
    # Every TELEMETRY_SAMPLE_SECONDS (5 s by default): the worker that takes it samples its own
    # host, tagged with its name; a backstop for the per-process samplers, which already took
    # that interval's sample on most hosts (one per host and interval, so nothing is doubled).
    "telemetry-sample-system": {
        "task": "telemetry.sample_system",
        "schedule": SAMPLE_SECONDS,
        "options": {"expires": SAMPLE_SECONDS},
    },
    # Every TELEMETRY_HEALTH_SECONDS (a minute by default): probe database, cache and broker;
    # uptime is computed from these rows.
    "telemetry-probe-health": {
        "task": "telemetry.probe_health",
        "schedule": HEALTH_SECONDS,
        "options": {"expires": HEALTH_SECONDS * 0.9},
    },
    # Every day at 03:30: delete telemetry past its tier's retention (raw 48 h, minutes 30 days,
    # hours a year); rollups are kept current by the sampler and the request flushes.
    "telemetry-prune": {
        "task": "telemetry.prune",
        "schedule": crontab(minute=30, hour=3),
        "options": {"expires": 3600.0},
    },
    # Every day at 00:05: yesterday's report (generated once, then e-mailed and posted).
    "report-daily": {
        "task": "telemetry.report_due",
        "schedule": crontab(minute=5, hour=0),
        "kwargs": {"period": "daily"},
        # A worker that is down at the hour still catches up within six hours.
        "options": {"expires": 6 * 3600.0},
    },
    # Every Monday at 00:10: last week's report.
    "report-weekly": {
        "task": "telemetry.report_due",
        "schedule": crontab(minute=10, hour=0, day_of_week=1),
        "kwargs": {"period": "weekly"},
        "options": {"expires": 6 * 3600.0},
    },
    # On the 1st of every month at 00:15: last month's report.
    "report-monthly": {
        "task": "telemetry.report_due",
        "schedule": crontab(minute=15, hour=0, day_of_month=1),
        "kwargs": {"period": "monthly"},
        "options": {"expires": 6 * 3600.0},
    },
    # Every Monday at 06:00: five new Crazy Diamonds lessons for review.
    "lessons-generate-weekly": {
        "task": "lessons.generate_weekly",
        "schedule": crontab(minute=0, hour=6, day_of_week=1),
        "options": {"expires": 3600.0},
    },
    # Every Monday at 10:00: each opted-in learner's own progress e-mail for their last week that
    # has ended in their time zone (by 10:00 UTC Sunday is over nearly everywhere); once per
    # learner and week, so a duplicated or replayed run sends nothing more.
    "progress-weekly-email": {
        "task": "progress.weekly_email_send_due",
        "schedule": crontab(minute=0, hour=10, day_of_week=1),
        "options": {"expires": 6 * 3600.0},
    },
}
