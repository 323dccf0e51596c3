from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from missimo.accounts.forms import LoginForm
from missimo.web import views as web_views

admin.site.site_header = "MISSIMO – Verwaltung"
admin.site.site_title = "MISSIMO"

urlpatterns = [
    path("", web_views.start, name="start"),
    path("barrierefreiheit/", web_views.accessibility, name="accessibility"),
    path("filter/speichern/", web_views.save_filter, name="save_filter"),
    path("filter/<int:pk>/loeschen/", web_views.delete_filter, name="delete_filter"),
    path(
        "anmelden/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True, authentication_form=LoginForm),
        name="login",
    ),
    path("abmelden/", auth_views.LogoutView.as_view(), name="logout"),
    path("anmelden/", include("missimo.accounts.urls")),
    path("datenschutz/protokoll/", include("missimo.audit.urls")),
    path("datenschutz/", include("missimo.privacy.urls")),
    path("lieferungen/", include("missimo.imports.urls")),
    path("bescheinigungen/", include("missimo.certificates.urls")),
    path("objekte/", include("missimo.properties.urls")),
    path("aktionen/", include("missimo.casework.urls")),
    path("kontrollen/", include("missimo.inspections.urls")),
    path("ergebnisse/", include("missimo.outcomes.urls")),
    path("berichte/", include("missimo.reports.urls")),
    path("", include("missimo.runs.urls")),
    path("verwaltung/benutzer/", include("missimo.administration.urls")),
    path("verwaltung/", admin.site.urls),
]
