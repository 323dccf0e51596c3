"""Entries this app contributes to the main navigation (registered in apps.py, see core.extensions)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from missimo.accounts import policy


def items(user) -> list[tuple[str, str]]:
    return [(_("Datenlieferungen"), reverse("imports:list"))] if policy.delivery_sources(user) else []
