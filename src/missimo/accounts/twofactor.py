"""The second factor (TOTP app, RFC 6238) for roles that see personal data."""

from __future__ import annotations

import base64

import segno
from django.conf import settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from missimo.accounts.roles import ROLES_WITH_PERSONAL_DATA

DEVICE_NAME = "Authenticator-App"


def requires_second_factor(user) -> bool:
    """2FA is required for every role that sees personal data (unless the demo turned it off)."""
    return bool(
        getattr(settings, "MISSIMO_REQUIRE_2FA", True)
        and user.is_authenticated
        and user.has_role(*ROLES_WITH_PERSONAL_DATA)
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
