"""Lesson pages: the catalog with filters and the lesson viewer.

Reads go through ``lessons.selectors``, exactly as the API does. A learner's work on a lesson
(start, check an answer, complete) is posted to the progress app's pages (progress.views),
which render this viewer again through ``render_lesson_detail``.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from lessons import selectors
from lessons.filters import LessonFilterSet
from lessons.models import Lesson, LessonProgress

LESSONS_PER_PAGE = 24
STATUS_LABELS = dict(LessonProgress.Status.choices)
MASTERY_LABELS = dict(LessonProgress.Mastery.choices)
STYLE_LABELS = dict(Lesson.Style.choices)


def lesson_or_404(user, slug: str):
    try:
        return selectors.lesson_detail(user=user, slug=slug)
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
    filterset = LessonFilterSet(request.GET or None, queryset=selectors.lesson_list(user=request.user))
    lessons, filtered, status = filterset.qs, False, 200
    if filterset.is_bound:
        if filterset.is_valid():
            filtered = any(v not in (None, "") for v in filterset.form.cleaned_data.values())
        else:  # the whole list, unfiltered, with a word on what was not understood
            lessons, status = filterset.queryset, 400
            messages.error(request, "Some filters were not recognised and are ignored: "
                           + ", ".join(filterset.form.fields[name].label for name in filterset.errors) + ".")
    page = Paginator(lessons, LESSONS_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = [_row(lesson) for lesson in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filter_form": filterset.form,
        "page_obj": page,
        "filtered": filtered,
        "query_string": query.urlencode(),
    }
    return render(request, "lessons/list.html", context, status=status)


def _category_progress(user, lesson) -> dict:
    """Counted completions of the lesson's category out of its published lessons (the bars' figure)."""
    done, total = selectors.category_completion(user=user, category=lesson.category)
    return {"progress": done, "total": total, "percent": round(100 * done / total, 1) if total else 0.0}


SCORING_RULE = ("Your score is your first complete attempt, counting your first answer to each check. "
                "You can retry as often as you like: retries show your best and can master the lesson, "
                "but never change that first score.")


def _percent(value: float | None) -> int | None:
    return None if value is None else round(100 * value)


def render_lesson_detail(request, detail, *, selected: dict[int, int] | None = None,
                         feedback: dict[int, dict] | None = None, status: int = 200):
    """The lesson page. Attempted checks show the learner's answers, the right one and why;
    ``feedback`` (instant check results) and ``selected`` (choices to keep ticked) come from a post."""
    selected = selected or {}
    feedback = feedback or {}
    record = detail.record
    checks = []
    for check in detail.checks:
        attempt = detail.attempt(check)
        shown = attempt.last_answer if attempt and attempt.last_answer is not None else None
        checks.append({
            "order": check.order,
            "question": check.question,
            "choice_list": [{"index": i, "text": text, "selected": selected.get(check.order, shown) == i}
                            for i, text in enumerate(check.choices)],
            "feedback": feedback.get(check.order),
            "attempt": None if attempt is None else {
                **vars(attempt), "answer_text": check.choices[check.answer],
                "first_text": check.choices[attempt.first_answer] if attempt.first_answer < len(check.choices) else "",
            },
        })
    prerequisites = [
        {"slug": p.slug, "title": p.title, "status": "completed" if p.completed else "not_started",
         "status_label": "Completed" if p.completed else "Not completed"}
        for p in detail.prerequisites
    ]
    context = {
        "lesson": detail.lesson,
        "status": detail.status,
        "status_label": STATUS_LABELS.get(detail.status, detail.status),
        "mastery": detail.mastery,
        "mastery_label": MASTERY_LABELS.get(detail.mastery, detail.mastery),
        "record": record,
        "score_percent": _percent(record.score) if record else None,
        "best_percent": _percent(record.best_score) if record else None,
        "scoring_rule": SCORING_RULE,
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
    return render_lesson_detail(request, lesson_or_404(request.user, slug))
