"""100 searches a minute per user, on top of the API's hourly limit."""

from django.test import Client

from search.models import SavedSearch
from tests.search.conftest import search


def test_the_101st_search_in_one_window_is_refused_with_retry_after(auth_client, other_client, catalog, settings):
    # The default budget (100 a minute) over an hour's window: 100 searches on a busy machine can
    # take longer than the seconds left in the current minute, and a new window would start mid-test.
    assert settings.RATELIMIT_SEARCH_RATE == "100/m"
    settings.RATELIMIT_SEARCH_RATE = "100/h"
    for n in range(100):
        assert search(auth_client, q=f"colour {n % 7}").status_code == 200, n
    response = search(auth_client, q="colour")
    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    assert 1 <= int(response["Retry-After"]) <= 3600
    # other users and the other search endpoints are unaffected
    assert search(other_client, q="colour").status_code == 200
    assert auth_client.get("/api/v1/search/history/").status_code == 200


def test_running_a_saved_search_counts_as_a_search(auth_client, catalog, settings):
    settings.RATELIMIT_SEARCH_RATE = "3/m"  # the save, the search and one run
    saved = auth_client.post("/api/v1/search/save/", {"query": "grey"}, format="json").json()
    assert search(auth_client, q="grey").status_code == 200
    assert auth_client.get(f"/api/v1/search/saved/{saved['id']}/run/").status_code == 200
    response = auth_client.get(f"/api/v1/search/saved/{saved['id']}/run/")
    assert response.status_code == 429 and "Retry-After" in response


def test_saving_a_search_after_100_searches_in_one_window_is_refused_and_saves_nothing(auth_client, catalog, settings):
    settings.RATELIMIT_SEARCH_RATE = "100/h"  # as above: the window must not end while the 100 run
    for n in range(100):
        assert search(auth_client, q=f"colour {n % 7}").status_code == 200, n
    response = auth_client.post("/api/v1/search/save/", {"query": "grey", "name": "Greys"}, format="json")
    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    assert 1 <= int(response["Retry-After"]) <= 3600
    assert not SavedSearch.objects.filter(user=auth_client.user).exists()


def test_saving_from_the_page_counts_against_the_same_search_limit(user, catalog, settings):
    settings.RATELIMIT_SEARCH_RATE = "2/m"
    browser = Client(REMOTE_ADDR="127.0.0.1")
    browser.force_login(user)
    assert browser.get("/search/", {"q": "grey"}).status_code == 200
    assert browser.get("/search/", {"q": "wheel"}).status_code == 200
    response = browser.post("/search/save/", {"q": "grey", "name": "Greys"})
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert not SavedSearch.objects.filter(user=user).exists()
