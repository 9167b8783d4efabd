"""``/api/v1/``: each app's router assembled in one place, every view under the API's one request rule."""

from django.urls import include, path

from controlpanel.api.contract import serve_with_contract
from controlpanel.api.schema import ApiDocsView, ApiSchemaView

urlpatterns = serve_with_contract([
    path("", include("accounts.api.urls")),
    path("", include("lessons.api.urls")),
    path("", include("progress.api.urls")),
    path("", include("search.api.urls")),
    path("", include("telemetry.api.urls")),
])
urlpatterns += [
    path("schema/", ApiSchemaView.as_view(), name="schema"),
    path("docs/", ApiDocsView.as_view(url_name="schema"), name="docs"),
]
