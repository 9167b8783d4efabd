"""Liveness, readiness and Django-level error pages (JSON under /api/)."""

import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render

from controlpanel.api.exceptions import json_error

logger = logging.getLogger("controlpanel.health")


def healthz(request):
    """Liveness: the process answers. No I/O, so it is the cheapest possible Django view."""
    return HttpResponse(b'{"status":"ok"}', content_type="application/json")


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


def readyz(request):
    """Readiness: database, cache and broker answer; 503 with details when one does not."""
    results = run_checks()
    ok = all(r["ok"] for r in results.values())
    if ok:
        return JsonResponse({"status": "ok", "checks": results})
    body = {"code": "not_ready", "message": "A backing service is unavailable.", "details": {"checks": results}}
    return JsonResponse(body, status=503)


def _wants_json(request) -> bool:
    return request.path_info.startswith("/api/")


def handler404(request, exception=None):
    if _wants_json(request):
        return json_error("not_found", 404)
    return render(request, "errors/404.html", status=404)


def handler500(request):
    if _wants_json(request):
        return json_error("server_error", 500)
    return render(request, "errors/500.html", status=500)


def handler403(request, exception=None):
    if _wants_json(request):
        return json_error("permission_denied", 403)
    return render(request, "errors/403.html", status=403)


def handler400(request, exception=None):
    if _wants_json(request):
        return json_error("bad_request", 400, "Bad request.")
    return render(request, "errors/400.html", status=400)


def csrf_failure(request, reason=""):
    if _wants_json(request):
        return json_error("csrf_failed", 403, "CSRF verification failed; send the CSRF token with session-authenticated writes.")
    return render(request, "errors/403_csrf.html", status=403)
