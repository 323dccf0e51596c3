from django.urls import path

from missimo.imports import views

app_name = "imports"

urlpatterns = [
    path("", views.delivery_list, name="list"),
    path("export.<str:fmt>", views.delivery_export, name="export"),
    path("neu/<str:source>/", views.delivery_new, name="new"),
    path("<int:pk>/", views.delivery_detail, name="detail"),
    path("<int:pk>/abgelehnte-zeilen.csv", views.rejected_download, name="rejected"),
    path("<int:pk>/spaltenzuordnung/", views.delivery_mapping, name="mapping"),
    path("<int:pk>/bestaetigen/", views.delivery_confirm, name="confirm"),
    path("<int:pk>/verwerfen/", views.delivery_discard, name="discard"),
    path("wiederherstellen/<str:source>/", views.delivery_restore, name="restore"),
]
