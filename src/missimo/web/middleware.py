"""Requests that no view should see."""

from __future__ import annotations

from django.core.exceptions import BadRequest
from django.utils.cache import patch_cache_control

from missimo.core.tables import BIDI_CONTROLS, neutralise_bidi


class RejectNulCharactersMiddleware:
    """Refuse query parameters with a NUL character (400 with the German error page).

    No search or filter needs one, and PostgreSQL refuses NUL in text, so a NUL that reached a
    query would end as a server error. Form fields are already guarded by Django's
    ``ProhibitNullCharactersValidator``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        for key, values in request.GET.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                raise BadRequest("NUL character in a query parameter")
        return self.get_response(request)


class GermanUnlessChosenMiddleware:
    """German for everybody: the browser's Accept-Language is dropped before LocaleMiddleware reads
    it (the application is German only; settings.LANGUAGES has no other language, so a language
    cookie left from an earlier version selects nothing else either)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)


class NoStoreForSignedInUsersMiddleware:
    """`Cache-Control: no-store, private` on every response to a signed-in user (issue #21): hint
    lists, exports and letters must not stay in a browser's or proxy's cache after log-out."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, no_store=True, private=True)
        return response


_BIDI_BYTES = tuple(character.encode("utf-8") for character in BIDI_CONTROLS)


class NeutraliseBidiControlsMiddleware:
    """Replace bidirectional control characters (U+202E "right-to-left override" and its kin) in
    every HTML and CSV page by U+FFFD (issue #21): an imported name cannot reverse what a page shows."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        content_type = response.get("Content-Type", "")
        if getattr(response, "streaming", False) or not content_type.startswith(("text/html", "text/csv")):
            return response
        if any(marker in response.content for marker in _BIDI_BYTES):
            response.content = neutralise_bidi(response.content.decode(response.charset)).encode(
                response.charset
            )
        return response
