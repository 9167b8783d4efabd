"""Readiness checks of the backing services: database, cache, broker.

Shared by ``/readyz`` (controlpanel.views) and the health probes the beat runs
(telemetry.services), so both judge "ready" the same way. Each check raises when its service
does not answer; ``run_checks`` times them and never raises.
"""

import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection

logger = logging.getLogger("controlpanel.health")


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_cache() -> None:
    cache.set("readyz:probe", "1", 10)
    if cache.get("readyz:probe") != "1":
        raise RuntimeError("cache did not return what was written")


def check_broker() -> None:
    from controlpanel.celery import app

    if settings.CELERY_BROKER_URL.startswith("filesystem"):
        folder = settings.CELERY_BROKER_DIR
        if not folder.is_dir():
            raise RuntimeError("broker folder missing")
        return
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


CHECKS = {"database": check_database, "cache": check_cache, "broker": check_broker}


def run_checks() -> dict[str, dict]:
    results = {}
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            check()
            results[name] = {"ok": True}
        except Exception as exc:
            logger.warning("readiness check failed", extra={"check": name, "error": type(exc).__name__})
            results[name] = {"ok": False, "error": type(exc).__name__}
        results[name]["ms"] = round((time.perf_counter() - started) * 1000, 2)
    return results
