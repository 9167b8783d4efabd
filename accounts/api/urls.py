from django.urls import path

from accounts.api import recovery_views, verification_views, views
from controlpanel import account_data  # the export reads every app; see its docstring

app_name = "accounts-api"

urlpatterns = [
    path("auth/register/", views.RegisterView.as_view(), name="register"),
    path("auth/login/", views.LoginView.as_view(), name="login"),
    path("auth/refresh/", views.RefreshView.as_view(), name="refresh"),
    path("auth/logout/", views.LogoutView.as_view(), name="logout"),
    path("auth/me/", views.MeView.as_view(), name="me"),
    path("auth/me/export/", account_data.AccountExportView.as_view(), name="me-export"),
    path("auth/sessions/", views.SessionListView.as_view(), name="sessions"),
    path("auth/sessions/<uuid:session_id>/", views.SessionDetailView.as_view(), name="session-detail"),
    path("auth/password/", views.PasswordChangeView.as_view(), name="password"),
    path("auth/password/reset/", recovery_views.PasswordResetView.as_view(), name="password-reset"),
    path("auth/password/reset/confirm/", recovery_views.PasswordResetConfirmView.as_view(), name="password-reset-confirm"),
    path("auth/email/", verification_views.EmailChangeView.as_view(), name="email"),
    path("auth/email/verify/", verification_views.EmailVerifyView.as_view(), name="email-verify"),
    path("config/user/", views.UserConfigView.as_view(), name="config-user"),
    path("config/system/", views.SystemConfigView.as_view(), name="config-system"),
]
