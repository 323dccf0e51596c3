from importlib import import_module

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from missimo import __version__
from missimo.audit.services import may_read_audit_log
from missimo.privacy.services import may_see_privacy_reports

# Apps that contribute navigation entries through a `nav.items(user)` function, in menu order.
NAVIGATION_PROVIDERS = (
    "missimo.casework.nav",
    "missimo.inspections.nav",
    "missimo.outcomes.nav",
    "missimo.reports.nav",
)


def _navigation(user, path: str) -> list[tuple[str, str, bool]]:
    """Main navigation: only pages that exist and that this user may open."""
    if not user.is_authenticated:
        return []
    from missimo.certificates.services import may_issue, may_manage_keys, may_verify
    from missimo.imports.services import sources_for
    from missimo.properties.services import may_see_register
    from missimo.runs.services import may_see_runs

    items = [(_("Start"), reverse("start"))]
    if sources_for(user):
        items.append((_("Datenlieferungen"), reverse("imports:list")))
    if may_see_runs(user):
        items.append((_("Hinweise"), reverse("runs:hints")))
        items.append((_("Abgleich"), reverse("runs:list")))
    if may_see_register(user):
        items.append((_("Immobilienkataster"), reverse("properties:list")))
    for module in NAVIGATION_PROVIDERS:
        items.extend(import_module(module).items(user))
    if may_issue(user):
        items.append((_("Schulbescheinigungen"), reverse("certificates:index")))
    if may_verify(user):
        items.append((_("Schulbescheinigung prüfen"), reverse("certificates:verify")))
    if may_manage_keys(user):
        items.append((_("Bescheinigungsschlüssel"), reverse("certificates:keys")))
    if may_read_audit_log(user):
        items.append((_("Protokoll"), reverse("audit:log")))
    if may_see_privacy_reports(user):
        items.append((_("Fairnessbericht"), reverse("privacy:fairness")))
        items.append((_("Auskunft Art. 15"), reverse("privacy:art15")))
    items.append((_("Regelkatalog"), reverse("runs:rules")))
    if user.is_staff:
        items.append((_("Benutzerverwaltung"), reverse("admin:index")))
    # The current entry is the one whose address is the longest prefix of the path, so that
    # /aktionen/pruefliste/ marks "Prüfliste", not also "Aktionen" at /aktionen/.
    matching = [url for _label, url in items if path == url or (url != "/" and path.startswith(url))]
    current = max(matching, key=len, default=None)
    return [(label, url, url == current) for label, url in items]


def missimo(request):
    user = getattr(request, "user", None)
    return {
        "city_name": settings.CITY_NAME,
        "missimo_version": __version__,
        "navigation": _navigation(user, request.path) if user is not None else [],
        "oidc_enabled": settings.OIDC_ENABLED,
    }
