app_name = "lessons-api"

urlpatterns: list = []
