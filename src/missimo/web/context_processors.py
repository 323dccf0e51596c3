from django.conf import settings

from missimo import __version__
from missimo.core import extensions


def missimo(request):
    user = getattr(request, "user", None)
    return {
        "city_name": settings.CITY_NAME,
        "missimo_version": __version__,
        "navigation": extensions.navigation(user, request.path),
        "oidc_enabled": settings.OIDC_ENABLED,
    }
