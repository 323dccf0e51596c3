"""Entries this app contributes to the main navigation (see web.context_processors)."""

from __future__ import annotations

from django.urls import reverse


def items(user) -> list[tuple[str, str]]:
    """(label, url) pairs of this app's pages that `user` may open."""
    from missimo.outcomes import services

    entries = []
    if services.may_record(user):
        entries.append(("Ergebnisse", reverse("outcomes:list")))
    if services.may_see_letters(user):
        entries.append(("Schreiben", reverse("outcomes:letters")))
    return entries
