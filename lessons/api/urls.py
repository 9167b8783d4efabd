from rest_framework.routers import SimpleRouter

from lessons.api.views import LessonViewSet

app_name = "lessons-api"

# SimpleRouter lists list-level actions (lessons/recommendations/) before the detail route
# (lessons/<slug>/), so "recommendations" is never read as a lesson slug.
router = SimpleRouter(use_regex_path=False)  # path() routes: readable names in telemetry and logs
router.register("lessons", LessonViewSet, basename="lesson")

urlpatterns = router.urls
