"""Entries this app contributes to the main navigation (see web.context_processors)."""

from __future__ import annotations


def items(user) -> list[tuple[str, str]]:
    """(label, url) pairs of this app's pages that `user` may open."""
    return []
