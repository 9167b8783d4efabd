import unicodedata

from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers
from rest_framework.fields import empty

from lessons.models import Lesson, LessonProgress
from search import services
from search.models import SavedSearch, SearchHistory

# What a client may send as search text, stated once for the schema and the server: 1-200 characters, at least one
# of them searchable (neither white space nor a control, format, private-use or unassigned character), so the text
# never cleans down to nothing (search.text.clean_query). The schema's pattern says "not only white space and
# control characters"; text made only of format, private-use or unassigned characters, which no pattern a client
# or a fuzzer can use cheaply tells apart, is the documented 400 beyond it.
QUERY_MAX_LENGTH = 200
QUERY_PATTERN = r"[^\s\x00-\x1f\x7f-\x9f]"


def searchable(char: str) -> bool:
    return not char.isspace() and not unicodedata.category(char).startswith("C")


@extend_schema_field({"type": "string", "minLength": 1, "maxLength": QUERY_MAX_LENGTH, "pattern": QUERY_PATTERN})
class QueryField(serializers.Field):
    """Search text: 1-200 characters, at least one searchable; trimmed and control characters removed (NUL bytes
    are dropped, not refused)."""

    default_error_messages = {
        "invalid": "Enter the search text as a string.",
        "max_length": f"Search text can be at most {QUERY_MAX_LENGTH} characters.",
        "no_text": "Enter something to search for.",
    }

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        if len(data) > QUERY_MAX_LENGTH:
            self.fail("max_length")
        if not any(searchable(char) for char in data):
            self.fail("no_text")
        try:
            return services.search_query_clean(raw=data)
        except services.InvalidSearchError as exc:
            raise serializers.ValidationError(exc.message) from exc

    def to_representation(self, value):
        return value


class QueryBooleanField(serializers.BooleanField):
    """A boolean query parameter that is absent when left out (DRF reads a missing one as an unticked checkbox)."""

    default_empty_html = empty


class SearchQueryInputSerializer(serializers.Serializer):
    q = QueryField(help_text="What to look for: 1–200 characters, not only white space or control characters. Every word must occur in the "
                             "lesson's title, summary, body, tags or category name (case-insensitive, inside words too).")
    turbo = QueryBooleanField(required=False, help_text="Use the full-text index; defaults to your preference.")
    category = serializers.SlugField(required=False, max_length=40, help_text="Only lessons of this category (slug).")
    difficulty = serializers.IntegerField(required=False, min_value=1, max_value=5,
                                          help_text="Only lessons of this level; combines with the other filters.")
    style = serializers.ChoiceField(required=False, choices=Lesson.Style.choices,
                                    help_text="Only lessons of this style; combines with the other filters.")
    page = serializers.IntegerField(required=False, default=1, min_value=1, max_value=10_000)
    page_size = serializers.IntegerField(required=False, default=20, min_value=1, max_value=100)


class SearchSuggestInputSerializer(serializers.Serializer):
    q = QueryField(help_text="What has been typed so far; the last word is completed.")


