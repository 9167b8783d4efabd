"""Every search is recorded; the history is bounded, private and clearable."""

import pytest

from search.models import SavedSearch, SearchHistory
from tests.search.conftest import search


def history(client, **params) -> dict:
    response = client.get("/api/v1/search/history/", params)
    assert response.status_code == 200, response.content
    return response.json()


def test_a_search_is_recorded_with_its_figures(auth_client, catalog, user):
    search(auth_client, q="  colour   wheel ", turbo="true")
    [row] = history(auth_client)["results"]
    assert row["query"] == "colour wheel"
    assert row["results_count"] == 1 and row["count_exact"] is True
    assert row["turbo_used"] is True and row["cached"] is False
    assert row["search_time"] >= 0 and row["created_at"]
    assert SearchHistory.objects.get().user == user


def test_history_is_newest_first_and_paginated(auth_client, catalog):
    for q in ("grey", "contour", "wheel"):
        search(auth_client, q=q)
    body = history(auth_client, page_size=2)
    assert body["count"] == 3
    assert [row["query"] for row in body["results"]] == ["wheel", "contour"]
    assert body["next"]


def test_history_is_trimmed_to_the_limit_per_user(auth_client, other_client, catalog, settings):
    settings.SEARCH_HISTORY_LIMIT = 3
    search(other_client, q="grey")
    for n in range(5):
        search(auth_client, q=f"colour {n}")
    assert [row["query"] for row in history(auth_client)["results"]] == ["colour 4", "colour 3", "colour 2"]
    assert [row["query"] for row in history(other_client)["results"]] == ["grey"]


def test_saved_searches_are_never_trimmed(auth_client, catalog, settings):
    settings.SEARCH_HISTORY_LIMIT = 1
    for n, query in enumerate(["colour", "grey", "wheel"]):
        assert auth_client.post("/api/v1/search/save/", {"query": query}, format="json").status_code == 201
        search(auth_client, q=f"grey {n}")
    assert SavedSearch.objects.count() == 3
    assert history(auth_client)["count"] == 1


def test_history_is_private_to_its_user(auth_client, other_client, catalog):
    search(auth_client, q="colour")
    assert history(other_client)["count"] == 0
    assert history(auth_client)["count"] == 1


def test_delete_clears_only_my_history(auth_client, other_client, catalog):
    search(auth_client, q="colour")
    search(auth_client, q="grey")
    search(other_client, q="contour")
    response = auth_client.delete("/api/v1/search/history/")
    assert response.status_code == 200 and response.json() == {"deleted": 2}
    assert history(auth_client)["count"] == 0
    assert history(other_client)["count"] == 1


def test_refused_searches_are_not_recorded(auth_client, catalog):
    assert search(auth_client, q="").status_code == 400
    assert history(auth_client)["count"] == 0


@pytest.mark.parametrize("turbo", [True, False])
def test_history_records_the_mode_used(auth_client, catalog, turbo):
    search(auth_client, q="colour", turbo=str(turbo).lower())
    assert history(auth_client)["results"][0]["turbo_used"] is turbo


def test_consecutive_repeats_collapse_into_one_entry_with_a_count(auth_client, catalog):
    for q in ["colour wheel"] * 8 + ["  Colour   WHEEL "]:
        search(auth_client, q=q, turbo="true")
    [row] = history(auth_client)["results"]
    assert (row["query"], row["repeats"], row["results_count"]) == ("Colour WHEEL", 9, 1)


def test_only_consecutive_repeats_in_the_same_mode_collapse(auth_client, catalog):
    for q, turbo in [("grey", "true"), ("grey", "true"), ("wheel", "true"), ("grey", "true"), ("grey", "false")]:
        search(auth_client, q=q, turbo=turbo)
    rows = history(auth_client)["results"]
    assert [(r["query"], r["turbo_used"], r["repeats"]) for r in rows] == [
        ("grey", False, 1), ("grey", True, 1), ("wheel", True, 1), ("grey", True, 2)]
