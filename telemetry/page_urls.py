"""Staff dashboard pages (the telemetry app's own routes, /metrics and the API, live elsewhere)."""

from django.urls import path

from progress import staff_views
from telemetry import views

app_name = "staff"

urlpatterns = [
    path("staff/", views.staff_index, name="index"),
    path("staff/system/", views.system_live, name="system"),
    path("staff/system/live.json", views.system_live_data, name="system-live"),
    path("staff/system/marks/", views.release_mark_add, name="mark-add"),
    path("staff/system/marks/<int:mark_id>/", views.release_mark_compare, name="mark-compare"),
    path("staff/alerts/", views.alert_log, name="alerts"),
    path("staff/reports/", views.report_list, name="reports"),
    path("staff/reports/generate/", views.report_generate, name="report-generate"),
    path("staff/reports/<int:report_id>/", views.report_detail, name="report"),
    path("staff/reports/<int:report_id>/download/<str:fmt>/", views.report_download, name="report-download"),
    path("staff/learners/", staff_views.learner_search, name="learners"),
    path("staff/learners/<int:user_id>/", staff_views.learner_detail, name="learner"),
    path("staff/learners/<int:user_id>/sessions/<uuid:session_id>/revoke/", staff_views.learner_session_revoke,
         name="learner-session-revoke"),
]
