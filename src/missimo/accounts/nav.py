"""Entries this app contributes to the main navigation (registered in apps.py, see core.extensions)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _


def administration(user) -> list[tuple[str, str]]:
    """Django's administration, for staff accounts (the city's Administration)."""
    return [(_("Benutzerverwaltung"), reverse("admin:index"))] if user.is_staff else []
