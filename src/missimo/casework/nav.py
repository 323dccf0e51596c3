"""Entries this app contributes to the main navigation (see web.context_processors)."""

from __future__ import annotations

from django.urls import reverse


def items(user) -> list[tuple[str, str]]:
    """(label, url) pairs of this app's pages that `user` may open."""
    from missimo.casework import services

    entries: list[tuple[str, str]] = []
    if services.may_work_cases(user):
        entries.append(("Aktionen", reverse("casework:campaigns")))
    if services.may_review_hints(user):
        entries.append(("Prüfliste", reverse("casework:hint_queue")))
    if services.may_work_cases(user):
        entries.append(("Meine Fälle", reverse("casework:my_cases")))
    return entries
