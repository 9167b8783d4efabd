"""Lesson pages: the catalog with filters and the lesson viewer (start, checks, complete).

Reads go through ``lessons.selectors``, writes through ``lessons.services``, exactly as the API
does. The category progress shown next to a lesson counts the learner's completed lessons of
that category from the lessons app's own list (lessons never imports progress).
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from controlpanel.api.exceptions import ApplicationError, json_error
from lessons import selectors, services
from lessons.models import Lesson, LessonProgress

LESSONS_PER_PAGE = 24
RESULTS_SESSION_KEY = "lesson_results"
STATUS_LABELS = dict(LessonProgress.Status.choices)
STYLE_LABELS = dict(Lesson.Style.choices)


class LessonFilterForm(forms.Form):
    category = forms.ChoiceField(required=False, label="Category")
    difficulty = forms.TypedChoiceField(required=False, label="Difficulty", coerce=int, empty_value=None,
                                        choices=[("", "Any level"), *((str(d), f"Level {d}") for d in range(1, 6))])
    style = forms.ChoiceField(required=False, label="Style", choices=[("", "Any style"), *Lesson.Style.choices])
    status = forms.ChoiceField(required=False, label="Status", choices=[("", "Any status"), *LessonProgress.Status.choices])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "All categories"),
                                           *selectors.category_list().values_list("slug", "name")]


def _lesson_or_404(user, slug: str):
    try:
        return selectors.lesson_detail(user, slug)
    except selectors.LessonNotFound as exc:
        raise Http404("No such lesson.") from exc


def _row(lesson) -> dict:
    return {
        "slug": lesson.slug,
        "title": lesson.title,
        "summary": lesson.summary,
        "difficulty": lesson.difficulty,
        "minutes": lesson.minutes,
        "category_name": lesson.category.name,
        "style_label": STYLE_LABELS.get(lesson.style, lesson.style),
        "status": lesson.user_status,
        "status_label": STATUS_LABELS.get(lesson.user_status, lesson.user_status),
    }


@login_required
def lesson_list(request):
    form = LessonFilterForm(request.GET or None)
    filters = {}
    status = 200
    if form.is_bound:
        if form.is_valid():
            filters = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
        else:
            status = 400
            messages.error(request, "Some filters were not recognised and are ignored: "
                           + ", ".join(form.fields[name].label for name in form.errors) + ".")
    page = Paginator(selectors.lesson_list(request.user, filters), LESSONS_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = [_row(lesson) for lesson in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filter_form": form if form.is_bound else LessonFilterForm(),
        "page_obj": page,
        "filtered": bool(filters),
        "query_string": query.urlencode(),
    }
    return render(request, "lessons/list.html", context, status=status)


def _category_progress(user, lesson) -> dict:
    """Completed lessons of the lesson's category out of its published lessons."""
    statuses = list(selectors.lesson_list(user, {"category": lesson.category.slug}).values_list("user_status", flat=True))
    done = sum(1 for s in statuses if s == LessonProgress.Status.COMPLETED)
    total = len(statuses)
    return {"progress": done, "total": total, "percent": round(100 * done / total, 1) if total else 0.0}


def _choice_index(value, check) -> int | None:
    try:
        index = int(value)
    except (TypeError, ValueError):
        return None
    return index if 0 <= index < len(check.choices) else None


def _feedback(check, choice: int) -> dict:
    correct = services.lesson_score(checks=[check], answers=[choice]) == 1
    return {"correct": correct, "answer": check.answer, "answer_text": check.choices[check.answer],
            "explanation": check.explanation}


