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


# --- the Ed25519 key of the exported checkpoints --------------------------------------------------
# The HMAC key must be handed to whoever runs `missimo audit verify`, and whoever holds it could
# compute MACs of forged checkpoints. The exported checkpoints are therefore also signed with an
# Ed25519 key: verifying needs only the public key (pinned with MISSIMO_AUDIT_PUBLIC_KEY, e.g. in
# the data-protection officer's records), so holders of the HMAC key or of the database cannot
# forge a checkpoint.


def signing_key():
    """The private Ed25519 key of the checkpoints (file `audit_signing_key` in the data directory,
    created once with mode 0600; another path with MISSIMO_AUDIT_SIGNING_KEY_FILE)."""
    return _signing_key_from_file(str(settings.AUDIT_SIGNING_KEY_FILE))


@lru_cache(maxsize=8)
def _signing_key_from_file(path: str):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    target = Path(path)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(pem)
        try:
            os.link(temporary, target)
        except FileExistsError:
            pass
        finally:
            temporary.unlink(missing_ok=True)
    key = serialization.load_pem_private_key(target.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ImproperlyConfigured(f"{target} enthält keinen Ed25519-Schlüssel.")
    return key


def public_key_text(private=None) -> str:
    """The public key as base64 of its 32 raw bytes (the form of MISSIMO_AUDIT_PUBLIC_KEY)."""
    import base64

    from cryptography.hazmat.primitives import serialization

    public = (private or signing_key()).public_key()
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def verifying_key():
    """The public key checkpoints are verified with: the pinned MISSIMO_AUDIT_PUBLIC_KEY, else the
    one of the signing key (then a replaced signing key file is not noticed: pin the key)."""
    import base64

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    pinned = str(getattr(settings, "AUDIT_PUBLIC_KEY", "") or "")
    if pinned:
        try:
            return Ed25519PublicKey.from_public_bytes(base64.b64decode(pinned, validate=True))
        except ValueError:
            raise ImproperlyConfigured(
                "MISSIMO_AUDIT_PUBLIC_KEY ist kein Ed25519-Schlüssel (Base64 von 32 Bytes)."
            ) from None
    return signing_key().public_key()
