from django.urls import path

from missimo.privacy import views

app_name = "privacy"

urlpatterns = [
    path("fairness/", views.fairness, name="fairness"),
    path("auskunft/", views.art15, name="art15"),
]
