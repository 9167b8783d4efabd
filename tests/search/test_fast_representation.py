"""The hand-built search body equals what its declared serializer gives."""

from django.utils.safestring import mark_safe
from hypothesis import given, settings
from hypothesis import strategies as st

from lessons.models import Lesson, LessonProgress
from search.api.serializers import SearchResultOutputSerializer
from search.selectors import SearchHit, SearchResult

text = st.text(max_size=30)
hits = st.builds(
    SearchHit, lesson_id=st.integers(min_value=1), slug=text, title=text, category=text, category_name=text,
    difficulty=st.integers(min_value=1, max_value=5), score=st.none() | st.floats(allow_nan=False, allow_infinity=False),
    title_html=text.map(mark_safe), snippet_html=text.map(mark_safe), style=st.sampled_from(Lesson.Style.values),
    status=st.sampled_from(LessonProgress.Status.values),
)
facets = st.fixed_dictionaries({
    "category": st.dictionaries(text, st.integers(min_value=0, max_value=10**6), max_size=4),
    "difficulty": st.dictionaries(st.integers(min_value=1, max_value=5), st.integers(min_value=0), max_size=5),
    "style": st.dictionaries(st.sampled_from(Lesson.Style.values), st.integers(min_value=0), max_size=3),
}) | st.just({})
results = st.builds(
    SearchResult, query=text, words=st.tuples(text), items=st.lists(hits, max_size=4),
    count=st.integers(min_value=0, max_value=10**6), count_exact=st.booleans(),
    page=st.integers(min_value=1, max_value=10_000), page_size=st.integers(min_value=1, max_value=100),
    has_next=st.booleans(), took_ms=st.floats(min_value=0, max_value=10**5, allow_nan=False),
    turbo_used=st.booleans(), strategy=st.sampled_from(["index", "index+check", "scan", "none"]), cached=st.booleans(),
    facets=facets, suggestion=text,
)


@settings(max_examples=200, deadline=None)
@given(results)
def test_the_fast_search_body_is_the_serializers(result):
    assert SearchResultOutputSerializer.represent(result) == SearchResultOutputSerializer(result).data
