from django.urls import path

from missimo.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("export/<str:fmt>/", views.dashboard_export, name="dashboard_export"),
    path("bericht/", views.report, name="report"),
    path("bericht/<str:fmt>/", views.report_export, name="report_export"),
]
