"""Search writes: running a search (it is recorded), history, saved searches, the index."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Subquery
from django.utils import timezone

from accounts.models import User
from accounts.selectors import preferences_of
from controlpanel.errors import ApplicationError, ConflictError, NotFoundError
from lessons.models import Category, Lesson
from search import fastpaths, index, selectors, text
from search.models import SavedSearch, SearchHistory


class InvalidSearchError(ApplicationError):
    code = "invalid_search"
    message = "The search could not be run."


class SavedSearchLimitError(ConflictError):
    code = "saved_search_limit"
    message = "You have reached the maximum number of saved searches; delete one first."


class SavedSearchEmptyError(ConflictError):
    code = "saved_search_empty"
    message = "This search finds no lessons, so there is nothing to save; try the suggestion or other words."


class SavedSearchNameTakenError(ConflictError):
    code = "saved_search_name_taken"
    message = "You already have a saved search with this name."


def search_query_clean(*, raw: str | None) -> str:
    """The cleaned query (see :func:`search.text.clean_query`), or InvalidSearchError with the reason."""
    try:
        return text.clean_query(raw)
    except text.QueryError as exc:
        raise InvalidSearchError(str(exc), details={"q": [str(exc)]}) from exc


def search_category(*, slug: str | None) -> Category | None:
    if not slug:
        return None
    category = Category.objects.filter(slug=slug).first()
    if category is None:
        raise InvalidSearchError("No such category.", details={"category": [f"Unknown category {slug[:80]!r}."]})
    return category


def search_turbo_default(*, user: User | None) -> bool:
    """The user's turbo preference (on for anonymous callers and users who never chose)."""
    return True if user is None or not user.is_authenticated else bool(preferences_of(user=user).turbo_default)


def search_filters(*, difficulty, style) -> tuple[int | None, str | None]:
    """The difficulty (1-5) and style filters, or InvalidSearchError naming the bad one."""
    if difficulty in (None, ""):
        difficulty = None
    else:
        try:
            difficulty = int(difficulty)
        except (TypeError, ValueError):
            difficulty = 0
        if not 1 <= difficulty <= 5:
            raise InvalidSearchError("Difficulty is a level from 1 to 5.", details={"difficulty": ["Out of range."]})
    if style in (None, ""):
        style = None
    elif style not in Lesson.Style.values:
        raise InvalidSearchError("No such style.", details={"style": [f"Unknown style {str(style)[:40]!r}."]})
    return difficulty, style


def search_run(*, user: User, query: str, turbo: bool | None = None, category: Category | str | None = None,
               difficulty: int | str | None = None, style: str | None = None, page: int = 1, page_size: int = 20,
               record: bool = True) -> selectors.SearchResult:
    """Run a search for ``user``, add their status on each result and record it in their history.

    ``turbo=None`` uses the user's preference; ``category`` is a Category or its slug; the
    filters combine. Raises InvalidSearchError (400) for an empty or over-long query, an
    unknown category, difficulty or style, or a page out of range.
    """
    cleaned = search_query_clean(raw=query)
    if isinstance(category, str) or category is None:
        category = search_category(slug=category)
    difficulty, style = search_filters(difficulty=difficulty, style=style)
    if page < 1 or not 1 <= page_size <= 100:
        raise InvalidSearchError("Pages start at 1 and hold 1 to 100 results.", details={"page": ["Out of range."]})
    use_turbo = search_turbo_default(user=user) if turbo is None else bool(turbo)
    result = selectors.search_execute(query=cleaned, turbo=use_turbo, category=category, difficulty=difficulty,
                                      style=style, page=page, page_size=page_size)
    statuses = selectors.search_statuses(user=user, lesson_ids=[hit.lesson_id for hit in result.items])
    for hit in result.items:
        hit.status = statuses.get(hit.lesson_id, hit.status)
    if record and user is not None and user.is_authenticated:
        search_history_record(user=user, result=result)
    return result


