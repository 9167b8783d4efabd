from django.urls import path

from lessons import views

app_name = "lessons"

urlpatterns = [
    path("lessons/", views.lesson_list, name="list"),
    path("lessons/<slug:slug>/", views.lesson_detail, name="detail"),
    path("lessons/<slug:slug>/start/", views.lesson_start, name="start"),
    path("lessons/<slug:slug>/complete/", views.lesson_complete, name="complete"),
    path("lessons/<slug:slug>/checks/<int:order>/", views.lesson_check, name="check"),
]
