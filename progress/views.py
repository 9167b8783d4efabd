"""Learner pages: home (summary, goal, category bars, continue, recommendations, activity), progress,
and the lesson viewer's actions (start, check an answer, complete).

Every figure comes from the same selectors as the API; every chart from ``controlpanel.charts``.
"""

import hashlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from controlpanel.api.exceptions import json_error
from controlpanel.charts import line_chart
from controlpanel.errors import ApplicationError
from lessons import selectors as lesson_selectors
from lessons.views import MASTERY_LABELS, SCORING_RULE, STATUS_LABELS, lesson_or_404, render_lesson_detail
from progress import selectors, services

ACTIVITY_DAYS = 30
HISTORY_DAYS = 90
RECOMMENDATIONS = 5
CHART_WIDTH = 800
CHART_CACHE_SECONDS = 24 * 3600


def _chart(kind, **kwargs):
    """Render a chart, or reuse the one already rendered from exactly the same figures.

    The cache key is a digest of the chart's arguments (title, series, sizes), so a changed
    figure is a new key and nothing needs invalidating; a rendering costs ~10 ms, a hit ~0.2 ms.
    """
    key_source = repr((kind.__name__, sorted((k, v) for k, v in kwargs.items() if not callable(v))))
    key = "chart:" + hashlib.sha256(key_source.encode()).hexdigest()
    chart = cache.get(key)
    if chart is None:
        chart = kind(**kwargs)
        cache.set(key, chart, CHART_CACHE_SECONDS)
    return chart


def _day_label(day) -> str:
    return day.strftime("%d %b")


def _bars(categories) -> list[dict]:
    return [{"slug": c.slug, "name": c.name, "progress": c.progress, "total": c.total_lessons, "percent": c.percent,
             "marked": c.marked} for c in categories]


def _activity_chart(user):
    days = selectors.activity_by_day(user=user, days=ACTIVITY_DAYS)
    return _chart(
        line_chart,
        title=f"Lessons completed per day, last {ACTIVITY_DAYS} days",
        series={"Lessons completed": [(d.day, d.lessons_completed) for d in days]},
        width=CHART_WIDTH, height=280, x_format=_day_label,
    )


@login_required
def home(request):
    user = request.user
    categories = selectors.category_progress_list(user=user)
    summary = selectors.progress_summary(user=user, categories=categories)
    continue_lessons = [
        {"slug": r.lesson.slug, "title": r.lesson.title, "category_name": r.lesson.category.name,
         "started_at": r.started_at or r.updated_at}
        for r in lesson_selectors.continue_lessons(user=user)
    ]
    recommendations = [
        {"slug": rec.lesson.slug, "title": rec.lesson.title, "category_name": rec.category.name,
         "difficulty": rec.lesson.difficulty, "minutes": rec.lesson.minutes, "reasons": rec.reasons}
        for rec in lesson_selectors.lesson_recommendations(user=user, limit=RECOMMENDATIONS)
    ]
    context = {
        "summary": summary,
        "categories": _bars(categories),
        "badges": summary.badges_earned,
        "continue_lessons": continue_lessons,
        "recommendations": recommendations,
        "activity_chart": _activity_chart(user),
    }
    return render(request, "progress/home.html", context)


@login_required
def progress_page(request):
    user = request.user
    categories = selectors.category_progress_list(user=user)
    summary = selectors.progress_summary(user=user, categories=categories)
    day_list, counts = selectors.category_series(user=user, categories=categories, days=HISTORY_DAYS)
    series = {slug: list(zip(day_list, values, strict=True)) for slug, values in counts.items()}
    overall = [(day, sum(counts[c.slug][i] for c in categories)) for i, day in enumerate(day_list)]
    overall_chart = _chart(
        line_chart, title=f"Lessons completed, last {HISTORY_DAYS} days", series={"All categories": overall},
        y_title="Lessons", width=CHART_WIDTH, height=300, x_format=_day_label,
    )
    category_charts = [
        {**bar, "chart": _chart(line_chart, title=f"{bar['name']}, last {HISTORY_DAYS} days",
                                series={bar["name"]: series[bar["slug"]]}, y_title="Lessons",
                                width=CHART_WIDTH, height=220, x_format=_day_label)}
        for bar in _bars(categories)
    ]
    context = {
        "summary": summary,
        "categories": _bars(categories),
        "overall_chart": overall_chart,
        "series": series,
        "category_charts": category_charts,
        "achievements": summary.badges,
        "lesson_records": [
            {**vars(r), "status_label": STATUS_LABELS.get(r.status, r.status),
             "mastery_label": MASTERY_LABELS.get(r.mastery, r.mastery),
             "score_percent": None if r.score is None else round(100 * r.score),
             "best_percent": None if r.best_score is None else round(100 * r.best_score)}
            for r in selectors.lesson_records(user=user)
        ],
        "scoring_rule": SCORING_RULE,
    }
    return render(request, "progress/progress.html", context)


