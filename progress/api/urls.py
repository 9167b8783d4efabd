from rest_framework.routers import SimpleRouter

from progress.api.views import ProgressViewSet

app_name = "progress-api"

# progress/summary/ and progress/history/ are list-level routes, matched before progress/<category>/.
router = SimpleRouter(use_regex_path=False)  # path() routes: readable names in telemetry and logs
router.register("progress", ProgressViewSet, basename="progress")

urlpatterns = router.urls
