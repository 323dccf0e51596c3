from django.conf import settings

from missimo import __version__


def missimo(request):
    return {"city_name": settings.CITY_NAME, "missimo_version": __version__}
