"""Saved searches: save with a snapshot, list, read, run again, delete; each user sees only theirs."""

from search.models import SavedSearch
from tests.search.factories import LessonFactory

SAVE = "/api/v1/search/save/"
SAVED = "/api/v1/search/saved/"


def save(client, **data):
    return client.post(SAVE, data, format="json")


def test_saving_a_search_returns_201_with_a_snapshot_of_ids_and_titles(auth_client, catalog):
    response = save(auth_client, name="Greys", query="grey", turbo=True)
    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "Greys" and body["query"] == "grey" and body["turbo"] is True
    assert body["result_count"] == 1 and body["count_exact"] is True
    assert body["results"] == [{"id": catalog["greys"].pk, "slug": "complementary-greys",
                                "title": "Complementary greys"}]
    saved = SavedSearch.objects.get()
    assert saved.result_ids == [catalog["greys"].pk] and saved.result_titles == ["Complementary greys"]


def test_the_name_defaults_to_the_query(auth_client, catalog):
    assert save(auth_client, query="  blind   contour ").json()["name"] == "blind contour"


def test_saved_searches_are_listed_newest_first(auth_client, catalog):
    save(auth_client, query="grey")
    save(auth_client, query="contour")
    body = auth_client.get(SAVED).json()
    assert [row["query"] for row in body["results"]] == ["contour", "grey"]


def test_a_saved_search_round_trips(auth_client, catalog):
    created = save(auth_client, name="Wheels", query="wheel", turbo=False, category="colour").json()
    fetched = auth_client.get(f"{SAVED}{created['id']}/").json()
    assert fetched == created
    assert fetched["category"] == "colour" and fetched["turbo"] is False


def test_running_a_saved_search_again_sees_todays_catalog(auth_client, catalog):
    created = save(auth_client, query="wheel").json()
    LessonFactory(slug="second-wheel", title="Another wheel", category=catalog["wheel"].category)
    response = auth_client.get(f"{SAVED}{created['id']}/run/")
    assert response.status_code == 200
    body = response.json()
    assert {hit["slug"] for hit in body["results"]} == {"colour-wheel", "second-wheel"}
    assert auth_client.get(f"{SAVED}{created['id']}/").json()["result_count"] == 1  # the snapshot stays
    assert auth_client.get("/api/v1/search/history/").json()["results"][0]["query"] == "wheel"
    assert SavedSearch.objects.get().last_run_at is not None


def test_a_saved_search_can_be_deleted(auth_client, catalog):
    created = save(auth_client, query="grey").json()
    assert auth_client.delete(f"{SAVED}{created['id']}/").status_code == 204
    assert auth_client.get(SAVED).json()["count"] == 0
    assert auth_client.get(f"{SAVED}{created['id']}/").status_code == 404


def test_another_users_saved_search_is_not_found(auth_client, other_client, catalog):
    created = save(auth_client, query="grey").json()
    for method, path in (("get", f"{SAVED}{created['id']}/"), ("get", f"{SAVED}{created['id']}/run/"),
                         ("delete", f"{SAVED}{created['id']}/")):
        response = getattr(other_client, method)(path)
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert other_client.get(SAVED).json()["count"] == 0
    assert SavedSearch.objects.count() == 1


def test_a_second_saved_search_with_the_same_name_is_a_conflict(auth_client, catalog):
    save(auth_client, name="Mine", query="grey")
    response = save(auth_client, name="Mine", query="wheel")
    assert response.status_code == 409 and response.json()["code"] == "saved_search_name_taken"


def test_saved_searches_are_capped_per_user(auth_client, catalog, settings):
    settings.SEARCH_SAVED_LIMIT = 2
    save(auth_client, query="grey")
    save(auth_client, query="wheel")
    response = save(auth_client, query="contour")
    assert response.status_code == 409 and response.json()["code"] == "saved_search_limit"


def test_saving_needs_a_valid_query(auth_client, catalog):
    response = save(auth_client, name="Empty", query="   ")
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error" and "query" in response.json()["details"]


def test_the_owner_cannot_be_chosen_by_the_client(auth_client, other_user, catalog, user):
    response = save(auth_client, query="grey", user=other_user.pk, user_id=other_user.pk)
    assert response.status_code == 400
    assert set(response.json()["details"]) == {"user", "user_id"}
    assert not SavedSearch.objects.exists()
    assert save(auth_client, query="grey").status_code == 201
    assert SavedSearch.objects.get().user == user


def test_a_search_that_finds_nothing_cannot_be_saved(auth_client, catalog):
    response = save(auth_client, name="Nothing", query="zzqxv")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "saved_search_empty" and "query" in body["details"]
    assert not SavedSearch.objects.exists()
