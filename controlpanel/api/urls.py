"""``/api/v1/``: each app's router assembled in one place."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from controlpanel.api.schema import ApiDocsView

urlpatterns = [
    path("", include("accounts.api.urls")),
    path("", include("lessons.api.urls")),
    path("", include("progress.api.urls")),
    path("", include("search.api.urls")),
    path("", include("telemetry.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", ApiDocsView.as_view(url_name="schema"), name="docs"),
]
