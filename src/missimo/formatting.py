"""Numbers as German users read them, for command-line output, messages and reports."""

from __future__ import annotations


def de_int(number: int) -> str:
    """An integer as Germans write it: 12.345."""
    return f"{number:,}".replace(",", ".")
