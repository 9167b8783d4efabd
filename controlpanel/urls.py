from django.contrib import admin
from django.urls import include, path

from controlpanel import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("controlpanel.api.urls")),
    path("", include("telemetry.urls")),
    path("", include("accounts.urls")),
    path("", include("lessons.urls")),
    path("", include("progress.urls")),
    path("", include("search.urls")),
    path("", include("telemetry.page_urls")),
]

handler400 = "controlpanel.views.handler400"
handler403 = "controlpanel.views.handler403"
handler404 = "controlpanel.views.handler404"
handler500 = "controlpanel.views.handler500"
