from django.urls import path

from search import views

app_name = "search"

urlpatterns = [
    path("search/", views.search_page, name="index"),
    path("search/save/", views.search_save, name="save"),
    path("search/history/clear/", views.history_clear, name="history-clear"),
    path("search/saved/<int:saved_id>/", views.saved_run, name="saved-run"),
    path("search/saved/<int:saved_id>/delete/", views.saved_delete, name="saved-delete"),
]
