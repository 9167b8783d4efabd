from django.urls import path

from progress import views

urlpatterns = [
    path("home/", views.home, name="home"),
    path("progress/", views.progress_page, name="progress"),
]
