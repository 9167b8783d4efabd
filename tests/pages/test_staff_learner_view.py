"""The staff view of one learner: figures equal the progress selectors', sessions can be ended, staff only."""

import re

import pytest

from accounts.models import AuthSession
from progress import selectors
from tests.accounts.personal_data import populate
from tests.factories import UserFactory
from tests.pages.conftest import assert_clean_html, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def learner(user):
    populate(user, "coachview")
    signed_in(user)  # an active browser session for staff to see and end
    return user


def _cells(html: str, row_attr: str, key: str) -> list[str]:
    row = re.search(rf'<tr {row_attr}="{re.escape(key)}">(.*?)</tr>', html, re.S).group(1)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]


def test_staff_see_the_learners_figures_as_the_selectors_compute_them(staff_page_client, learner):
    response = staff_page_client.get(f"/staff/learners/{learner.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert_clean_html(html)
    for c in selectors.category_progress_list(user=learner):
        assert _cells(html, "data-category", c.slug)[1:4] == [str(c.progress), str(c.total_lessons), f"{c.percent}%"]
    records = selectors.lesson_records(user=learner)
    assert records
    for r in records:
        cells = _cells(html, "data-lesson", r.slug)
        assert cells[3] == f"{r.score:.2f}" and cells[4] == f"{r.best_score:.2f}"
        assert cells[5] == str(r.attempts) and cells[6] == r.mastery
    summary = selectors.progress_summary(user=learner)
    assert f"{summary.lessons_completed} of {summary.lessons_total}" in html
    assert html.count("<tr><td>") >= selectors.progress_history(user=learner).count()
    assert f"/staff/learners/{learner.pk}/sessions/" in html


def test_revoking_a_session_ends_it(staff_page_client, learner):
    session = AuthSession.objects.filter(user=learner, revoked_at__isnull=True).first()
    url = f"/staff/learners/{learner.pk}/sessions/{session.pk}/revoke/"
    assert staff_page_client.get(url).status_code == 405
    response = staff_page_client.post(url)
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.revoked_at is not None and session.revoked_reason == "staff_revoke"


def test_revoke_needs_a_csrf_token(staff_page_client, learner):
    client = staff_page_client
    client.handler.enforce_csrf_checks = True
    session = AuthSession.objects.filter(user=learner, revoked_at__isnull=True).first()
    assert client.post(f"/staff/learners/{learner.pk}/sessions/{session.pk}/revoke/").status_code == 403
    session.refresh_from_db()
    assert session.revoked_at is None


def test_a_staff_member_cannot_end_a_session_through_another_learners_url(staff_page_client, learner, other_user):
    session = AuthSession.objects.filter(user=learner, revoked_at__isnull=True).first()
    staff_page_client.post(f"/staff/learners/{other_user.pk}/sessions/{session.pk}/revoke/")
    session.refresh_from_db()
    assert session.revoked_at is None


def test_learners_are_refused_and_visitors_sent_to_login(client, page_client, learner, other_user):
    session = AuthSession.objects.filter(user=learner, revoked_at__isnull=True).first()
    paths = ["/staff/learners/", f"/staff/learners/{other_user.pk}/"]
    for path in paths:
        assert page_client.get(path).status_code == 403
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/login/?next=")
    assert page_client.post(f"/staff/learners/{learner.pk}/sessions/{session.pk}/revoke/").status_code == 403


def test_search_finds_by_username_and_email_and_paginates(staff_page_client):
    UserFactory(username="needle-person", email="someone@haystack.example")
    for i in range(30):
        UserFactory(username=f"crowd{i:02d}")
    by_name = staff_page_client.get("/staff/learners/", {"q": "NEEDLE"}).content.decode()
    assert "needle-person" in by_name and "crowd01" not in by_name
    by_email = staff_page_client.get("/staff/learners/", {"q": "haystack.example"}).content.decode()
    assert "needle-person" in by_email
    first = staff_page_client.get("/staff/learners/", {"q": "crowd"}).content.decode()
    assert "Page 1 of 2" in first and "q=crowd&amp;page=2" in first
    assert "crowd29" in staff_page_client.get("/staff/learners/", {"q": "crowd", "page": 2}).content.decode()


def test_admin_user_page_links_to_the_staff_view(learner):
    admin_user = UserFactory(is_staff=True, is_superuser=True)
    client = signed_in(admin_user)
    html = client.get(f"/admin/accounts/user/{learner.pk}/change/").content.decode()
    assert f"/staff/learners/{learner.pk}/" in html
