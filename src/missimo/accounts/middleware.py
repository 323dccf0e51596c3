"""Send users of a personal-data role without a verified second factor to enrolment or to the
code step before any other page."""

from __future__ import annotations

from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse

from missimo.accounts.twofactor import confirmed_device, requires_second_factor

# Pages reachable before the second factor: the two steps themselves, log-out, and the
# public accessibility statement.
EXEMPT_URL_NAMES = {"login", "logout", "accessibility", "two_factor_verify", "two_factor_enrol"}


class TwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        match = request.resolver_match
        if match is not None and match.url_name in EXEMPT_URL_NAMES:
            return None
        if not requires_second_factor(user) or user.is_verified():
            return None
        target = "two_factor_verify" if confirmed_device(user) is not None else "two_factor_enrol"
        query = urlencode({"next": request.get_full_path()}) if request.method == "GET" else ""
        url = reverse(target)
        return redirect(f"{url}?{query}" if query else url)
