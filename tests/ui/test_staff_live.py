"""The live system page refreshes its figures in place, and says so when it cannot."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts import services as account_services
from telemetry import services as telemetry_services
from tests.telemetry.factories import sample
from tests.ui.conftest import sign_in

pytestmark = [pytest.mark.ui, pytest.mark.django_db(transaction=True)]


def test_staff_see_a_figure_change_between_polls_without_reloading(page, staff_user):
    telemetry_services.system_sample_record()
    telemetry_services.health_probe()
    sign_in(page, staff_user.username)
    page.goto("/staff/system/?poll=500")
    page.evaluate("window.loadedOnce = 'yes'")
    live = page.locator("#live-system")
    expect(live).to_have_attribute("data-polls", "1")
    age = page.locator("#figure-sample-age")
    before = age.inner_text()
    expect(age).not_to_have_text(before, timeout=5000)
    assert int(live.get_attribute("data-polls")) >= 2
    assert page.evaluate("window.loadedOnce") == "yes"
    expect(page.locator("#figure-memory")).to_contain_text("%")
    expect(page.locator("[data-live-stale]")).to_be_hidden()

    # While the tab is hidden the page stops polling, and starts again when it is shown.
    page.evaluate("""() => {
        Object.defineProperty(document, "hidden", {value: true, configurable: true});
        document.dispatchEvent(new Event("visibilitychange"));
    }""")
    expect(page.locator("[data-live-state]")).to_have_text("paused while this tab is hidden")
    expect(live).to_have_attribute("data-in-flight", "false")  # a poll already under way may still land
    paused_at = live.get_attribute("data-polls")
    page.wait_for_timeout(1500)
    assert live.get_attribute("data-polls") == paused_at
    page.evaluate("""() => {
        Object.defineProperty(document, "hidden", {value: false, configurable: true});
        document.dispatchEvent(new Event("visibilitychange"));
    }""")
    expect(page.locator("[data-live-state]")).to_contain_text("live, every")
    expect(live).not_to_have_attribute("data-polls", paused_at)

    # A poll that fails (here: the session was ended elsewhere) marks the figures stale.
    account_services.sessions_revoke_all(user=staff_user, reason="test")
    expect(page.locator("[data-live-stale]")).to_be_visible()
    expect(live).to_have_attribute("data-stale", "true")


# --- live charts -----------------------------------------------------------------------------

def _recent_samples(count: int = 3, *, cpu: float = 20.0):
    now = timezone.now()
    for i in range(count, 0, -1):
        sample(now - timedelta(seconds=5 * i), cpu_percent=cpu + i)


def test_charts_take_new_samples_in_place_without_reloading(page, staff_user):
    _recent_samples()
    sign_in(page, staff_user.username)
    page.goto("/staff/system/?poll=500&range=15m")
    page.evaluate("window.loadedOnce = 'yes'")
    cpu = page.locator("#chart-cpu")
    expect(cpu).to_have_attribute("data-empty", "false")
    expect(cpu.locator("canvas")).to_have_count(1)
    first_t = cpu.get_attribute("data-last-t")
    # A new sample lands while the page is open: the chart's last point moves on.
    sample(timezone.now(), cpu_percent=77.0)
    expect(cpu).not_to_have_attribute("data-last-t", first_t)
    assert int(cpu.get_attribute("data-updates")) >= 2
    assert page.evaluate("window.loadedOnce") == "yes"
    expect(cpu.locator(".u-legend")).to_contain_text(staff_host())


def staff_host() -> str:
    from django.conf import settings

    return settings.CONTROLPANEL_HOST_NAME


def test_the_range_picker_redraws_from_another_tier_and_the_url_keeps_it(page, staff_user):
    _recent_samples()
    sign_in(page, staff_user.username)
    page.goto("/staff/system/?poll=500")
    cpu = page.locator("#chart-cpu")
    expect(cpu).to_have_attribute("data-range", "1h")
    page.evaluate("window.loadedOnce = 'yes'")
    page.get_by_role("navigation", name="Time range").get_by_role("link", name="6 h").click()
    expect(page).to_have_url(re.compile(r"range=6h"))
    expect(cpu).to_have_attribute("data-range", "6h")
    assert page.evaluate("window.loadedOnce") == "yes"  # no reload
    assert int(cpu.get_attribute("data-points")) <= 400
    page.reload()
    expect(page.get_by_role("navigation", name="Time range").get_by_role("link", name="6 h")).to_have_attribute(
        "aria-current", "true")
    expect(cpu).to_have_attribute("data-range", "6h")
    page.get_by_role("link", name="1 y").click()
    expect(cpu).to_have_attribute("data-range", "1y")
    assert int(cpu.get_attribute("data-points")) <= 400


def test_charts_without_data_say_so_instead_of_drawing_flat_lines(page, staff_user):
    _recent_samples()
    sign_in(page, staff_user.username)
    page.goto("/staff/system/?poll=500&range=15m")
    expect(page.locator("#chart-cpu")).to_have_attribute("data-empty", "false")
    searches = page.locator("#chart-search")
    expect(searches).to_have_attribute("data-empty", "true")
    expect(searches.get_by_text("Nobody searched in this range.")).to_be_visible()
    expect(searches.locator("canvas")).to_have_count(0)


def test_on_a_phone_the_charts_are_laid_out_for_the_width_not_shrunk(new_page, staff_user):
    _recent_samples()
    phone = new_page(width=360, height=740)
    sign_in(phone, staff_user.username)
    phone.goto("/staff/system/?poll=500&range=15m")
    cpu = phone.locator("#chart-cpu")
    expect(cpu).to_have_attribute("data-empty", "false")
    sizes = phone.evaluate("""() => {
        const canvas = document.querySelector('#chart-cpu canvas');
        const plot = document.querySelector('#chart-cpu [data-chart-plot]');
        const legend = document.querySelector('#chart-cpu .u-legend');
        return {css: canvas.getBoundingClientRect().width, pixels: canvas.width / devicePixelRatio,
                plot: plot.clientWidth, legend: parseFloat(getComputedStyle(legend).fontSize),
                overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth};
    }""")
    # Drawn at the width it is shown (so its 12 px axis text stays 12 px), inside the page.
    assert abs(sizes["css"] - sizes["pixels"]) <= 1
    assert sizes["css"] <= sizes["plot"] + 1 <= 360
    assert sizes["legend"] >= 11
    assert sizes["overflow"] <= 0


def test_a_marked_change_is_drawn_on_the_live_charts(page, staff_user):
    _recent_samples()
    sign_in(page, staff_user.username)
    page.goto("/staff/system/?poll=500&range=15m")
    expect(page.locator("#live-charts")).to_have_attribute("data-marks", "0")
    page.get_by_label("Mark a change now").fill("New cache settings")
    page.get_by_role("button", name="Mark").click()
    expect(page).to_have_url(re.compile(r"range=15m"))
    expect(page.get_by_text("Marked “New cache settings” on the charts.")).to_be_visible()
    expect(page.locator("#live-charts")).to_have_attribute("data-marks", "1")
