from django.urls import path

from missimo.outcomes import views

app_name = "outcomes"

urlpatterns = [
    path("", views.outcome_list, name="list"),
    path("export.csv", views.export_csv, name="export_csv"),
    path("export.xlsx", views.export_xlsx, name="export_xlsx"),
    path("hinweis/<int:pk>/", views.hint_outcome, name="hint"),
    path("fall/<int:pk>/", views.case_outcome, name="case"),
    path("hinweis/<int:pk>/massnahmen/", views.measure_add, name="measure_add"),
    path("massnahmen/<int:pk>/zuruecknehmen/", views.measure_withdraw, name="measure_withdraw"),
    path("schreiben/", views.letter_list, name="letters"),
    path("schreiben/export.<str:fmt>", views.letter_export, name="letter_export"),
    path("schreiben/neu/<int:case_pk>/", views.letter_new, name="letter_new"),
    path("schreiben/<int:pk>/", views.letter_detail, name="letter"),
    path("schreiben/<int:pk>/bearbeiten/", views.letter_edit, name="letter_edit"),
    path("schreiben/<int:pk>/einreichen/", views.letter_submit, name="letter_submit"),
    path("schreiben/<int:pk>/freigeben/", views.letter_approve, name="letter_approve"),
    path("schreiben/<int:pk>/zurueckweisen/", views.letter_reject, name="letter_reject"),
    path("schreiben/<int:pk>/versandt/", views.letter_sent, name="letter_sent"),
    path("schreiben/<int:pk>/pdf/", views.letter_pdf, name="letter_pdf"),
    path("vorlagen/", views.template_list, name="templates"),
    path("vorlagen/neu/", views.template_edit, name="template_new"),
    path("vorlagen/<int:pk>/", views.template_edit, name="template_edit"),
]
