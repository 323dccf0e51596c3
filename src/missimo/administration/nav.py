"""Entries this app contributes to the main navigation (registered in apps.py, see core.extensions)."""

from __future__ import annotations

from django.urls import reverse

from missimo.accounts import policy
from missimo.accounts.policy import Capability


def items(user) -> list[tuple[str, str]]:
    if policy.can(user, Capability.ADMINISTER_ACCOUNTS):
        return [("Benutzerverwaltung", reverse("administration:users"))]
    return []
