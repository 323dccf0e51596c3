"""Entries this app contributes to the main navigation (registered in apps.py, see core.extensions)."""

from __future__ import annotations

from django.urls import reverse

from missimo.accounts import policy
from missimo.accounts.policy import Capability


def items(user) -> list[tuple[str, str]]:
    """(label, url) pairs of this app's pages that `user` may open."""
    if not policy.can(user, Capability.TAKE_PART_IN_INSPECTIONS):
        return []
    return [("Kontrollen", reverse("inspections:list"))]
