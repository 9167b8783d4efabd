from rest_framework.routers import SimpleRouter

from progress.api.views import LessonActivityViewSet, ProgressViewSet

app_name = "progress-api"


class ProgressRouter(SimpleRouter):
    """SimpleRouter whose list route also takes PUT (the bulk update of ``progress/``, all or nothing)."""

    routes = [route._replace(mapping={**route.mapping, "put": "bulk_update"}) if route.name == "{basename}-list"
              else route for route in SimpleRouter.routes]


# progress/summary/ and progress/history/ are list-level routes, matched before progress/<category>/.
# lessons/<slug>/start|complete|checks/<order>/ are the completion use case, owned here; the
# lessons app serves the catalog routes (lessons/, lessons/<slug>/) under the same prefix.
router = ProgressRouter(use_regex_path=False)  # path() routes: readable names in telemetry and logs
router.register("progress", ProgressViewSet, basename="progress")
router.register("lessons", LessonActivityViewSet, basename="lesson")

urlpatterns = router.urls
