"""Files in the data directory (`MISSIMO_DATA_DIR`): stored deliveries, snapshots, run results,
photos. Never served by the web server."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings


def data_path(relative: str) -> Path:
    """Absolute path of a file in the data directory, refusing anything that escapes it."""
    base = Path(settings.DATA_DIR).resolve()
    path = (base / relative).resolve()
    if base not in path.parents:
        raise ValueError("path outside the data directory")
    return path
