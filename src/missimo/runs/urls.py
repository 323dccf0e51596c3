from django.urls import path

from missimo.runs import views

app_name = "runs"

urlpatterns = [
    path("abgleich/", views.run_list, name="list"),
    path("abgleich/export.<str:fmt>", views.run_export, name="export"),
    path("abgleich/<int:pk>/", views.run_detail, name="detail"),
    path("abgleich/<int:pk>/stichprobe/", views.run_review, name="review"),
    path("hinweise/", views.hint_list, name="hints"),
    path("hinweise/export.<str:fmt>", views.hint_export, name="hint_export"),
    path("hinweise/<int:pk>/verknuepfung/", views.hint_links, name="links"),
    path("regeln/", views.rule_catalogue, name="rules"),
]
