"""Entries this app contributes to the main navigation (registered in apps.py, see core.extensions)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from missimo.accounts import policy
from missimo.accounts.policy import Capability


def items(user) -> list[tuple[str, str]]:
    return [(_("Protokoll"), reverse("audit:log"))] if policy.can(user, Capability.READ_AUDIT_LOG) else []
