"""Report delivery: multipart e-mail through Django's backend and a Slack-compatible webhook.

Each channel retries with exponential backoff and returns its outcome (status, attempts,
last error) for the report row. Nothing here raises: a failed delivery is recorded, and the
report itself stays stored.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.utils import timezone

from telemetry import rendering

logger = logging.getLogger("controlpanel.telemetry")

# Statuses worth another attempt; any other 4xx means the request itself is wrong.
RETRYABLE_HTTP = {408, 425, 429}


def _attempts() -> int:
    return max(1, settings.REPORT_DELIVERY_ATTEMPTS)


def _backoff(attempt: int) -> None:
    time.sleep(settings.REPORT_DELIVERY_BACKOFF_SECONDS * (2 ** (attempt - 1)))


def _retry(action: Callable[[], dict]) -> dict:
    """Run ``action`` until it succeeds, says not to retry, or attempts run out."""
    last: dict = {}
    attempts = _attempts()
    for attempt in range(1, attempts + 1):
        last = action()
        last["attempts"] = attempt
        if last["ok"] or not last.pop("retry", True):
            break
        if attempt < attempts:
            _backoff(attempt)
    last.pop("retry", None)
    last["at"] = timezone.now().isoformat()
    return last


def build_messages(*, report, recipients: list[str]) -> list[EmailMultiAlternatives]:
    """One message per recipient (nobody sees the others' addresses): text, with HTML alternative."""
    subject = f"[Control Panel] {report.data.get('title', str(report))}"
    text = rendering.render_text(report.data, url=report_url(report))
    messages = []
    for address in recipients:
        message = EmailMultiAlternatives(subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[address])
        message.attach_alternative(report.html, "text/html")
        messages.append(message)
    return messages


def _send_messages(messages: list[EmailMultiAlternatives], *, recipients: int, log_extra: dict) -> dict:
    def attempt() -> dict:
        try:
            with get_connection() as connection:
                sent = connection.send_messages(messages)
        except Exception as exc:  # SMTP and socket errors: all worth another try
            logger.warning("e-mail failed", extra={**log_extra, "error": type(exc).__name__})
            return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
        return {"ok": True, "sent": sent or len(messages)}

    result = _retry(attempt)
    return {"status": "sent" if result.pop("ok") else "failed", "recipients": recipients, **result}


def _skipped(reason: str, **extra) -> dict:
    return {"status": "skipped", "reason": reason, "attempts": 0, "at": timezone.now().isoformat(), **extra}


def send_email(*, report, recipients: list[str]) -> dict:
    if not recipients:
        return _skipped("no recipients", recipients=0)
    return _send_messages(build_messages(report=report, recipients=recipients), recipients=len(recipients),
                          log_extra={"report_id": report.pk})


def report_url(report) -> str:
    """Where staff read the report: its page, absolute (SITE_URL), for Slack and e-mail."""
    from django.urls import reverse

    return settings.SITE_URL.rstrip("/") + reverse("staff:report", kwargs={"report_id": report.pk})


def webhook_payload(report) -> dict:
    return {"text": rendering.webhook_text(report.data, url=report_url(report)), "username": "Control Panel"}


def _post_webhook(*, payload: dict, url: str, log_extra: dict) -> dict:
    if not url:
        return _skipped("SLACK_WEBHOOK_URL is not set")
    if not url.startswith(("https://", "http://")):
        return _skipped("SLACK_WEBHOOK_URL must be an http(s) URL")
    body = json.dumps(payload).encode()

    def attempt() -> dict:
        request = urllib.request.Request(url, data=body, method="POST",  # noqa: S310 (http(s) checked above)
                                         headers={"Content-Type": "application/json", "User-Agent": "ControlPanel/1"})
        try:
            with urllib.request.urlopen(request, timeout=settings.REPORT_WEBHOOK_TIMEOUT_SECONDS) as response:  # noqa: S310 - operator-set URL
                return {"ok": 200 <= response.status < 300, "http_status": response.status}
        except urllib.error.HTTPError as exc:
            retry = exc.code >= 500 or exc.code in RETRYABLE_HTTP
            return {"ok": False, "http_status": exc.code, "error": f"HTTP {exc.code}", "retry": retry}
        except (urllib.error.URLError, OSError) as exc:
            return {"ok": False, "error": f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"[:300]}

    result = _retry(attempt)
    ok = result.pop("ok")
    if not ok:
        logger.warning("webhook failed", extra={**log_extra, "error": result.get("error")})
    return {"status": "delivered" if ok else "failed", **result}


def send_webhook(*, report, url: str) -> dict:
    return _post_webhook(payload=webhook_payload(report), url=url, log_extra={"report_id": report.pk})


# --- alerts ----------------------------------------------------------------------------

def alert_text(alert: dict) -> str:
    """What an alert says, in every channel: what, where, how much, against which limit, and a link."""
    return (
        f"{alert['headline']}\n"
        f"Host: {alert['host']} · Metric: {alert['metric_label']} · Value: {alert['value']:.1f} %"
        f" · Threshold: {alert['threshold'] or 0:.0f} % · State: {alert['from']} → {alert['to']}"
        f" · At: {alert['at']}\n"
        f"{alert['url']}"
    )


def send_alert_email(*, alert: dict, recipients: list[str]) -> dict:
    if not recipients:
        return _skipped("no recipients", recipients=0)
    subject = f"[Control Panel] {alert['headline']}"
    body = alert_text(alert)
    messages = [EmailMultiAlternatives(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[address])
                for address in recipients]
    return _send_messages(messages, recipients=len(recipients), log_extra={"alert_id": alert["id"]})


def send_alert_webhook(*, alert: dict, url: str) -> dict:
    payload = {"text": alert_text(alert), "username": "Control Panel"}
    return _post_webhook(payload=payload, url=url, log_extra={"alert_id": alert["id"]})
