from rest_framework.routers import SimpleRouter

import controlpanel.api.converters  # noqa: F401  (registers the "rowid" path converter)
from search.api.views import SavedSearchViewSet, SearchViewSet

app_name = "search-api"

# search/ (the search itself), search/history/, search/save/; search/saved/ and search/saved/<id>/[run/].
router = SimpleRouter(use_regex_path=False)  # path() routes: readable names in telemetry and logs
router.register("search/saved", SavedSearchViewSet, basename="saved-search")
router.register("search", SearchViewSet, basename="search")

urlpatterns = router.urls
