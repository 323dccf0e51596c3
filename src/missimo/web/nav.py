"""The shell's own menu entry (registered in apps.py, see core.extensions)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _


def items(user) -> list[tuple[str, str]]:
    return [(_("Start"), reverse("start"))]
