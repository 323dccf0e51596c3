from django.urls import path

from missimo.casework import handover_views, views

app_name = "casework"

urlpatterns = [
    path("", views.campaign_list, name="campaigns"),
    path("export.<str:fmt>", views.campaign_export, name="campaign_export"),
    path("neu/", views.campaign_create, name="campaign_create"),
    path("<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("<int:pk>/objekte/", views.campaign_select, name="campaign_select"),
    path("pruefliste/", views.hint_queue, name="hint_queue"),
    path("pruefliste/export.<str:fmt>", views.hint_queue_export, name="hint_queue_export"),
    path("pruefliste/<int:pk>/", views.hint_review, name="hint_review"),
    path("pruefliste/vorschlagen/", views.hint_review_bulk, name="hint_review_bulk"),
    path("faelle/", views.case_list, name="cases"),
    path("faelle/meine/", views.my_cases, name="my_cases"),
    path("faelle/export.<str:fmt>", views.case_export, name="case_export"),
    path("faelle/zuweisen/", views.case_assign, name="case_assign"),
    path("faelle/team/", views.caseload, name="caseload"),
    path("faelle/team/export.<str:fmt>", views.caseload_export, name="caseload_export"),
    path("faelle/neu/", views.case_create, name="case_create"),
    path("faelle/<int:pk>/", views.case_detail, name="case_detail"),
    path("faelle/<int:pk>/status/", views.case_transition, name="case_transition"),
    path("faelle/<int:pk>/bearbeiten/", views.case_edit, name="case_edit"),
    path("fristen/", views.deadlines, name="deadlines"),
    path("fristen.ics", views.deadlines_ics, name="deadlines_ics"),
    path("faelle/<int:pk>/abgabe/", handover_views.handover_request, name="handover_request"),
    path("abgaben/<int:pk>/entscheiden/", handover_views.handover_decide, name="handover_decide"),
    path("abgegeben/", handover_views.handed_over_list, name="handed_over"),
    path("abgegeben/<int:pk>/", handover_views.handed_over_detail, name="handed_over_detail"),
]
