"""The live system page without JavaScript: the host's last hour as one mean per minute."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from telemetry.agent import process_sampler
from telemetry.models import SystemSample

pytestmark = pytest.mark.django_db


def _sample(at, cpu, memory):
    SystemSample.objects.create(at=at, host=process_sampler.host, cpu_percent=cpu, memory_percent=memory,
                                memory_used_bytes=1, memory_total_bytes=2, swap_percent=0, swap_used_bytes=0,
                                disk_percent=1, disk_used_bytes=1, disk_total_bytes=2, load_1=0, load_5=0, load_15=0)


def test_the_no_script_chart_shows_one_mean_per_minute_of_the_last_hour(staff_page_client):
    now = timezone.now()
    start = (now - timedelta(minutes=30)).replace(second=0, microsecond=0)
    for i in range(12):  # a sample every five seconds for one minute: CPU 12.5 and 17.5 in turn, memory 40
        _sample(start + timedelta(seconds=5 * i), 12.5 if i % 2 else 17.5, 40.0)
    for i in range(12):  # the next minute: CPU 61, memory 44 and 46
        _sample(start + timedelta(minutes=1, seconds=5 * i), 61.0, 44.0 if i % 2 else 46.0)
    _sample(now - timedelta(hours=2), 99.0, 99.0)  # outside the hour

    html = staff_page_client.get("/staff/system/").content.decode()
    fallback = html[html.index("<noscript>"):html.index("</noscript>")]
    assert "mean of each minute" in fallback
    rows = re.findall(r'<tr><th scope="row">[^<]*</th><td class="num">([^<]*)</td><td class="num">([^<]*)</td></tr>',
                      fallback)
    assert ("15", "40") in rows and ("61", "45") in rows  # the minutes' means, not their 24 samples
    assert not any(cell in {"12.5", "17.5", "99"} for row in rows for cell in row)
    assert len(rows) <= 61