def _render_detail(request, detail, *, selected: dict[int, int] | None = None, feedback: dict[int, dict] | None = None,
                   status: int = 200):
    selected = selected or {}
    feedback = feedback or {}
    record = detail.record
    checks = [
        {
            "order": check.order,
            "question": check.question,
            "choice_list": [{"index": i, "text": text, "selected": selected.get(check.order) == i}
                            for i, text in enumerate(check.choices)],
            "feedback": feedback.get(check.order),
        }
        for check in detail.checks
    ]
    prerequisites = [
        {"slug": p.slug, "title": p.title, "status": "completed" if p.completed else "not_started",
         "status_label": "Completed" if p.completed else "Not completed"}
        for p in detail.prerequisites
    ]
    context = {
        "lesson": detail.lesson,
        "status": detail.status,
        "status_label": STATUS_LABELS.get(detail.status, detail.status),
        "record": record,
        "score_percent": round(100 * record.score) if record and record.score is not None else None,
        "checks": checks,
        "prerequisites": prerequisites,
        "prerequisites_met": detail.prerequisites_met,
        "previous_lesson": detail.previous,
        "next_lesson": detail.next,
        "category_progress": _category_progress(request.user, detail.lesson),
    }
    return render(request, "lessons/detail.html", context, status=status)


@login_required
def lesson_detail(request, slug):
    detail = _lesson_or_404(request.user, slug)
    selected, feedback = {}, {}
    results = request.session.pop(RESULTS_SESSION_KEY, None)
    if results and results.get("slug") == slug:
        checks = {check.order: check for check in detail.checks}
        for order, choice in zip(sorted(checks), results.get("answers") or [], strict=False):
            selected[order] = choice
            feedback[order] = _feedback(checks[order], choice)
    return _render_detail(request, detail, selected=selected, feedback=feedback)


@login_required
@require_POST
def lesson_start(request, slug):
    detail = _lesson_or_404(request.user, slug)
    services.lesson_start(user=request.user, lesson=detail.lesson)
    messages.success(request, f"Started “{detail.lesson.title}”. Work through it, then try the checks.")
    return redirect(reverse("lessons:detail", args=[slug]) + "#checks")


def _selected_answers(request, checks) -> dict[int, int]:
    selected = {}
    for check in checks:
        choice = _choice_index(request.POST.get(f"check-{check.order}"), check)
        if choice is not None:
            selected[check.order] = choice
    return selected


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@login_required
@require_POST
def lesson_check(request, slug, order):
    """Immediate feedback on one check: JSON for the page's script, the page itself without it."""
    detail = _lesson_or_404(request.user, slug)
    check = next((c for c in detail.checks if c.order == order), None)
    if check is None:
        if _wants_json(request):
            return json_error("not_found", 404, "This lesson has no such check.")
        raise Http404("No such check.")
    raw = request.POST.get("choice", request.POST.get(f"check-{order}"))
    choice = _choice_index(raw, check)
    if _wants_json(request):
        if choice is None:
            return JsonResponse({"code": "invalid_choice", "message": "Choose one of the answers.",
                                 "details": {"choice": [f"Choose 0-{len(check.choices) - 1}."]}}, status=400)
        return JsonResponse(_feedback(check, choice))
    selected = _selected_answers(request, detail.checks)
    if choice is None:
        messages.error(request, "Choose an answer before checking it.")
        return _render_detail(request, detail, selected=selected, status=400)
    return _render_detail(request, detail, selected=selected, feedback={order: _feedback(check, choice)})


@login_required
@require_POST
def lesson_complete(request, slug):
    """Complete the lesson with the chosen answers (every check, or none)."""
    detail = _lesson_or_404(request.user, slug)
    selected = _selected_answers(request, detail.checks)
    if selected and len(selected) != len(detail.checks):
        messages.error(request, "Answer every check before completing the lesson (or leave them all empty).")
        return _render_detail(request, detail, selected=selected, status=400)
    answers = [selected[check.order] for check in detail.checks] if selected else None
    try:
        completion = services.lesson_complete(user=request.user, lesson=detail.lesson, answers=answers)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return _render_detail(request, detail, selected=selected, status=exc.status_code)
    right = sum(1 for r in completion.results if r.is_correct)
    scored = f" You answered {right} of {len(completion.results)} checks right." if answers else ""
    if completion.newly_completed:
        messages.success(request, f"Lesson complete!{scored} Your {detail.lesson.category.name} progress is updated.")
    else:
        messages.info(request, f"You had already completed this lesson; your best score is kept.{scored}")
    if answers:
        request.session[RESULTS_SESSION_KEY] = {"slug": slug, "answers": answers}
    return redirect(reverse("lessons:detail", args=[slug]) + "#checks")
