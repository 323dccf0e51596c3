from django.urls import path

from missimo.properties import views

app_name = "properties"

urlpatterns = [
    path("", views.property_list, name="list"),
    path("export.csv", views.export_csv, name="export_csv"),
    path("export.xlsx", views.export_xlsx, name="export_xlsx"),
    path("karte.json", views.map_data, name="map_data"),
    path("<int:pk>/", views.property_detail, name="detail"),
    path("objekt-id/<path:objekt_id>/", views.property_by_objekt, name="by_objekt"),
    path("<int:pk>/bearbeiten/", views.property_edit, name="edit"),
    path("<int:pk>/massnahmen/", views.measure_add, name="measure_add"),
]
