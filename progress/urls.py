from django.urls import path

from progress import email_views, views

urlpatterns = [
    path("home/", views.home, name="home"),
    path("progress/", views.progress_page, name="progress"),
    path("email/unsubscribe/<str:token>/", email_views.unsubscribe, name="weekly-email-unsubscribe"),
    path("lessons/<slug:slug>/start/", views.lesson_start, name="lesson-start"),
    path("lessons/<slug:slug>/complete/", views.lesson_complete, name="lesson-complete"),
    path("lessons/<slug:slug>/checks/<int:order>/", views.lesson_check, name="lesson-check"),
]
