"""A new visitor registers, works through a lesson and sees their progress move."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from lessons.models import Lesson

pytestmark = [pytest.mark.ui, pytest.mark.django_db(transaction=True)]


def test_new_visitor_completes_a_lesson_and_sees_category_bar_and_summary_change(page):
    call_command("load_lessons", verbosity=0)
    lesson = Lesson.objects.published().filter(category__slug="drawing").order_by("difficulty", "title").first()
    checks = list(lesson.checks.order_by("order"))
    in_category = Lesson.objects.published().filter(category=lesson.category).count()
    total = Lesson.objects.published().count()

    page.goto("/")
    page.get_by_role("link", name="Create a free account").click()
    page.get_by_label("Username").fill("newcomer")
    page.get_by_label("Email").fill("newcomer@example.com")
    page.get_by_label("Password").fill("a-long-practice-phrase")
    page.get_by_role("button", name="Register").click()
    page.wait_for_url("**/home/")
    expect(page.locator("#messages")).to_contain_text("Welcome to Control Panel, newcomer!")
    bar = page.locator('#category-bars [data-category="drawing"]')
    expect(bar.locator("[data-percent]")).to_contain_text(f"0 % (0/{in_category})")
    expect(page.locator('[data-summary="lessons"]')).to_have_text(f"0 of {total}")

    page.get_by_role("link", name="Lessons", exact=True).click()
    page.get_by_label("Category").select_option("drawing")
    page.get_by_role("button", name="Filter").click()
    page.get_by_role("link", name=lesson.title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(lesson.title)
    page.get_by_role("button", name="Start lesson").first.click()
    expect(page.locator("#lesson-status")).to_have_text("In progress")

    for check in checks:
        fieldset = page.locator(f"#check-{check.order}")
        right = check.order % 2 == 0  # answer the first check right, the second wrong, …
        choice = check.answer if right else (check.answer + 1) % len(check.choices)
        fieldset.get_by_label(check.choices[choice], exact=True).check()
        fieldset.get_by_role("button", name="Check answer").click()
        feedback = fieldset.locator(".feedback")
        expect(feedback).to_be_visible()
        expect(feedback).to_contain_text("Correct." if right else "Not quite")
        expect(feedback).to_contain_text(check.explanation[:40])
    assert page.url.endswith(f"/lessons/{lesson.slug}/#checks") or page.url.endswith(f"/lessons/{lesson.slug}/")

    page.get_by_role("button", name="Complete lesson").click()
    expect(page.locator("#messages")).to_contain_text("Lesson complete!")
    expect(page.locator("#lesson-status")).to_have_text("Completed")
    expect(page.locator("#category-progress-value")).to_have_text(f"1 of {in_category} lessons")

    page.get_by_role("link", name="Home", exact=True).click()
    percent = round(100 / in_category)
    expect(bar.locator("[data-percent]")).to_contain_text(f"{percent} % (1/{in_category})")
    expect(bar.locator("progress")).to_have_attribute("value", str(percent))
    expect(page.locator('[data-summary="lessons"]')).to_have_text(f"1 of {total}")
    expect(page.locator('[data-summary="overall"]')).not_to_have_text("0 %")
