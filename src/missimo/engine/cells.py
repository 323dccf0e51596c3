"""The one formula escaping of MISSIMO: every CSV and XLSX cell the engine (the rejected rows of a
delivery) or the application (`missimo.core.tables`, every export) writes passes through
:func:`escape_cell`.

Formula injection: a text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return would be evaluated by a spreadsheet program; it gets a leading apostrophe. Bidirectional
control characters (a name with U+202E shows reversed text and can hide what a cell says) have no
use in the city's data and are replaced by U+FFFD.
"""

from __future__ import annotations

from typing import Any

__all__ = ["BIDI_CONTROLS", "FORMULA_START", "escape_cell", "neutralise_bidi"]

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_NEUTRAL = str.maketrans(dict.fromkeys(BIDI_CONTROLS, "\ufffd"))


def neutralise_bidi(text: str) -> str:
    """The text with every bidirectional control character replaced by U+FFFD."""
    return text.translate(_NEUTRAL)


def escape_cell(value: Any) -> Any:
    """Text beginning with a formula character gets a leading apostrophe, bidirectional control
    characters are neutralised; other values (numbers, dates, None) are unchanged."""
    if isinstance(value, str):
        value = neutralise_bidi(value)
        if value.startswith(FORMULA_START):
            return "'" + value
    return value
