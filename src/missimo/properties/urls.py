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
    path("<int:pk>/eigentuemer/", views.owner_assign, name="owner_assign"),
    path("<int:pk>/beschwerden/", views.complaint_add, name="complaint_add"),
    path("eigentuemer/<int:pk>/", views.owner_detail, name="owner_detail"),
    path("<int:pk>/massnahmen/<int:measure_pk>/lenkungskreis/", views.measure_decide, name="measure_decide"),
]
