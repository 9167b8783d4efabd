from rest_framework.routers import SimpleRouter

from search.api.views import SavedSearchViewSet, SearchViewSet

app_name = "search-api"

# search/ (the search itself), search/history/, search/save/; search/saved/ and search/saved/<id>/[run/].
router = SimpleRouter()
router.register("search/saved", SavedSearchViewSet, basename="saved-search")
router.register("search", SearchViewSet, basename="search")

urlpatterns = router.urls
