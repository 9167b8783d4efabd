"""A learner's own data, assembled from every app: the "Download my data" export.

This lives in the project package rather than in accounts because it reads every app
(lessons, progress, search, telemetry) and accounts may import none of them
(accounts ← lessons ← progress, lessons ← search, telemetry reads the others); the project
package already assembles the apps (``controlpanel.api.urls``).

Every section is filtered by the requester alone; nothing takes an id from the request.
"""

import csv
import io

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import serializers as s
from accounts.models import AuthSession, User, UserPreferences
from controlpanel.api.schema import error_responses
from lessons.models import LessonProgress
from progress.models import LearningStreak, ProgressEvent, UserAchievement, UserProgress, WeeklyProgressEmail
from search.models import SavedSearch, SearchHistory
from telemetry.models import ActiveUserDay

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
LESSON_CSV_FIELDS = ["lesson", "title", "category", "status", "mastery", "score", "best_score", "attempts",
                     "time_spent_seconds", "started_at", "completed_at"]


def lesson_rows(*, user: User) -> list[dict]:
    """Every lesson record of ``user`` (any status, any lesson), catalog order."""
    records = (LessonProgress.objects.filter(user=user).select_related("lesson__category")
               .order_by("lesson__category__order", "lesson__difficulty", "lesson__title", "pk"))
    return [{"lesson": r.lesson.slug, "title": r.lesson.title, "category": r.lesson.category.slug,
             "status": r.status, "mastery": r.mastery, "score": r.score, "best_score": r.best_score,
             "attempts": r.attempts, "time_spent_seconds": r.time_spent_seconds,
             "first_answers": r.first_answers, "last_answers": r.last_answers,
             "started_at": r.started_at, "completed_at": r.completed_at} for r in records]


def account_export(*, user: User) -> dict:
    """One JSON-ready document of everything the product holds about ``user``."""
    prefs = UserPreferences.objects.filter(user=user).values(
        "theme", "turbo_default", "preferred_style", "daily_goal_minutes", "time_zone", "weekly_progress_email",
        "updated_at").first()
    streak = LearningStreak.objects.filter(user=user).values("current", "best", "last_day").first()
    return {
        "exported_at": timezone.now(),
        "profile": {"username": user.username, "email": user.email, "first_name": user.first_name,
                    "last_name": user.last_name, "date_joined": user.date_joined, "last_login": user.last_login,
                    "is_staff": user.is_staff},
        "preferences": prefs,
        "sessions": list(AuthSession.objects.filter(user=user).order_by("created_at").values(
            "kind", "created_at", "last_seen_at", "expires_at", "revoked_at", "revoked_reason", "user_agent",
            "client_ip")),
        "lesson_records": lesson_rows(user=user),
        "progress_markers": [{"category": c, "marked": m, "last_updated": t} for c, m, t in
                             UserProgress.objects.filter(user=user).order_by("category__order")
                             .values_list("category__slug", "marked", "last_updated")],
        "progress_history": [{"category": c, "previous": p, "new": n, "source": src, "lesson": lesson, "created_at": t}
                             for c, p, n, src, lesson, t in
                             ProgressEvent.objects.filter(user=user).order_by("created_at", "pk")
                             .values_list("category__slug", "previous", "new", "source", "lesson__slug", "created_at")],
        "streak": streak,
        "badges": [{"code": code, "name": name, "awarded_at": at} for code, name, at in
                   UserAchievement.objects.filter(user=user).order_by("awarded_at")
                   .values_list("achievement__code", "achievement__name", "awarded_at")],
        "weekly_emails": list(WeeklyProgressEmail.objects.filter(user=user).order_by("week_start").values(
            "week_start", "status", "sent_at")),
        "search_history": [{"query": q, "category": c, "results_count": n, "created_at": t} for q, c, n, t in
                           SearchHistory.objects.filter(user=user).order_by("created_at", "pk")
                           .values_list("query", "category__slug", "results_count", "created_at")],
        "saved_searches": [{"name": name, "query": q, "category": c, "turbo": turbo, "created_at": t, "last_run_at": r}
                           for name, q, c, turbo, t, r in
                           SavedSearch.objects.filter(user=user).order_by("created_at", "pk")
                           .values_list("name", "query", "category__slug", "turbo", "created_at", "last_run_at")],
        "activity_days": [{"day": d, "requests": n} for d, n in
                          ActiveUserDay.objects.filter(user_id=user.pk).order_by("day").values_list("day", "requests")],
    }


def lessons_csv(*, user: User) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=LESSON_CSV_FIELDS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in lesson_rows(user=user):
        writer.writerow({k: ("" if v is None else v.isoformat() if hasattr(v, "isoformat") else v)
                         for k, v in row.items()})
    return out.getvalue()


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, str | bytes) else ""


def _csv_response(user: User) -> HttpResponse:
    response = HttpResponse(lessons_csv(user=user), content_type="text/csv; charset=utf-8", headers=NO_STORE)
    response["Content-Disposition"] = 'attachment; filename="controlpanel-progress.csv"'
    return response


class _ErrorsAsJSON:
    """Errors keep the JSON envelope even when the client asked for CSV."""

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return response


class AccountExportView(_ErrorsAsJSON, APIView):
    renderer_classes = [JSONRenderer, CSVRenderer]

    def perform_content_negotiation(self, request, force=False):
        """``?format=csv`` (or ``Accept: text/csv``) gives the CSV; anything else the JSON document."""
        try:
            return super().perform_content_negotiation(request, force)
        except Exception:  # an unknown ?format= or Accept: not a reason to refuse the download
            return JSONRenderer(), JSONRenderer.media_type

    @extend_schema(
        parameters=[OpenApiParameter("format", str, enum=["json", "csv"], required=False,
                                     description="csv: the lesson records as CSV with a header row.")],
        responses={200: OpenApiResponse(s.AccountExportOutputSerializer,
                                        description="Everything the product holds about you (JSON), or your lesson records (CSV)."),
                   **error_responses(401, 429)},
        description="Download your data: profile, preferences, sessions, lesson records, progress, history, "
                    "badges, weekly e-mails, search history and saved searches.", tags=["auth"])
    def get(self, request):
        if request.accepted_renderer.format == "csv":
            return _csv_response(request.user)
        response = Response(account_export(user=request.user), headers=NO_STORE)
        response["Content-Disposition"] = 'attachment; filename="controlpanel-my-data.json"'
        return response

