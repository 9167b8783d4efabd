app_name = "search-api"

urlpatterns: list = []
