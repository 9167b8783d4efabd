"""The live charts' series: per host and per endpoint, read from the right tier, never more than
MAX_POINTS points, whatever the range; the System page's JSON carries them for the range asked."""

from datetime import timedelta

import pytest
from django.utils import timezone

from telemetry.models import RequestMinute
from telemetry.selectors import live
from tests.telemetry.factories import histogram_row, sample

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("key", list(live.RANGES))
def test_every_range_has_a_bounded_number_of_points(key):
    now = timezone.now()
    sample(now - timedelta(seconds=30), host="a", cpu_percent=10.0)
    charts = live.live_charts(range_key=key, now=now)
    assert charts["range"]["key"] == key
    for series in [*charts["system"].values(), charts["api"]["overall"], charts["search"], charts["learners"]]:
        assert 0 < len(series["t"]) <= live.MAX_POINTS
        assert all(len(values) == len(series["t"]) for name, values in series.items() if name != "t")


def test_an_unknown_range_falls_back_to_the_last_hour():
    assert live.range_for("forever").key == "1h"


def test_system_series_are_per_host_and_average_each_bucket():
    now = timezone.now().replace(microsecond=0)
    sample(now - timedelta(seconds=40), host="a", cpu_percent=10.0)
    sample(now - timedelta(seconds=39), host="a", cpu_percent=30.0)
    sample(now - timedelta(seconds=20), host="b", cpu_percent=80.0)
    hosts = live.live_charts(range_key="6h", now=now)["system"]  # minute rollups
    assert set(hosts) == {"a", "b"}
    a_values = [v for v in hosts["a"]["cpu_percent"] if v is not None]
    assert a_values in ([20.0], [10.0, 30.0])  # one minute bucket, unless the two samples straddle a minute
    assert [v for v in hosts["b"]["cpu_percent"] if v is not None] == [80.0]
    assert hosts["a"]["t"] == hosts["b"]["t"]


def test_request_series_give_throughput_errors_and_percentiles_overall_and_per_endpoint():
    now = timezone.now()
    minute = (now - timedelta(minutes=3)).replace(second=0, microsecond=0)
    RequestMinute.objects.create(minute=minute, route="/api/v1/progress/", method="GET", status_class=2, count=90,
                                 duration_sum_ms=900, duration_max_ms=30, **histogram_row([10.0] * 90))
    RequestMinute.objects.create(minute=minute, route="/api/v1/lessons/", method="GET", status_class=5, count=10,
                                 duration_sum_ms=500, duration_max_ms=80, **histogram_row([50.0] * 10))
    api = live.live_charts(range_key="15m", now=now)["api"]
    overall = api["overall"]
    index = overall["t"].index(int(minute.timestamp()))
    assert overall["requests_per_minute"][index] == 100
    assert overall["error_rate_percent"][index] == 10.0
    assert overall["p50_ms"][index] <= overall["p95_ms"][index] <= overall["p99_ms"][index]
    assert list(api["endpoints"]) == ["/api/v1/progress/", "/api/v1/lessons/"]  # busiest first
    assert sum(api["endpoints"]["/api/v1/lessons/"]["requests_per_minute"]) == 10


def test_the_live_json_carries_the_charts_of_the_range_asked(client, staff_user):
    client.force_login(staff_user)
    staff_page_client = client
    sample(timezone.now() - timedelta(seconds=5), cpu_percent=12.0)
    body = staff_page_client.get("/staff/system/live.json?range=7d").json()
    assert body["charts"]["range"]["key"] == "7d"
    assert body["charts"]["range"]["bucket_seconds"] == 3600
    html = staff_page_client.get("/staff/system/?range=24h").content.decode()
    assert 'data-live-url="/staff/system/live.json?range=24h"' in html
    assert 'href="?range=24h" data-range-key="24h" aria-current="true"' in html
