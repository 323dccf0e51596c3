"""How an app adds to pages it does not own, without the owner importing it.

- **Navigation**: each app registers, in its `AppConfig.ready()`, a function `items(user)` returning
  the (label, url) entries of its pages that the user may open, with a number for its place in the
  menu. The web shell renders :func:`navigation`; it imports no app.
- **Panels**: an app registers a function `panel(request, obj) -> str` (safe HTML, or "" when it has
  nothing to show) for a slot of another app's page, e.g. ``"case"`` (the case page of casework) or
  ``"property"`` (the property page of the register). The page renders :func:`panels`.
- **Ranking weights**: the app that records outcomes registers a function returning the weights a
  run ranks with (calibrated from decided outcomes, ADR 0009); the runs app asks
  :func:`ranking_weights` and needs no import of it. Without a provider the fixed weights apply.
- **Deadlines**: an app registers a function `provider(user, mine) -> list[DueItem]` giving the dates
  of its own objects the user must act on (a measure's Wiedervorlage, a letter's reply date); the
  Fristen page of casework and its ICS file list them beside the cases' Fristen without importing it.

Registration is idempotent: registering the same function again (e.g. a second `ready()`) keeps one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone
from django.utils.html import conditional_escape

NavItems = Callable[[object], list[tuple[str, str]]]
Panel = Callable[[object, object], str]


@dataclass(frozen=True)
class _Registered:
    order: int
    function: Callable


_navigation: list[_Registered] = []
_panels: dict[str, list[_Registered]] = {}
_ranking_weights: list[Callable[[], dict[str, float] | None]] = []
_deadlines: list[_Registered] = []


@dataclass(frozen=True)
class DueItem:
    """One date a person must act on, from an app other than casework: `kind` (e.g. "Wiedervorlage
    Maßnahme"), `title` (the Aktenzeichen or Hinweis-ID, the only thing the ICS file names besides
    the kind), `url` of the page to act on, `uid` unique and stable for the calendar, `place` (the
    property's address) and `note` for the page only."""

    kind: str
    date: dt.date
    title: str
    url: str
    uid: str
    place: str = ""
    note: str = ""

    @property
    def overdue(self) -> bool:
        return self.date < timezone.localdate()

    @property
    def due_today(self) -> bool:
        return self.date == timezone.localdate()


def _add(entries: list[_Registered], order: int, function: Callable) -> None:
    if any(entry.function is function for entry in entries):
        return
    entries.append(_Registered(order, function))
    entries.sort(key=lambda entry: entry.order)


def register_navigation(order: int, items: NavItems) -> None:
    """Add an app's menu entries; `order` places them (smaller first)."""
    _add(_navigation, order, items)


def register_panel(slot: str, order: int, panel: Panel) -> None:
    """Add a panel to the page slot `slot`; `order` places it among the slot's panels."""
    _add(_panels.setdefault(slot, []), order, panel)


def navigation(user, path: str) -> list[tuple[str, str, bool]]:
    """The main navigation for `user` as (label, url, is current). The current entry is the one whose
    address is the longest prefix of `path`, so /aktionen/pruefliste/ marks "Prüfliste", not also
    "Aktionen" at /aktionen/."""
    if user is None or not user.is_authenticated:
        return []
    items = [item for entry in _navigation for item in entry.function(user)]
    matching = [url for _label, url in items if path == url or (url != "/" and path.startswith(url))]
    current = max(matching, key=len, default=None)
    return [(label, url, url == current) for label, url in items]


def panels(slot: str, request, obj) -> list[str]:
    """The non-empty panels registered for `slot`, in order. Plain strings are escaped, safe HTML kept."""
    found = []
    for entry in _panels.get(slot, []):
        html = entry.function(request, obj)
        if html:
            found.append(conditional_escape(html))
    return found


def register_ranking_weights(provider: Callable[[], dict[str, float] | None]) -> None:
    """Set the function that gives a run's ranking weights (None from it: the fixed weights)."""
    if provider not in _ranking_weights:
        _ranking_weights[:] = [provider]


def ranking_weights() -> dict[str, float] | None:
    """The weights the next run ranks with, or None for the engine's fixed weights."""
    return _ranking_weights[0]() if _ranking_weights else None


def register_deadlines(order: int, provider: Callable[[object, bool], list[DueItem]]) -> None:
    """Add an app's dates to the Fristen page and its ICS file; `provider(user, mine)` returns only
    what the user may see (`mine`: the user's own, else everything the user may see)."""
    _add(_deadlines, order, provider)


def deadlines(user, *, mine: bool = True) -> list[DueItem]:
    """The dates the registered apps give for `user`, in registration order (unsorted)."""
    return [item for entry in _deadlines for item in entry.function(user, mine)]
