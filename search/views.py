"""Search page: query box with turbo or plain, highlighted results with facets and the learner's status, history
and saved searches.

Searches run through ``search.services.search_run`` (recorded in the history) and share the
API's per-user search limit (100 a minute), so the page is no way around it.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from controlpanel.api import ratelimit
from controlpanel.errors import ApplicationError
from lessons.models import Category, Lesson
from search import selectors, services

PAGE_SIZE = 20
HISTORY_SHOWN = 10
TRUE_VALUES = {"1", "true", "on", "yes"}


def _turbo(value: str | None, user) -> bool:
    """``?turbo=`` as a boolean; absent means the user's preference."""
    if value is None:
        return services.search_turbo_default(user=user)
    return value.lower() in TRUE_VALUES


def _search_limited(request) -> int | None:
    """Seconds to wait when this user used up the search allowance, else None (fails open)."""
    usage = ratelimit.page_limited(request, scope="search", rate_setting="RATELIMIT_SEARCH_RATE",
                                   key=ratelimit.client_key(request))
    return max(1, usage.time_left) if usage is not None else None


def _page_number(value: str | None) -> int:
    try:
        return max(1, int(value or 1))
    except ValueError:
        return 1


def _search_url(*, query: str, turbo: bool, category: str = "", difficulty: str = "", style: str = "",
                page: int | None = None, saved: bool = False) -> str:
    params = QueryDict(mutable=True)
    params["q"] = query
    params["turbo"] = "1" if turbo else "0"
    for name, value in (("category", category), ("difficulty", difficulty), ("style", style)):
        if value:
            params[name] = str(value)
    if page and page > 1:
        params["page"] = str(page)
    if saved:  # back from saving: show the results again without recording a second search
        params["saved"] = "1"
    return f"{reverse('search:index')}?{params.urlencode()}"


def _facets(result, state: dict, categories: dict[str, str]) -> list[dict]:
    """The facet groups of a result: each value with its count and a link that adds (or, when active, removes) it."""
    styles = dict(Lesson.Style.choices)
    labels = {"category": categories.get, "difficulty": lambda value: f"Level {value}", "style": styles.get}
    groups = []
    for param, title in (("category", "Category"), ("difficulty", "Difficulty"), ("style", "Style")):
        options = []
        for value, count in sorted(result.facets.get(param, {}).items(), key=lambda item: (-item[1], str(item[0]))):
            active = str(value) == str(state[param])
            link = {**state, param: "" if active else str(value)}
            options.append({"label": labels[param](value) or str(value), "count": count, "active": active,
                            "url": _search_url(**link)})
        if options:
            groups.append({"param": param, "title": title, "options": options})
    return groups


def _context(request, *, query: str, turbo: bool, category: str, difficulty: str = "", style: str = "",
             result=None, error: str = "") -> dict:
    user = request.user
    state = {"query": query, "turbo": turbo, "category": category, "difficulty": difficulty, "style": style}
    history = [
        {"query": h.query, "turbo": h.turbo_used, "results_count": h.results_count, "count_exact": h.count_exact,
         "took_ms": h.search_time, "created_at": h.created_at, "repeats": h.repeats,
         "category_name": h.category.name if h.category else "",
         "url": _search_url(query=h.query, turbo=h.turbo_used, category=h.category.slug if h.category else "")}
        for h in selectors.search_history_list(user=user)[:HISTORY_SHOWN]
    ]
    categories = dict(Category.objects.values_list("slug", "name"))
    pages, facets = {}, []
    if result is not None:
        if result.has_previous:
            pages["previous"] = _search_url(**state, page=result.page - 1)
        if result.has_next:
            pages["next"] = _search_url(**state, page=result.page + 1)
        if result.suggestion:
            pages["suggestion"] = _search_url(**{**state, "query": result.suggestion})
        facets = _facets(result, state, categories)
    return {
        **state,
        "categories": categories.items(),
        "result": result,
        "pages": pages,
        "facets": facets,
        "result_start": (result.page - 1) * result.page_size + 1 if result is not None else 1,
        "error": error,
        "history": history,
        "saved": selectors.saved_search_list(user=user),
    }


