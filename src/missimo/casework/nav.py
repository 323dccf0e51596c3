"""Entries this app contributes to the main navigation (registered in apps.py, see core.extensions)."""

from __future__ import annotations

from django.urls import reverse

from missimo.accounts import policy
from missimo.accounts.policy import Capability


def items(user) -> list[tuple[str, str]]:
    """(label, url) pairs of this app's pages that `user` may open."""
    entries: list[tuple[str, str]] = []
    if policy.can(user, Capability.WORK_CASES):
        entries.append(("Aktionen", reverse("casework:campaigns")))
    if policy.can(user, Capability.REVIEW_HINTS):
        entries.append(("Prüfliste", reverse("casework:hint_queue")))
    if policy.can(user, Capability.WORK_CASES):
        entries.append(("Meine Fälle", reverse("casework:my_cases")))
        entries.append(("Fristen", reverse("casework:deadlines")))
    if policy.can(user, Capability.SEE_HANDED_OVER_CASES):
        entries.append(("Abgegebene Prüffälle", reverse("casework:handed_over")))
    return entries
