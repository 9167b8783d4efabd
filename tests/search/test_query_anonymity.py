"""Top search queries in the reports are counts per query, never who typed them, and only
for queries at least K_ANONYMITY distinct people typed."""

from datetime import timedelta

import pytest
from django.utils import timezone

from search import selectors
from search.models import SearchHistory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def searched(user, query: str, times: int = 1) -> None:
    SearchHistory.objects.bulk_create([
        SearchHistory(user=user, query=query, results_count=1, turbo_used=True, search_time=1.0)
        for _ in range(times)
    ])


def stats() -> dict:
    now = timezone.now()
    return selectors.report_search_stats(start=now - timedelta(hours=1), end=now + timedelta(seconds=1))


def test_the_anonymity_threshold_is_three_people():
    assert selectors.K_ANONYMITY == 3


def test_a_query_typed_by_fewer_than_three_people_is_not_listed_however_often():
    alice, bob = UserFactory(), UserFactory()
    searched(alice, "my neighbour's divorce", times=40)
    searched(bob, "my neighbour's divorce", times=2)
    assert stats()["top_queries"] == []


def test_a_query_typed_by_three_people_is_listed_with_counts_only():
    learners = [UserFactory() for _ in range(3)]
    for n, learner in enumerate(learners, start=1):
        searched(learner, "colour wheel", times=n)
    top = stats()["top_queries"]
    assert top == [{"query": "colour wheel", "searches": 6, "learners": 3}]
    assert set(top[0]) == {"query", "searches", "learners"}  # no user id, name or address
    listed = repr(top)
    for learner in learners:
        assert learner.username not in listed and learner.email not in listed


def test_queries_are_grouped_the_way_search_reads_them():
    a, b, c = UserFactory(), UserFactory(), UserFactory()
    searched(a, "Colour Wheel")
    searched(b, "colour   wheel!")
    searched(c, "COLOUR, wheel")
    assert stats()["top_queries"] == [{"query": "colour wheel", "searches": 3, "learners": 3}]


def test_one_persons_spellings_of_a_shared_query_do_not_show():
    """Only the normalised group is shown, so a telling spelling of one learner never is."""
    learners = [UserFactory() for _ in range(3)]
    for learner in learners:
        searched(learner, "gesture")
    searched(learners[0], "GESTURE!!! (for Dana)")
    shown = [row["query"] for row in stats()["top_queries"]]
    assert shown == ["gesture"]


def test_top_queries_mix_listed_and_hidden_queries_by_volume():
    crowd = [UserFactory() for _ in range(4)]
    for learner in crowd:
        searched(learner, "blind contour", times=2)
    for learner in crowd[:3]:
        searched(learner, "grey")
    searched(crowd[0], "only-me", times=50)
    top = stats()["top_queries"]
    assert [row["query"] for row in top] == ["blind contour", "grey"]
    assert top[0] == {"query": "blind contour", "searches": 8, "learners": 4}


def test_the_report_totals_still_count_every_search():
    searched(UserFactory(), "alone", times=3)
    figures = stats()
    assert figures["searches"] == 3 and figures["users"] == 1 and figures["top_queries"] == []
