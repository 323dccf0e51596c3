"""Entries this app contributes to the main navigation (see web.context_processors)."""

from __future__ import annotations

from django.urls import reverse


def items(user) -> list[tuple[str, str]]:
    """(label, url) pairs of this app's pages that `user` may open."""
    from missimo.reports import services

    entries: list[tuple[str, str]] = []
    if services.may_see_dashboard(user):
        entries.append(("Übersicht", reverse("reports:dashboard")))
    if services.may_see_reports(user):
        entries.append(("Berichte", reverse("reports:report")))
    return entries
