"""Entries this app contributes to the main navigation (see web.context_processors)."""

from __future__ import annotations

from django.urls import reverse


def items(user) -> list[tuple[str, str]]:
    """(label, url) pairs of this app's pages that `user` may open."""
    from missimo.inspections.services import may_use

    if not may_use(user):
        return []
    return [("Kontrollen", reverse("inspections:list"))]
