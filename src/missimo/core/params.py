"""Parsing of query and form parameters that name database rows.

A parameter comes from the address bar and may hold anything: letters, Unicode digits that
``str.isdigit`` accepts but ``int`` refuses, or a number beyond the 64-bit range of a primary
key (SQLite raises ``OverflowError`` for it). Such a value names no row: it is ignored.
"""

from __future__ import annotations

import re

_ID = re.compile(r"[0-9]{1,18}")


def row_id(value: object) -> int | None:
    """The positive row id in ``value``, or None if it cannot name a row."""
    if not isinstance(value, str) or not _ID.fullmatch(value.strip()):
        return None
    number = int(value)
    return number if number > 0 else None
