"""The live system page refreshes its figures in place, and says so when it cannot."""

import pytest
from playwright.sync_api import expect

from accounts import services as account_services
from telemetry import services as telemetry_services
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
