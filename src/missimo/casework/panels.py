"""Sections other apps add to the case page without editing casework: each module named in
CASE_PANEL_PROVIDERS that exists provides `case_panel(request, case) -> str` (safe HTML, may be "")."""

from __future__ import annotations

import logging
from importlib import import_module

from django.utils.html import conditional_escape

log = logging.getLogger(__name__)

CASE_PANEL_PROVIDERS = ("missimo.inspections.panels", "missimo.outcomes.panels")


def _provider(name: str):
    try:
        return import_module(name)
    except ModuleNotFoundError as missing:
        if missing.name and name.startswith(missing.name):
            return None  # the app has no panel (yet)
        raise


def case_panels(request, case, providers=CASE_PANEL_PROVIDERS) -> list[str]:
    """The non-empty panels of every provider, in order. Plain strings are escaped, safe HTML kept."""
    panels = []
    for name in providers:
        module = _provider(name)
        function = getattr(module, "case_panel", None) if module is not None else None
        if function is None:
            continue
        html = function(request, case)
        if html:
            panels.append(conditional_escape(html))
    return panels
