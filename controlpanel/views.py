"""Liveness, readiness and Django-level error pages (JSON under /api/)."""

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render

from controlpanel.api.exceptions import json_error
from controlpanel.health import run_checks


def healthz(request):
    """Liveness: the process answers. No I/O, so it is the cheapest possible Django view."""
    return HttpResponse(b'{"status":"ok"}', content_type="application/json")


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
