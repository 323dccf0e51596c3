"""Entries this app contributes to the main navigation (registered in apps.py, see core.extensions)."""

from __future__ import annotations

from django.urls import reverse

from missimo.outcomes import letters as letter_work
from missimo.outcomes import services


def items(user) -> list[tuple[str, str]]:
    """(label, url) pairs of this app's pages that `user` may open."""
    entries = []
    if services.may_record(user):
        entries.append(("Ergebnisse", reverse("outcomes:list")))
    if letter_work.may_see_letters(user):
        entries.append(("Schreiben", reverse("outcomes:letters")))
    return entries
