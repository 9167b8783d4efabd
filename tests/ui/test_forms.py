"""Forms in a real browser: CSRF is enforced, bad input is explained next to the field."""

import pytest
from playwright.sync_api import expect

from accounts.models import AuthSession

pytestmark = [pytest.mark.ui, pytest.mark.django_db(transaction=True)]


def test_login_form_without_its_csrf_token_is_refused(page, user):
    page.goto("/login/")
    page.locator("input[name=csrfmiddlewaretoken]").evaluate("element => element.remove()")
    page.get_by_label("Username or e-mail").fill(user.username)
    page.get_by_label("Password").fill("diamond-practice-2026")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="That form could not be accepted")).to_be_visible()
    assert not AuthSession.objects.filter(user=user).exists()


def test_registration_with_bad_input_shows_field_errors(page, user):
    page.goto("/register/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Email").fill("no-at-sign")
    page.get_by_label("Password").fill("12345")
    page.get_by_role("button", name="Register").click()
    expect(page.locator("#id_username_error")).to_have_text("That username is taken.")
    expect(page.locator("#id_email_error")).to_contain_text("Enter a valid email address.")
    expect(page.locator("#id_password_error")).to_contain_text("too short")
    expect(page.get_by_label("Email")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("alert")).to_contain_text("Please correct the highlighted fields")
