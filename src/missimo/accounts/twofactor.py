"""The second factor (TOTP app, RFC 6238) for roles that see personal data."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

import segno
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from missimo.accounts import policy

DEVICE_NAME = "Authenticator-App"


def requires_second_factor(user) -> bool:
    """2FA is required for every role that sees personal data (unless the demo turned it off)."""
    return bool(
        getattr(settings, "MISSIMO_REQUIRE_2FA", True)
        and user.is_authenticated
        and policy.handles_personal_data(user)
    )


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()


def pending_device(user) -> TOTPDevice:
    """The not yet confirmed device of an enrolment (created once, so a reload shows the same QR)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// URL as an inline SVG QR code (no script, no external request)."""
    return segno.make(device.config_url, error="m").svg_inline(
        scale=5, title="QR-Code für die Authenticator-App", border=2
    )


def manual_key(device: TOTPDevice) -> str:
    """The secret in base32, in groups of four, for typing into an app without a camera."""
    key = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


# --- recovery codes ----------------------------------------------------------------------------

RECOVERY_CODE_COUNT = 10
# Unambiguous letters and digits (no 0/O, 1/I/L): 10 characters = 50 bits per code.
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_CODE_LENGTH = 10


def _code_hash(salt: str, code: str) -> str:
    return hashlib.sha256(f"missimo/recovery\x00{salt}\x00{code}".encode()).hexdigest()


def normalise_recovery_code(raw: str) -> str:
    """What the user typed, without spaces and dashes, in capitals."""
    return "".join(ch for ch in raw.upper() if ch.isalnum())


def new_recovery_codes(user) -> list[str]:
    """Replace the user's recovery codes by RECOVERY_CODE_COUNT new ones; returns them in plain
    text (to show once; only their hashes are stored)."""
    from missimo.accounts.models import RecoveryCode

    codes = [
        "".join(secrets.choice(_ALPHABET) for _ in range(_CODE_LENGTH)) for _ in range(RECOVERY_CODE_COUNT)
    ]
    with transaction.atomic():
        RecoveryCode.objects.filter(user=user).delete()
        rows = []
        for code in codes:
            salt = secrets.token_hex(16)
            rows.append(RecoveryCode(user=user, salt=salt, code_hash=_code_hash(salt, code)))
        RecoveryCode.objects.bulk_create(rows)
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def use_recovery_code(user, raw: str) -> bool:
    """True if `raw` is one of the user's unused codes; the code is used up (once only, also
    under concurrent requests)."""
    from missimo.accounts.models import RecoveryCode

    code = normalise_recovery_code(raw)
    if len(code) != _CODE_LENGTH:
        return False
    for candidate in RecoveryCode.objects.filter(user=user, used_at__isnull=True):
        if hmac.compare_digest(candidate.code_hash, _code_hash(candidate.salt, code)):
            return bool(
                RecoveryCode.objects.filter(pk=candidate.pk, used_at__isnull=True).update(
                    used_at=timezone.now()
                )
            )
    return False


def remaining_recovery_codes(user) -> int:
    from missimo.accounts.models import RecoveryCode

    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()
