from django.urls import path

from lessons import views

app_name = "lessons"

# The viewer's actions (start, check, complete) are the progress app's pages, under the same
# lessons/<slug>/ prefix (progress/urls.py).
urlpatterns = [
    path("lessons/", views.lesson_list, name="list"),
    path("lessons/<slug:slug>/", views.lesson_detail, name="detail"),
]
