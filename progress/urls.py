from django.urls import path

from progress import email_views, views

urlpatterns = [
    path("home/", views.home, name="home"),
    path("progress/", views.progress_page, name="progress"),
    path("email/unsubscribe/<str:token>/", email_views.unsubscribe, name="weekly-email-unsubscribe"),
]
