from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.urls import path

from missimo.accounts import views

urlpatterns = [
    path("zwei-faktor/einrichten/", views.two_factor_enrol, name="two_factor_enrol"),
    path("zwei-faktor/code/", views.two_factor_verify, name="two_factor_verify"),
    path("zwei-faktor/wiederherstellung/", views.two_factor_recovery_codes, name="two_factor_recovery_codes"),
]

if settings.OIDC_ENABLED:
    from mozilla_django_oidc import views as oidc_views

    urlpatterns += [
        path(
            "oidc/callback/",
            login_not_required(oidc_views.OIDCAuthenticationCallbackView.as_view()),
            name="oidc_authentication_callback",
        ),
        path(
            "oidc/start/",
            login_not_required(oidc_views.OIDCAuthenticationRequestView.as_view()),
            name="oidc_authentication_init",
        ),
    ]