@login_required
def search_page(request):
    query = request.GET.get("q", "")
    turbo = _turbo(request.GET.get("turbo"), request.user)
    category = request.GET.get("category", "")
    difficulty, style = request.GET.get("difficulty", ""), request.GET.get("style", "")
    narrowed = {"category": category or None, "difficulty": difficulty or None, "style": style or None}
    result, error, status, wait, notice = None, "", 200, None, ""
    if query.strip():
        wait = _search_limited(request)
        if wait is not None:
            error, status = f"You are searching very fast. Please wait {wait} seconds and try again.", 429
        else:
            try:
                result = services.search_run(user=request.user, query=query, turbo=turbo, **narrowed,
                                             page=_page_number(request.GET.get("page")), page_size=PAGE_SIZE,
                                             record="saved" not in request.GET)
                if result.past_the_end:  # show the last page instead (the search is already recorded)
                    asked = result.page
                    result = services.search_run(user=request.user, query=query, turbo=turbo, **narrowed,
                                                 page=result.last_page, page_size=PAGE_SIZE, record=False)
                    notice = f"There is no page {asked}: these are the last results, page {result.page}."
            except ApplicationError as exc:
                error, status = exc.message, exc.status_code
    elif "q" in request.GET:
        error, status = "Type something to search for.", 400
    context = _context(request, query=query, turbo=turbo, category=category, difficulty=difficulty, style=style,
                       result=result, error=error)
    context["notice"] = notice
    response = render(request, "search/search.html", context, status=status)
    if status == 429:
        response["Retry-After"] = str(wait)
    return response


@login_required
@require_POST
def search_save(request):
    query = request.POST.get("q", "")
    turbo = _turbo(request.POST.get("turbo"), request.user)
    category = request.POST.get("category", "")
    wait = _search_limited(request)  # saving runs the search for its snapshot
    if wait is not None:
        error = f"You are searching very fast. Please wait {wait} seconds and try again."
        context = _context(request, query=query, turbo=turbo, category=category, result=None, error=error)
        response = render(request, "search/search.html", context, status=429)
        response["Retry-After"] = str(wait)
        return response
    try:
        saved = services.saved_search_create(user=request.user, query=query, name=request.POST.get("name", ""),
                                             turbo=turbo, category=category or None)
    except ApplicationError as exc:
        name_problem = exc.details.get("name") if isinstance(exc.details, dict) else None
        messages.error(request, name_problem[0] if name_problem else exc.message)
        return redirect(_search_url(query=query, turbo=turbo, category=category) if query.strip() else "search:index")
    messages.success(request, f"Saved “{saved.name}”. Find it under Saved searches.")
    return redirect(_search_url(query=saved.query, turbo=saved.turbo, category=category, saved=True))


@login_required
@require_POST
def history_clear(request):
    deleted = services.search_history_clear(user=request.user)
    messages.success(request, f"Cleared {deleted} search{'es' if deleted != 1 else ''} from your history.")
    return redirect("search:index")


@login_required
def saved_run(request, saved_id):
    """Run a saved search again: the search page with its query, mode and category."""
    saved = selectors.saved_search_get(user=request.user, saved_search_id=saved_id)
    if saved is None:
        messages.error(request, "That saved search no longer exists.")
        return redirect("search:index")
    wait = _search_limited(request)
    if wait is not None:
        messages.error(request, f"You are searching very fast. Please wait {wait} seconds and try again.")
        return redirect("search:index")
    category = saved.category.slug if saved.category else ""
    try:
        result = services.saved_search_rerun(user=request.user, saved_search_id=saved.pk, page_size=PAGE_SIZE)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("search:index")
    context = _context(request, query=saved.query, turbo=saved.turbo, category=category, result=result)
    context["rerun_of"] = saved
    return render(request, "search/search.html", context)


@login_required
@require_POST
def saved_delete(request, saved_id):
    try:
        services.saved_search_delete(user=request.user, saved_search_id=saved_id)
    except ApplicationError:
        messages.error(request, "That saved search no longer exists.")
    else:
        messages.success(request, "The saved search is deleted.")
    return redirect("search:index")
