"""Entries this app contributes to the main navigation (registered in apps.py, see core.extensions)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from missimo.accounts import policy
from missimo.accounts.policy import Capability
from missimo.certificates.services import may_issue


def items(user) -> list[tuple[str, str]]:
    entries = []
    if may_issue(user):
        entries.append((_("Schulbescheinigungen"), reverse("certificates:index")))
    if policy.can(user, Capability.VERIFY_CERTIFICATES):
        entries.append((_("Schulbescheinigung prüfen"), reverse("certificates:verify")))
    if policy.can(user, Capability.MANAGE_SIGNING_KEYS):
        entries.append((_("Bescheinigungsschlüssel"), reverse("certificates:keys")))
    if policy.can(user, Capability.KEEP_SCHOOL_REGISTER):
        entries.append((_("Schulregister"), reverse("certificates:schools")))
    return entries
