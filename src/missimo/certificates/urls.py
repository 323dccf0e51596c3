from django.urls import path

from missimo.certificates import views

app_name = "certificates"

urlpatterns = [
    path("", views.index, name="index"),
    path("export.<str:fmt>", views.export, name="export"),
    path("ausstellen/", views.issue, name="issue"),
    path("ausstellen/eingabe/", views.issue_manual, name="manual"),
    path("pruefen/", views.verify, name="verify"),
    path("schluessel/", views.keys, name="keys"),
    path("schluessel.json", views.key_list_json, name="keylist"),
    path("schulen/", views.school_register, name="schools"),
    path("<str:certificate_id>/", views.detail, name="detail"),
    path("<str:certificate_id>/bescheinigung.pdf", views.download, name="pdf"),
    path("<str:certificate_id>/widerrufen/", views.revoke, name="revoke"),
]