@transaction.atomic
def search_history_record(*, user: User, result: selectors.SearchResult) -> None:
    """Store one search, collapsing a repeat of the latest entry, and trim the history to SEARCH_HISTORY_LIMIT.

    A repeat is the same words (as the search reads them: case and punctuation aside), category
    and mode as the user's newest entry: that entry counts one more run (see SearchHistory). The trim is one indexed statement: delete this user's rows at or below
    the id of the (limit + 1)-th newest, so no request scans the whole history.
    """
    figures = {"query": result.query, "results_count": result.count, "count_exact": result.count_exact}
    if not result.cached:
        figures |= {"search_time": result.took_ms, "cached": False}
    latest = fastpaths.latest_entry(user_id=user.pk)
    if (latest is not None and latest.turbo_used == result.turbo_used
            and latest.category_id == (result.category.pk if result.category else None)
            and text.query_words(latest.query) == result.words):
        fastpaths.count_repeat(entry_id=latest.id, cached=result.cached, at=timezone.now(), figures=figures)
        return
    SearchHistory.objects.create(user=user, category=result.category, turbo_used=result.turbo_used,
                                 cached_runs=int(result.cached),
                                 **{"search_time": result.took_ms, "cached": result.cached, **figures})
    limit = max(0, settings.SEARCH_HISTORY_LIMIT)
    boundary = SearchHistory.objects.filter(user=user).order_by("-id").values("id")[limit:limit + 1]
    SearchHistory.objects.filter(user=user, id__lte=Subquery(boundary)).delete()


def search_history_clear(*, user: User) -> int:
    """Delete all of ``user``'s search history; saved searches stay. Returns rows deleted."""
    deleted, _ = SearchHistory.objects.filter(user=user).delete()
    return deleted


SNAPSHOT_SIZE = 100


@transaction.atomic
def saved_search_create(*, user: User, query: str, name: str = "", turbo: bool | None = None,
                        category: Category | str | None = None) -> SavedSearch:
    """Save a search with a snapshot of its best results (ids, slugs, titles; up to 100).

    Refused (SavedSearchEmptyError, 409) when the search finds nothing: the page only offers
    saving a search with results, and the API follows the same rule.
    """
    cleaned = search_query_clean(raw=query)
    if isinstance(category, str) or category is None:
        category = search_category(slug=category)
    name = " ".join((name or "").split())[:100] or cleaned[:100]
    if SavedSearch.objects.filter(user=user).count() >= settings.SEARCH_SAVED_LIMIT:
        raise SavedSearchLimitError(details={"limit": settings.SEARCH_SAVED_LIMIT})
    use_turbo = search_turbo_default(user=user) if turbo is None else bool(turbo)
    result = selectors.search_execute(query=cleaned, turbo=use_turbo, category=category, page=1,
                                      page_size=SNAPSHOT_SIZE)
    if not result.count:  # a saved search is a way back to lessons; one that finds none is refused
        raise SavedSearchEmptyError(details={"query": [f"{cleaned!r} finds no lessons."]})
    try:
        with transaction.atomic():
            return SavedSearch.objects.create(
                user=user, name=name, query=cleaned, turbo=use_turbo, category=category,
                result_count=result.count, count_exact=result.count_exact,
                snapshot=[{"id": hit.lesson_id, "slug": hit.slug, "title": hit.title} for hit in result.items],
            )
    except IntegrityError as exc:
        raise SavedSearchNameTakenError(details={"name": [f"{name!r} is already one of your saved searches."]}) from exc


def _saved_search(*, user: User, saved_search_id: int) -> SavedSearch:
    saved = SavedSearch.objects.filter(user=user, pk=saved_search_id).select_related("category").first()
    if saved is None:
        raise NotFoundError("No such saved search.")
    return saved


def saved_search_delete(*, user: User, saved_search_id: int) -> None:
    """Delete one of ``user``'s saved searches (404 for anyone else's)."""
    _saved_search(user=user, saved_search_id=saved_search_id).delete()


def saved_search_rerun(*, user: User, saved_search_id: int, page: int = 1, page_size: int = 20) -> selectors.SearchResult:
    """Run a saved search again now (recorded in the history like any search)."""
    saved = _saved_search(user=user, saved_search_id=saved_search_id)
    result = search_run(user=user, query=saved.query, turbo=saved.turbo, category=saved.category,
                        page=page, page_size=page_size)
    SavedSearch.objects.filter(pk=saved.pk).update(last_run_at=timezone.now())
    return result


# --- the index ---------------------------------------------------------------------------------

def search_index_update(*, lesson_ids: Iterable[int]) -> int:
    """Re-index ``lesson_ids`` (published ones indexed, others dropped) in the caller's transaction."""
    return index.index_lessons(lesson_ids)


def search_index_update_category(*, category_id: int) -> int:
    return index.index_category(category_id)


def search_index_rebuild(*, progress: Callable[[int, int], None] | None = None) -> int:
    """Rebuild the turbo index from the published catalog; returns the documents indexed."""
    documents = index.rebuild(progress=progress)
    index.vacuum()
    return documents
