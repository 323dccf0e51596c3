"""Entries this app contributes to the main navigation (registered in apps.py, see core.extensions)."""

from __future__ import annotations

from django.urls import reverse

from missimo.accounts import policy
from missimo.accounts.policy import Capability


def items(user) -> list[tuple[str, str]]:
    """(label, url) pairs of this app's pages that `user` may open."""
    entries = []
    if policy.can(user, Capability.TAKE_PART_IN_INSPECTIONS):
        entries.append(("Kontrollen", reverse("inspections:list")))
    if policy.can(user, Capability.WORK_CASES):
        entries.append(("Vermittlungen", reverse("inspections:referrals")))
    return entries
