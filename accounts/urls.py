from django.urls import include, path

from accounts import deletion_views, recovery_views, verification_views, views

# The landing page keeps its project-wide name ("landing"); the account pages are "accounts:…".
account_patterns = [
    path("login/", views.PageLoginView.as_view(), name="login"),
    path("register/", views.register, name="register"),
    path("logout/", views.logout_view, name="logout"),
    path("account/", views.profile, name="profile"),
    path("account/password/", views.password, name="password"),
    path("account/sessions/", views.sessions, name="sessions"),
    path("account/sessions/revoke-others/", views.sessions_revoke_others, name="sessions-revoke-others"),
    path("account/sessions/<uuid:session_id>/revoke/", views.session_revoke, name="session-revoke"),
    path("account/delete/", deletion_views.account_delete_page, name="delete"),
    path("password/reset/", recovery_views.password_reset_request, name="password-reset"),
    path("password/reset/sent/", recovery_views.password_reset_sent, name="password-reset-sent"),
    path("password/reset/<str:uidb64>/<str:token>/", recovery_views.password_reset_confirm, name="password-reset-confirm"),
    path("account/email/", verification_views.email_change, name="email"),
    path("account/email/verify/<str:token>/", verification_views.email_verify, name="email-verify"),
]

urlpatterns = [
    path("", views.landing, name="landing"),
    path("", include((account_patterns, "accounts"))),
]
