"""``config/user``: a learner's preferences, validated field by field and scoped to them."""

import pytest

from accounts.models import UserPreferences

pytestmark = pytest.mark.django_db

DEFAULTS = {"theme": "system", "turbo_default": True, "preferred_style": "", "daily_goal_minutes": 20,
            "time_zone": "UTC", "weekly_progress_email": False}


def test_preferences_start_from_the_defaults(auth_client):
    response = auth_client.get("/api/v1/config/user/")
    assert response.status_code == 200
    assert response.json() == DEFAULTS


def test_a_user_without_a_preferences_row_gets_the_defaults(auth_client, user):
    UserPreferences.objects.filter(user=user).delete()
    assert auth_client.get("/api/v1/config/user/").json() == DEFAULTS


def test_put_stores_every_preference(auth_client, user):
    wanted = {"theme": "dark", "turbo_default": False, "preferred_style": "musical", "daily_goal_minutes": 45,
              "time_zone": "Europe/Lisbon", "weekly_progress_email": True}
    response = auth_client.put("/api/v1/config/user/", wanted, format="json")
    assert response.status_code == 200
    assert response.json() == wanted
    assert auth_client.get("/api/v1/config/user/").json() == wanted
    user.preferences.refresh_from_db()
    assert user.preferences.time_zone == "Europe/Lisbon"


def test_put_with_some_fields_keeps_the_others(auth_client):
    auth_client.put("/api/v1/config/user/", {"theme": "light"}, format="json")
    response = auth_client.put("/api/v1/config/user/", {"daily_goal_minutes": 30}, format="json")
    assert response.json() == {**DEFAULTS, "theme": "light", "daily_goal_minutes": 30}


@pytest.mark.parametrize(("field", "value"), [
    ("time_zone", "Mars/Olympus_Mons"), ("time_zone", "../../etc/passwd"), ("time_zone", ""),
    ("daily_goal_minutes", 1), ("daily_goal_minutes", 241), ("daily_goal_minutes", -5),
    ("daily_goal_minutes", "lots"), ("daily_goal_minutes", 10**12),
    ("theme", "neon"), ("theme", None), ("preferred_style", "interpretive-dance"),
    ("weekly_progress_email", "sometimes"), ("turbo_default", [True]),
])
def test_an_invalid_value_is_a_field_error_and_changes_nothing(auth_client, user, field, value):
    response = auth_client.put("/api/v1/config/user/", {field: value, "theme": "dark"} if field != "theme"
                               else {field: value}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert list(body["details"]) == [field]
    assert auth_client.get("/api/v1/config/user/").json() == DEFAULTS


def test_every_invalid_field_is_reported_at_once(auth_client):
    response = auth_client.put("/api/v1/config/user/", {"time_zone": "Nowhere", "daily_goal_minutes": 0,
                                                        "theme": "neon"}, format="json")
    assert set(response.json()["details"]) == {"time_zone", "daily_goal_minutes", "theme"}


def test_unknown_and_protected_fields_are_refused_and_change_nothing(auth_client, user, other_user):
    response = auth_client.put("/api/v1/config/user/", {"user": other_user.pk, "id": 999, "updated_at": "2000-01-01",
                                                        "is_staff": True, "theme": "dark"}, format="json")
    assert response.status_code == 400
    assert set(response.json()["details"]) == {"user", "id", "updated_at", "is_staff"}
    assert UserPreferences.objects.get(user=other_user).theme == "system"
    assert auth_client.get("/api/v1/config/user/").json() == DEFAULTS


@pytest.mark.parametrize("body", ['["theme", "dark"]', '"dark"', "42", "null"])
def test_a_body_that_is_not_an_object_is_a_validation_error(auth_client, body):
    response = auth_client.put("/api/v1/config/user/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] in {"validation_error", "parse_error"}


def test_each_user_sees_only_their_own_preferences(auth_client, other_client):
    auth_client.put("/api/v1/config/user/", {"theme": "dark"}, format="json")
    assert other_client.get("/api/v1/config/user/").json()["theme"] == "system"
