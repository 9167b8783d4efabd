"""Threshold transitions raise one notification each (warning, critical, cleared), by e-mail to
staff and to Slack, with host, value, threshold and a link; the alert log lists them."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from accounts.models import User
from telemetry import services
from telemetry.models import ThresholdEvent
from telemetry.tasks import alert_notify_task
from tests.telemetry.factories import sample
from tests.telemetry.test_reports import Hook

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(db):
    return User.objects.create_user(username="operator", email="operator@example.com", password="x" * 12,
                                    is_staff=True, email_verified_at=timezone.now())


def raise_cpu(host: str, value: float, now):
    for seconds in (30, 20, 10):
        sample(now - timedelta(seconds=seconds), host=host, cpu_percent=value)


def test_each_transition_mails_staff_and_posts_to_slack_once(operator, django_capture_on_commit_callbacks):
    now = timezone.now()
    with Hook([]) as hook, override_settings(SLACK_WEBHOOK_URL=hook.url):
        raise_cpu("db-host", 97.0, now)
        with django_capture_on_commit_callbacks(execute=True):
            services.thresholds_evaluate(now=now, host="db-host")
        # Ten minutes later the average is low again: the state clears.
        later = now + timedelta(minutes=11)
        raise_cpu("db-host", 10.0, later)
        with django_capture_on_commit_callbacks(execute=True):
            services.thresholds_evaluate(now=later, host="db-host")
        # Nothing changed: no new alert.
        with django_capture_on_commit_callbacks(execute=True):
            services.thresholds_evaluate(now=later + timedelta(seconds=5), host="db-host")

    assert [m.subject for m in mail.outbox] == [
        "[Control Panel] CPU on db-host is critical: 97.0 % is above 95 %",
        "[Control Panel] CPU on db-host cleared: 10.0 % is below 75 %",
    ]
    assert mail.outbox[0].to == ["operator@example.com"]
    body = mail.outbox[0].body
    assert "Host: db-host" in body and "Value: 97.0 %" in body and "Threshold: 95 %" in body
    assert "http://testserver/staff/system/?host=db-host" in body or "/staff/system/?host=db-host" in body
    assert [r["text"].splitlines()[0] for r in hook.received] == [
        "CPU on db-host is critical: 97.0 % is above 95 %", "CPU on db-host cleared: 10.0 % is below 75 %"]
    events = list(ThresholdEvent.objects.order_by("at"))
    assert [(e.previous, e.status) for e in events] == [("clear", "critical"), ("critical", "clear")]
    assert all(e.notified_at and e.delivery["email"]["status"] == "sent" for e in events)
    assert all(e.delivery["webhook"]["status"] == "delivered" for e in events)


def test_a_replayed_notification_sends_nothing_more(operator, django_capture_on_commit_callbacks):
    now = timezone.now()
    raise_cpu("web-1", 90.0, now)
    with django_capture_on_commit_callbacks(execute=True):
        services.thresholds_evaluate(now=now, host="web-1")
    event = ThresholdEvent.objects.get()
    assert len(mail.outbox) == 1
    # A second worker handed the same task, or the broker redelivering it, finds it claimed.
    alert_notify_task.delay(event_id=event.pk)
    alert_notify_task.apply(kwargs={"event_id": event.pk})
    assert len(mail.outbox) == 1
    assert "warning" in mail.outbox[0].subject and "above 85 %" in mail.outbox[0].subject


def test_the_same_transition_cannot_be_recorded_twice():
    from django.db import IntegrityError, transaction

    at = timezone.now()
    ThresholdEvent.objects.create(host="h", metric="cpu", at=at, previous="clear", status="warning", value=90.0)
    with pytest.raises(IntegrityError), transaction.atomic():
        ThresholdEvent.objects.create(host="h", metric="cpu", at=at, previous="clear", status="warning", value=90.0)


def test_the_alert_api_lists_transitions_per_host_newest_first(staff_client, auth_client,
                                                               django_capture_on_commit_callbacks):
    now = timezone.now()
    raise_cpu("a", 90.0, now)
    raise_cpu("b", 99.0, now)
    with django_capture_on_commit_callbacks(execute=True):
        services.thresholds_evaluate(now=now, host="a")
        services.thresholds_evaluate(now=now + timedelta(seconds=1), host="b")
    body = staff_client.get("/api/v1/metrics/alerts/").json()
    assert [(r["host"], r["kind"], r["value"], r["threshold"]) for r in body["results"]] == [
        ("b", "critical", 99.0, 95.0), ("a", "warning", 90.0, 85.0)]
    assert body["results"][0]["url"].endswith("/staff/system/?host=b")
    only_a = staff_client.get("/api/v1/metrics/alerts/?host=a").json()
    assert [r["host"] for r in only_a["results"]] == ["a"]
    assert auth_client.get("/api/v1/metrics/alerts/").status_code == 403


def test_the_alert_log_page_lists_each_change_with_host_value_and_limit(client, staff_user,
                                                                       django_capture_on_commit_callbacks):
    now = timezone.now()
    raise_cpu("web-9", 99.0, now)
    with django_capture_on_commit_callbacks(execute=True):
        services.thresholds_evaluate(now=now, host="web-9")
    client.force_login(staff_user)
    html = client.get("/staff/alerts/").content.decode()
    assert '<a href="/staff/system/?host=web-9">web-9</a>' in html
    assert "99.0 %" in html and "95 %" in html and "critical" in html
    assert "skipped by e-mail, skipped to Slack" in html  # no recipients, no webhook configured
    empty = client.get("/staff/alerts/?host=quiet").content.decode()
    assert "No threshold has changed state on quiet yet." in empty


def test_the_alert_log_is_staff_only(client, user):
    client.force_login(user)
    assert client.get("/staff/alerts/").status_code in (302, 403, 404)