# --- a learner's work on a lesson (posted from the lesson viewer) --------------------------------

def _choice_index(value, check) -> int | None:
    try:
        index = int(value)
    except (TypeError, ValueError):
        return None
    return index if 0 <= index < len(check.choices) else None


def _selected_answers(request, checks) -> dict[int, int]:
    selected = {}
    for check in checks:
        choice = _choice_index(request.POST.get(f"check-{check.order}"), check)
        if choice is not None:
            selected[check.order] = choice
    return selected


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _detail_url(slug: str) -> str:
    return reverse("lessons:detail", args=[slug]) + "#checks"


@login_required
@require_POST
def lesson_start(request, slug):
    detail = lesson_or_404(request.user, slug)
    services.lesson_start(user=request.user, lesson=detail.lesson)
    messages.success(request, f"Started “{detail.lesson.title}”. Work through it, then try the checks.")
    return redirect(_detail_url(slug))


@login_required
@require_POST
def lesson_check(request, slug, order):
    """Immediate feedback on one check: JSON for the page's script, the page itself without it.

    Checking an answer is an attempt: it reveals the right answer, so only the learner's first
    answer to a check counts as a first try (``services.lesson_check_answer``).
    """
    detail = lesson_or_404(request.user, slug)
    check = next((c for c in detail.checks if c.order == order), None)
    if check is None:
        if _wants_json(request):
            return json_error("check_not_found", 404, "This lesson has no such check.")
        raise Http404("No such check.")
    raw = request.POST.get("choice", request.POST.get(f"check-{order}"))
    choice = _choice_index(raw, check)
    if choice is None:
        if _wants_json(request):
            return json_error("invalid_choice", 400, "Choose one of the answers.",
                              details={"choice": [f"Choose 0-{len(check.choices) - 1}."]})
        messages.error(request, "Choose an answer before checking it.")
        return render_lesson_detail(request, detail, selected=_selected_answers(request, detail.checks), status=400)
    feedback = vars(services.lesson_check_answer(user=request.user, lesson=detail.lesson, order=order, choice=choice))
    if _wants_json(request):
        return JsonResponse(feedback)
    return render_lesson_detail(request, lesson_or_404(request.user, slug),
                                selected=_selected_answers(request, detail.checks), feedback={order: feedback})


@login_required
@require_POST
def lesson_complete(request, slug):
    """Complete the lesson with an answer to every check (or retry its checks)."""
    detail = lesson_or_404(request.user, slug)
    selected = _selected_answers(request, detail.checks)
    if len(selected) != len(detail.checks):
        messages.error(request, "Answer every check before completing the lesson.")
        return render_lesson_detail(request, detail, selected=selected, status=400)
    answers = [selected[check.order] for check in detail.checks]
    try:
        completion = services.lesson_complete(user=request.user, lesson=detail.lesson, answers=answers)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return render_lesson_detail(request, detail, selected=selected, status=exc.status_code)
    right = sum(1 for r in completion.results if r.is_correct)
    scored = f" You answered {right} of {len(completion.results)} checks right." if completion.results else ""
    if completion.newly_completed:
        messages.success(request, f"Lesson complete!{scored} Your {detail.lesson.category.name} progress is updated.")
    else:
        messages.info(request, f"Retry recorded.{scored} Your first score stays; your best is updated.")
    return redirect(_detail_url(slug))
