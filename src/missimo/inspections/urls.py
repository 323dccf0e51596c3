from django.urls import path

from missimo.inspections import referral_views, views

app_name = "inspections"

urlpatterns = [
    path("", views.inspection_list, name="list"),
    path("export.<str:fmt>", views.inspection_export, name="export"),
    path("planen/", views.plan, name="plan"),
    path("kalender.ics", views.calendar_ics, name="calendar"),
    path("kalender/<str:token>/kontrollen.ics", views.calendar_feed, name="calendar_feed"),
    path("<int:pk>/", views.inspection_detail, name="detail"),
    path("<int:pk>/absagen/", views.cancel, name="cancel"),
    path("<int:pk>/aendern/", views.replan, name="replan"),
    path("objekt/<int:pk>/protokoll/", views.protocol, name="protocol"),
    path("objekt/<int:pk>/speichern/", views.save, name="save"),
    path("objekt/<int:pk>/wohnung/<int:household_pk>/", views.household_state, name="household_state"),
    path("objekt/<int:pk>/wohnung/", views.add_household, name="add_household"),
    path("objekt/<int:pk>/foto/", views.upload_photo, name="upload_photo"),
    path("objekt/<int:pk>/abschliessen/", views.complete, name="complete"),
    path("foto/<int:pk>/", views.photo, name="photo"),
    path("fall/<int:pk>/vermittlung/", referral_views.referral_add, name="referral_add"),
    path("vermittlungen/", referral_views.referral_list, name="referrals"),
    path("vermittlung/<int:pk>/", referral_views.referral_move, name="referral_move"),
]
