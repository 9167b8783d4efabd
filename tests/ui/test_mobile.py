"""Phone-sized windows (360 × 740): no page scrolls sideways and the navigation collapses and works."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from lessons.models import Lesson
from progress import services as lesson_services
from telemetry import services as telemetry_services
from tests.ui.conftest import sign_in

pytestmark = [pytest.mark.ui, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 740}
PUBLIC_PAGES = ["/", "/login/", "/register/"]


@pytest.fixture
def phone(new_page):
    return new_page(**PHONE)


@pytest.fixture
def seeded(staff_user):
    """A staff learner with some history, a report and a system sample: every page has content."""
    call_command("load_lessons", verbosity=0)
    lessons = list(Lesson.objects.published().order_by("category__order", "difficulty", "title"))
    for lesson in lessons[:3]:
        lesson_services.lesson_complete(user=staff_user, lesson=lesson, answers=[c.answer for c in lesson.checks.all()])
    lesson_services.lesson_start(user=staff_user, lesson=lessons[3])
    telemetry_services.system_sample_record()
    telemetry_services.health_probe()
    report = telemetry_services.report_generate(kind="daily", day=timezone.localdate() - timedelta(days=1)).report
    return {"lesson": lessons[3], "report": report}


def horizontal_overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def test_no_page_scrolls_sideways_on_a_phone(phone, staff_user, seeded):
    for path in PUBLIC_PAGES:
        phone.goto(path)
        assert horizontal_overflow(phone) <= 0, path
    sign_in(phone, staff_user.username)
    pages = [
        "/home/", "/lessons/", f"/lessons/{seeded['lesson'].slug}/", "/progress/", "/search/", "/search/?q=colour",
        "/account/", "/account/password/", "/account/sessions/", "/staff/system/", "/staff/reports/",
        f"/staff/reports/{seeded['report'].pk}/",
    ]
    for path in pages:
        response = phone.goto(path)
        assert response.status == 200, path
        assert horizontal_overflow(phone) <= 0, path


def test_navigation_collapses_behind_a_menu_button_and_works(phone, user, seeded):
    sign_in(phone, user.username)
    menu = phone.get_by_role("button", name="Menu")
    lessons_link = phone.get_by_role("navigation", name="Main").get_by_role("link", name="Lessons")
    expect(menu).to_be_visible()
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(lessons_link).to_be_hidden()

    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(lessons_link).to_be_visible()
    lessons_link.click()
    phone.wait_for_url("**/lessons/")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Lessons")

    # By keyboard: the menu opens with Enter, Escape closes it and gives focus back to the button.
    menu.focus()
    phone.keyboard.press("Enter")
    expect(menu).to_have_attribute("aria-expanded", "true")
    phone.keyboard.press("Escape")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_focused()
    outline = menu.evaluate("element => getComputedStyle(element).outlineStyle")
    assert outline != "none"


def test_wide_staff_tables_scroll_sideways_on_a_phone_and_say_so(phone, staff_user, seeded):
    sign_in(phone, staff_user.username)
    phone.goto("/staff/reports/")
    wrap = phone.locator(".table-wrap", has=phone.locator("#report-table"))
    sizes = wrap.evaluate("el => ({scroll: el.scrollWidth, client: el.clientWidth, overflow: getComputedStyle(el).overflowX})")
    assert sizes["scroll"] > sizes["client"] and sizes["overflow"] == "auto"  # the table scrolls, nothing is cut
    expect(phone.get_by_text("Scroll the table sideways for more columns →")).to_be_visible()
    assert horizontal_overflow(phone) <= 0
    # Scrolling the table shows its last column.
    wrap.evaluate("el => el.scrollLeft = el.scrollWidth")
    expect(phone.locator("#report-table thead th").last).to_be_in_viewport()


SMALLEST_CHART_TEXT = """() => {
    const sizes = [];
    for (const svg of document.querySelectorAll('svg.chart')) {
        const box = svg.getBoundingClientRect();
        if (!box.width || getComputedStyle(svg).display === 'none') continue;
        const scale = box.width / svg.viewBox.baseVal.width;
        for (const text of svg.querySelectorAll('text')) {
            sizes.push(parseFloat(getComputedStyle(text).fontSize) * scale);
        }
    }
    return sizes.length ? Math.min(...sizes) : null;
}"""


def test_chart_text_is_at_least_11_px_on_a_phone(phone, staff_user, seeded):
    sign_in(phone, staff_user.username)
    for path in ("/home/", "/progress/", f"/staff/reports/{seeded['report'].pk}/"):
        phone.goto(path)
        smallest = phone.evaluate(SMALLEST_CHART_TEXT)
        assert smallest is not None, f"{path}: no chart shown"
        assert smallest >= 11, f"{path}: chart text drawn at {smallest:.1f} px"


def test_a_learner_without_history_sees_a_sentence_and_a_next_step_not_empty_charts(phone, user):
    sign_in(phone, user.username)
    phone.goto("/progress/")
    note = phone.locator("#no-history")
    expect(note).to_be_visible()
    expect(note.get_by_role("link", name="Complete a lesson")).to_have_attribute("href", "/lessons/")
    assert phone.locator("svg.chart").count() == 0
    expect(phone.get_by_role("heading", name="By category")).to_have_count(0)
    phone.goto("/home/")
    expect(phone.locator("#no-activity")).to_be_visible()
    assert phone.locator("svg.chart").count() == 0
