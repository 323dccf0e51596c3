from django.contrib.auth.decorators import login_not_required
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.i18n import set_language

from missimo.accounts import policy, twofactor
from missimo.core import extensions


@require_GET
def start(request):
    """The start page: who is logged in, for which agency, with which roles, and the own second factor."""

    return render(
        request,
        "web/start.html",
        {
            "roles": policy.role_labels(request.user),
            "second_factor": twofactor.confirmed_device(request.user) is not None,
            "panels": extensions.panels("start", request, None),
        },
    )


@login_not_required
@require_GET
def accessibility(request):
    """Erklärung zur Barrierefreiheit (BITV 2.0 / EU-Richtlinie 2016/2102)."""
    return render(request, "web/barrierefreiheit.html")


# The language cookie is the only way to English (see GermanUnlessChosenMiddleware); it may be
# chosen before logging in. Django's view changes state only on POST.
choose_language = login_not_required(set_language)
