app_name = "progress-api"

urlpatterns: list = []
