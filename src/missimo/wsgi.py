import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "missimo.settings")
application = get_wsgi_application()

# Load the URLconf (and with it every view module) when a worker starts, not on the first request
# a user makes: the engine's imports take seconds.
from django.urls import get_resolver  # noqa: E402

get_resolver().url_patterns  # noqa: B018
