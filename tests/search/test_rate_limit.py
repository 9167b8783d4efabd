"""100 searches a minute per user, on top of the API's hourly limit."""

from tests.search.conftest import search


def test_the_101st_search_in_a_minute_is_refused_with_retry_after(auth_client, other_client, catalog):
    for n in range(100):
        assert search(auth_client, q=f"colour {n % 7}").status_code == 200, n
    response = search(auth_client, q="colour")
    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    assert 1 <= int(response["Retry-After"]) <= 60
    # other users and the other search endpoints are unaffected
    assert search(other_client, q="colour").status_code == 200
    assert auth_client.get("/api/v1/search/history/").status_code == 200


def test_running_a_saved_search_counts_as_a_search(auth_client, catalog, settings):
    settings.RATELIMIT_SEARCH_RATE = "2/m"
    saved = auth_client.post("/api/v1/search/save/", {"query": "grey"}, format="json").json()
    assert search(auth_client, q="grey").status_code == 200
    assert auth_client.get(f"/api/v1/search/saved/{saved['id']}/run/").status_code == 200
    response = auth_client.get(f"/api/v1/search/saved/{saved['id']}/run/")
    assert response.status_code == 429 and "Retry-After" in response
