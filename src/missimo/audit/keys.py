"""The secret key of the keyed audit chain (issue #21).

The key is never stored in a database: whoever can write the audit tables cannot recompute the
MACs of the entries, of the chain head or of the exported checkpoints. It comes from
`MISSIMO_AUDIT_KEY` (or `MISSIMO_AUDIT_KEY_FILE`), else from the file `audit_key` in the data
directory, created once with a random key and file mode 0600.
"""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MIN_KEY_LENGTH = 32


def audit_key() -> bytes:
    """The key of the audit chain's HMAC-SHA256."""
    configured = getattr(settings, "AUDIT_KEY", "")
    if configured:
        return _checked(str(configured), "MISSIMO_AUDIT_KEY")
    return _key_from_file(str(settings.AUDIT_KEY_FILE))


def _checked(key: str, where: str) -> bytes:
    if len(key) < MIN_KEY_LENGTH:
        raise ImproperlyConfigured(
            f"Der Protokollschlüssel aus {where} ist zu kurz (mindestens {MIN_KEY_LENGTH} Zeichen)."
        )
    return key.encode("utf-8")


@lru_cache(maxsize=8)
def _key_from_file(path: str) -> bytes:
    target = Path(path)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        # written completely under a temporary name, then linked: a concurrent reader never sees a
        # half-written key, and of two processes creating it at once the first one wins
        temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as stream:
            stream.write(secrets.token_hex(32))
        try:
            os.link(temporary, target)
        except FileExistsError:
            pass
        finally:
            temporary.unlink(missing_ok=True)
    return _checked(target.read_text(encoding="ascii").strip(), str(target))