class SuggestedTitleOutputSerializer(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()


class SearchSuggestOutputSerializer(serializers.Serializer):
    query = serializers.CharField()
    terms = serializers.ListField(child=serializers.CharField(),
                                  help_text="Whole queries: the text typed with its last word completed from the "
                                            "catalog's words, shortest first.")
    titles = SuggestedTitleOutputSerializer(many=True, help_text="Published lessons whose title matches as typed.")


class SearchCategoryOutputSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()


class SearchHitOutputSerializer(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()
    title_highlighted = serializers.CharField(source="title_html", help_text="HTML-escaped title; matches in <mark>.")
    category = serializers.SerializerMethodField()
    difficulty = serializers.IntegerField()
    snippet = serializers.CharField(source="snippet_html", help_text="HTML-escaped excerpt; matches in <mark>.")
    score = serializers.FloatField(allow_null=True, help_text="Relevance within this result list; higher is better.")
    style = serializers.CharField()
    status = serializers.ChoiceField(choices=LessonProgress.Status.choices,
                                     help_text="Your status on the lesson: not_started, in_progress or completed.")

    def get_category(self, hit) -> dict:
        return {"slug": hit.category, "name": hit.category_name}


@extend_schema_serializer(many=False)  # the list action returns one result object, not an array
class SearchResultOutputSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Matching lessons; a lower bound when count_exact is false.")
    count_exact = serializers.BooleanField(help_text="False when turbo stopped counting at its limit.")
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    query = serializers.CharField()
    took_ms = serializers.FloatField(help_text="Server time of the search in milliseconds.")
    turbo_used = serializers.BooleanField()
    strategy = serializers.CharField(help_text="index, index+check or scan; none for a query without words.")
    cached = serializers.BooleanField()
    suggestion = serializers.CharField(help_text='"Did you mean": a nearby query that finds lessons, when this one '
                                                 'found none (turbo); otherwise empty.')
    facets = serializers.DictField(child=serializers.DictField(child=serializers.IntegerField()),
                                   help_text="Matches by category (slug), difficulty and style, filters applied; "
                                             "counted over the first count matches when count_exact is false.")
    results = SearchHitOutputSerializer(many=True, source="items")

    @classmethod
    def represent(cls, result) -> dict:
        """What ``cls(result).data`` gives (``next`` and ``previous`` None, the view sets them), without binding
        fourteen fields and nine per hit on every search.

        Building the serializer cost a search page more than reading it from the cache; the shape is the
        declared one above (the schema still comes from the fields) and a test holds the two equal on
        generated results.
        """
        def hit(item) -> dict:
            return {
                "slug": str(item.slug), "title": str(item.title), "title_highlighted": str(item.title_html),
                "category": {"slug": item.category, "name": item.category_name}, "difficulty": int(item.difficulty),
                "snippet": str(item.snippet_html), "score": None if item.score is None else float(item.score),
                "style": str(item.style), "status": item.status,
            }

        return {
            "count": int(result.count), "count_exact": bool(result.count_exact), "next": None, "previous": None,
            "page": int(result.page), "page_size": int(result.page_size), "query": str(result.query),
            "took_ms": float(result.took_ms), "turbo_used": bool(result.turbo_used), "strategy": str(result.strategy),
            "cached": bool(result.cached), "suggestion": str(result.suggestion),
            "facets": {str(name): {str(key): int(n) for key, n in counts.items()} for name, counts in result.facets.items()},
            "results": [hit(item) for item in result.items],
        }


class SearchHistoryOutputSerializer(serializers.ModelSerializer):
    category = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)

    class Meta:
        model = SearchHistory
        fields = ["id", "query", "category", "results_count", "count_exact", "turbo_used", "search_time", "cached",
                  "repeats", "created_at"]
        read_only_fields = fields


class HistoryClearedOutputSerializer(serializers.Serializer):
    deleted = serializers.IntegerField()


class SavedSearchInputSerializer(serializers.Serializer):
    query = QueryField()
    name = serializers.CharField(required=False, allow_blank=True, max_length=100,
                                 help_text="Defaults to the query.")
    turbo = serializers.BooleanField(required=False, allow_null=True, default=None)
    category = serializers.SlugField(required=False, allow_null=True, max_length=40)


class SnapshotItemOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    title = serializers.CharField()


class SavedSearchOutputSerializer(serializers.ModelSerializer):
    category = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    results = SnapshotItemOutputSerializer(many=True, source="snapshot",
                                           help_text="The results when the search was saved, best first (up to 100).")

    class Meta:
        model = SavedSearch
        fields = ["id", "name", "query", "turbo", "category", "result_count", "count_exact", "results", "created_at",
                  "last_run_at"]
        read_only_fields = fields


class SearchPageInputSerializer(serializers.Serializer):
    page = serializers.IntegerField(required=False, default=1, min_value=1, max_value=10_000)
    page_size = serializers.IntegerField(required=False, default=20, min_value=1, max_value=100)
