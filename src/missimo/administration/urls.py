from django.urls import path

from missimo.administration import views

app_name = "administration"

urlpatterns = [
    path("", views.user_list, name="users"),
    path("neu/", views.user_create, name="user_create"),
    path("<int:pk>/", views.user_detail, name="user_detail"),
    path("<int:pk>/entsperren/", views.user_unlock, name="user_unlock"),
    path("<int:pk>/zweiter-faktor/", views.user_reset_second_factor, name="user_reset_second_factor"),
    path("<int:pk>/aktiv/", views.user_set_active, name="user_set_active"),
]
