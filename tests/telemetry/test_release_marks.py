"""Release marks: each version marks itself once, staff mark changes, and the live charts get them."""

import pytest
from django.conf import settings

from controlpanel.errors import ApplicationError
from telemetry import services
from telemetry.models import ReleaseMark

pytestmark = pytest.mark.django_db


def test_a_version_marks_its_release_once_however_many_processes_start():
    first = services.release_mark_version(version="9.9.9")
    second = services.release_mark_version(version="9.9.9")
    assert first.pk == second.pk and first.label == "Release 9.9.9" and first.kind == "release"
    assert ReleaseMark.objects.count() == 1


def test_a_change_needs_a_description():
    with pytest.raises(ApplicationError) as error:
        services.release_mark_create(label="   ")
    assert error.value.code == "invalid_mark"


def test_staff_mark_a_change_and_the_live_charts_carry_it(client, staff_user):
    client.force_login(staff_user)
    response = client.post("/staff/system/marks/", {"label": "New cache settings", "range": "6h"})
    assert response.status_code == 302 and response["Location"] == "/staff/system/?range=6h"
    marks = client.get("/staff/system/live.json?range=6h").json()["charts"]["marks"]
    assert [(m["kind"], m["label"]) for m in marks] == [("change", "New cache settings")]
    services.release_mark_version(version=settings.VERSION)
    marks = client.get("/staff/system/live.json?range=15m").json()["charts"]["marks"]
    assert [m["label"] for m in marks] == ["New cache settings", f"Release {settings.VERSION}"]


def test_learners_cannot_mark_changes(client, user):
    client.force_login(user)
    assert client.post("/staff/system/marks/", {"label": "x"}).status_code in (302, 403, 404)
    assert ReleaseMark.objects.count() == 0


def test_a_mark_compares_the_same_window_before_and_after(client, staff_user):
    from datetime import timedelta

    from django.utils import timezone

    from telemetry.models import RequestMinute
    from tests.telemetry.factories import histogram_row

    now = timezone.now().replace(second=0, microsecond=0)
    mark = services.release_mark_create(label="Faster lessons", at=now - timedelta(minutes=30))
    for minute, ms in ((now - timedelta(minutes=40), 40.0), (now - timedelta(minutes=20), 10.0)):
        RequestMinute.objects.create(minute=minute, route="/api/v1/lessons/", method="GET", status_class=2, count=60,
                                     duration_sum_ms=60 * ms, duration_max_ms=ms, **histogram_row([ms] * 60))
    client.force_login(staff_user)
    html = client.get(f"/staff/system/marks/{mark.pk}/?window=15m").content.decode()
    assert "Before and after: Faster lessons" in html
    from telemetry.selectors import live

    rows = {r["label"]: r for r in live.mark_comparison(mark=mark, window_key="15m")["rows"]}
    assert rows["API p50"]["before"] > rows["API p50"]["after"]
    assert rows["Requests per minute"]["before"] == rows["Requests per minute"]["after"] == 4.0
    assert rows["API p50"]["change_percent"] < 0
    assert client.get("/staff/system/marks/999999/").status_code == 404
