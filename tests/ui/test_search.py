"""Search in a real browser: turbo on and off, save a search, find it under saved searches, run it again."""

from urllib.parse import parse_qs, urlparse

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.ui.conftest import sign_in

pytestmark = [pytest.mark.ui, pytest.mark.django_db(transaction=True)]


def test_search_with_turbo_on_and_off_then_save_find_and_rerun(page, user):
    call_command("load_lessons", verbosity=0)
    sign_in(page, user.username)
    page.get_by_role("link", name="Search", exact=True).click()

    box = page.get_by_role("combobox", name="Search lessons")  # a search box with autocomplete
    turbo = page.get_by_label("Turbo")
    box.fill("colour wheel")
    turbo.check()
    page.get_by_role("button", name="Search", exact=True).click()
    took = page.locator("#search-took")
    expect(took).to_contain_text("turbo")
    expect(took).to_contain_text(" ms")
    assert parse_qs(urlparse(page.url).query)["turbo"] == ["1"]  # exactly one turbo parameter
    turbo_ms = float(page.locator("[data-took-ms]").inner_text())
    assert turbo_ms >= 0
    heading = page.locator("#results-heading")
    expect(heading).to_contain_text("for “colour wheel”")
    turbo_count = heading.inner_text().split()[0]
    expect(page.locator("#search-results mark").first).to_be_visible()

    page.get_by_label("Plain").check()
    page.get_by_role("button", name="Search", exact=True).click()
    expect(took).to_contain_text("plain")
    assert parse_qs(urlparse(page.url).query)["turbo"] == ["0"]  # exactly one turbo parameter
    expect(heading).to_have_text(f"{turbo_count} result{'s' if turbo_count != '1' else ''} for “colour wheel”")
    expect(page.locator("#search-history li")).to_have_count(2)

    page.get_by_label("Name for this saved search").fill("Colour wheels")
    page.get_by_role("button", name="Save this search").click()
    expect(page.locator("#messages")).to_contain_text("Saved “Colour wheels”")
    saved = page.locator("#saved-searches li", has_text="Colour wheels")
    expect(saved).to_contain_text("plain")

    page.get_by_role("link", name="Home", exact=True).click()
    page.get_by_role("link", name="Search", exact=True).click()
    page.locator("#saved-searches").get_by_role("link", name="Colour wheels").click()
    expect(page.get_by_text("Saved search “Colour wheels” run again")).to_be_visible()
    expect(heading).to_contain_text("for “colour wheel”")
    expect(took).to_contain_text("plain")
    # the same plain search again, right after the last one: one history entry, counted twice
    expect(page.locator("#search-history li")).to_have_count(2)
    expect(page.locator("#search-history li").first).to_contain_text("×2")


def test_the_search_box_suggests_as_you_type_and_a_suggestion_searches(page, user):
    call_command("load_lessons", verbosity=0)
    sign_in(page, user.username)
    page.goto("/search/")
    box = page.get_by_role("combobox", name="Search lessons")
    box.press_sequentially("perspec", delay=30)
    listbox = page.get_by_role("listbox", name="Suggestions")
    expect(listbox).to_be_visible()
    expect(listbox.get_by_role("option", name="perspective", exact=True)).to_be_visible()
    box.press("ArrowDown")
    expect(box).to_have_attribute("aria-activedescendant", "search-suggestion-term-0")
    box.press("Enter")
    expect(page.locator("#results-heading")).to_contain_text("for “perspective”")
    assert len(parse_qs(urlparse(page.url).query)["turbo"]) == 1
    expect(listbox).to_be_hidden()


def test_a_title_suggestion_opens_its_lesson(page, user):
    call_command("load_lessons", verbosity=0)
    sign_in(page, user.username)
    page.goto("/search/")
    page.get_by_role("combobox", name="Search lessons").press_sequentially("colour wh", delay=30)
    title = page.get_by_role("listbox", name="Suggestions").locator(".suggestion-title").first
    expect(title).to_be_visible()
    name = title.inner_text()
    title.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
