"""My sessions: revoking another session from the browser ends that session's API token."""

import pytest
from playwright.sync_api import expect

from tests.conftest import login
from tests.ui.conftest import sign_in

pytestmark = [pytest.mark.ui, pytest.mark.django_db(transaction=True)]


def test_revoking_another_session_refuses_its_api_token(page, user, api_client):
    tokens = login(api_client, user.username, HTTP_USER_AGENT="python-requests/2.32")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert api_client.get("/api/v1/auth/me/").status_code == 200

    sign_in(page, user.username)
    page.get_by_role("link", name="Account").click()
    page.get_by_role("link", name="My sessions").click()
    api_row = page.locator("#session-list li", has_text="Python requests")
    expect(api_row).to_contain_text("API client")
    expect(page.locator("#session-list li", has_text="This browser")).to_have_count(1)
    api_row.get_by_role("button", name="Revoke").click()

    expect(page.locator("#messages")).to_contain_text("The session is ended")
    expect(page.locator("#session-list li", has_text="Python requests")).to_have_count(0)
    response = api_client.get("/api/v1/auth/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "token_invalid"
