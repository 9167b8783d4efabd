"""The search history's written statements leave the history the ORM calls they replace left."""

import pytest
from django.conf import settings as django_settings
from django.db import transaction
from django.db.models import F, Subquery
from django.test import override_settings
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search import services, text
from search.models import SearchHistory
from search.selectors import SearchResult
from tests.lessons.factories import CategoryFactory

pytestmark = pytest.mark.django_db

FIELDS = ("query", "category_id", "results_count", "count_exact", "turbo_used", "search_time", "cached", "repeats",
          "cached_runs")
searches = st.lists(st.tuples(
    st.sampled_from(["colour", "Colour!", "colour wheel", "COLOUR  wheel", "shadow", "shadows"]),
    st.booleans(), st.integers(0, 2), st.booleans(), st.integers(0, 50), st.booleans(),
    st.floats(min_value=0, max_value=500, allow_nan=False)), min_size=1, max_size=12)


def orm_record(*, user, result: SearchResult) -> None:
    """``search_history_record`` as ORM calls (the model instance of the newest row, an ``F()`` update)."""
    with transaction.atomic():
        figures = {"query": result.query, "results_count": result.count, "count_exact": result.count_exact}
        if not result.cached:
            figures |= {"search_time": result.took_ms, "cached": False}
        latest = SearchHistory.objects.filter(user=user).order_by("-id").first()
        if (latest is not None and latest.turbo_used == result.turbo_used
                and latest.category_id == (result.category.pk if result.category else None)
                and text.query_words(latest.query) == result.words):
            SearchHistory.objects.filter(pk=latest.pk).update(
                repeats=F("repeats") + 1, cached_runs=F("cached_runs") + int(result.cached),
                created_at=timezone.now(), **figures)
            return
        SearchHistory.objects.create(user=user, category=result.category, turbo_used=result.turbo_used,
                                     cached_runs=int(result.cached),
                                     **{"search_time": result.took_ms, "cached": result.cached, **figures})
        limit = max(0, django_settings.SEARCH_HISTORY_LIMIT)
        boundary = SearchHistory.objects.filter(user=user).order_by("-id").values("id")[limit:limit + 1]
        SearchHistory.objects.filter(user=user, id__lte=Subquery(boundary)).delete()


def rows(user) -> list[tuple]:
    return list(SearchHistory.objects.filter(user=user).order_by("id").values_list(*FIELDS))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(runs=searches)
def test_the_history_written_by_statements_equals_the_orms(user, other_user, runs):
    SearchHistory.objects.all().delete()
    categories = [None, CategoryFactory(), CategoryFactory()]
    moments = []
    with override_settings(SEARCH_HISTORY_LIMIT=4):  # trims happen within a run
        for query, turbo, category, cached, count, exact, took in runs:
            result = SearchResult(query=query, words=text.query_words(query), items=[], count=count, count_exact=exact,
                                  page=1, page_size=20, has_next=False, took_ms=took, turbo_used=turbo,
                                  strategy="index", cached=cached, category=categories[category])
            before = timezone.now()
            services.search_history_record(user=user, result=result)
            orm_record(user=other_user, result=result)
            moments.append(before)
    assert rows(user) == rows(other_user)
    newest = SearchHistory.objects.filter(user=user).order_by("-id").first()
    assert newest.created_at >= moments[-1]  # a repeat moves its entry to the time of its latest run
