"""Signed, minimal payloads of Schulbescheinigungen, and their verification.

Pure functions without Django: the web application and the offline command line
(`missimo certificate verify FILE --keys KEYLIST.json`) check a certificate the same way, from
the payload and a published key list alone.

A token is ``MISSIMO-SB1:`` followed by base64url (no padding) of the 64-byte Ed25519 signature
and then the signed message: compact JSON with sorted keys (the canonical form; anything else
is refused). The message holds only what a verifier must compare:

    v   format version (1)          id  certificate id       kid  key id
    sn  Schulnummer                 nn  Nachname              vn   Vorname
    gd  Geburtsdatum (JJJJ-MM-TT)   sj  Schuljahr (2026/27)   ad   ausgestellt am
    bis gültig bis
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import zlib
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PREFIX = "MISSIMO-SB1:"
FORMAT_VERSION = 1
KEYLIST_FORMAT = "missimo-schulbescheinigung-schluessel"
SIGNATURE_BYTES = 64
FIELDS = ("ad", "bis", "gd", "id", "kid", "nn", "sj", "sn", "v", "vn")
TOKEN_PATTERN = re.compile(re.escape(PREFIX).encode() + rb"[A-Za-z0-9_-]{20,}")

LABELS = {
    "id": "Bescheinigungsnummer",
    "nn": "Nachname",
    "vn": "Vorname",
    "gd": "Geburtsdatum",
    "sn": "Schulnummer",
    "sj": "Schuljahr",
    "ad": "ausgestellt am",
    "bis": "gültig bis",
    "kid": "Schlüssel",
}

MESSAGES = {
    "valid": "Die Schulbescheinigung ist gültig.",
    "unreadable": "Der Inhalt ist keine Schulbescheinigung von MISSIMO oder ist unvollständig "
    "(kein lesbarer QR-Inhalt).",
    "no_qr": "Auf der Datei wurde kein lesbarer QR-Code gefunden. Scannen Sie die Bescheinigung mit "
    "mindestens 150 dpi oder fotografieren Sie den QR-Code gerade, scharf und formatfüllend; oder "
    "fügen Sie den mit einem Scanner gelesenen Inhalt unten ein.",
    "altered": "Die Daten der Bescheinigung sind beschädigt oder wurden verändert "
    "(sie entsprechen nicht dem signierten Format).",
    "unknown_key": "Die Bescheinigung ist mit einem unbekannten Schlüssel signiert; sie stammt nicht "
    "von einer Schule, deren Schlüssel veröffentlicht ist.",
    "bad_signature": "Die Signatur ist ungültig: Die Daten wurden verändert oder die Bescheinigung ist "
    "gefälscht.",
    "wrong_school": "Der Schlüssel gehört nicht zu der Schule, die in der Bescheinigung steht "
    "(falsche Schule).",
    "key_not_valid": "Der Schlüssel war am Ausstellungsdatum nicht gültig.",
    "not_yet_valid": "Das Ausstellungsdatum liegt in der Zukunft.",
    "expired": "Die Bescheinigung ist abgelaufen.",
    "revoked": "Die Bescheinigung wurde widerrufen (z. B. weil die Schülerin oder der Schüler die "
    "Schule verlassen hat).",
}


class TokenError(ValueError):
    """A token that cannot be read; `code` is a key of MESSAGES."""

    def __init__(self, code: str) -> None:
        super().__init__(MESSAGES[code])
        self.code = code


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def b64url_decode(text: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise binascii.Error("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def canonical(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def make_payload(
    *,
    certificate_id: str,
    key_id: str,
    schulnummer: str,
    nachname: str,
    vorname: str,
    geburtsdatum: date,
    schuljahr: str,
    issued_on: date,
    valid_until: date,
) -> dict[str, Any]:
    return {
        "v": FORMAT_VERSION,
        "id": certificate_id,
        "kid": key_id,
        "sn": schulnummer,
        "nn": nachname,
        "vn": vorname,
        "gd": geburtsdatum.isoformat(),
        "sj": schuljahr,
        "ad": issued_on.isoformat(),
        "bis": valid_until.isoformat(),
    }


def sign(payload: dict[str, Any], private_key: Ed25519PrivateKey) -> str:
    message = canonical(payload)
    return PREFIX + b64url(private_key.sign(message) + message)


def split_token(token: str) -> tuple[bytes, bytes]:
    """(signature, message) of a token; TokenError("unreadable") if it is not one."""
    token = token.strip()
    if not token.startswith(PREFIX):
        raise TokenError("unreadable")
    try:
        raw = b64url_decode(token[len(PREFIX) :])
    except (binascii.Error, ValueError):
        raise TokenError("unreadable") from None
    if len(raw) <= SIGNATURE_BYTES:
        raise TokenError("unreadable")
    return raw[:SIGNATURE_BYTES], raw[SIGNATURE_BYTES:]


def parse_message(message: bytes) -> dict[str, Any]:
    """The payload of a signed message, refused unless it is exactly in canonical form."""
    try:
        payload = json.loads(message.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise TokenError("altered") from None
    if not isinstance(payload, dict) or tuple(sorted(payload)) != FIELDS or canonical(payload) != message:
        raise TokenError("altered")
    if payload["v"] != FORMAT_VERSION or not all(isinstance(payload[k], str) for k in FIELDS if k != "v"):
        raise TokenError("altered")
    try:
        for name in ("gd", "ad", "bis"):
            date.fromisoformat(payload[name])
    except ValueError:
        raise TokenError("altered") from None
    return payload


def public_key_text(private_key: Ed25519PrivateKey) -> str:
    from cryptography.hazmat.primitives import serialization

    raw = private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return b64url(raw)


@dataclass(frozen=True)
class Verification:
    valid: bool
    code: str
    message: str
    payload: dict[str, Any] = field(default_factory=dict)
    key: dict[str, Any] = field(default_factory=dict)
    revoked_from: str | None = None

    @property
    def readable(self) -> bool:
        return self.code not in UNREADABLE

    @property
    def certificate_id(self) -> str:
        return str(self.payload.get("id", ""))

    def data(self) -> list[tuple[str, str]]:
        """The certified data with German labels and dates as TT.MM.JJJJ (only if the signature held)."""
        if not self.payload:
            return []
        rows = []
        for name, label in LABELS.items():
            value = str(self.payload.get(name, ""))
            if name in ("gd", "ad", "bis"):
                value = german_date(value)
            rows.append((label, value))
        if self.key.get("school_name"):
            rows.insert(5, ("Schule", str(self.key["school_name"])))
        return rows


def german_date(iso: str) -> str:
    try:
        return date.fromisoformat(iso).strftime("%d.%m.%Y")
    except ValueError:
        return iso


UNREADABLE = ("unreadable", "no_qr")  # nothing to judge: "nicht lesbar", not "ungültig"


def _result(code: str, payload=None, key=None, revoked_from=None) -> Verification:
    return Verification(code == "valid", code, MESSAGES[code], payload or {}, key or {}, revoked_from)


def unreadable_scan() -> Verification:
    return _result("no_qr")


def _date_or_none(value: Any) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def verify(token: str, keylist: dict[str, Any], today: date) -> Verification:
    """Check a token against a published key list (with its revocation list) on `today`."""
    try:
        signature, message = split_token(token)
        payload = parse_message(message)
    except TokenError as error:
        return _result(error.code)
    keys = {str(k.get("kid")): k for k in keylist.get("keys", []) if isinstance(k, dict)}
    key = keys.get(payload["kid"])
    if key is None:
        return _result("unknown_key")
    try:
        public = Ed25519PublicKey.from_public_bytes(b64url_decode(str(key.get("public_key", ""))))
        public.verify(signature, message)
    except (InvalidSignature, ValueError, binascii.Error):
        return _result("bad_signature")
    # From here on the payload is authentic: it may be shown.
    if str(key.get("schulnummer")) != payload["sn"]:
        return _result("wrong_school", payload, key)
    issued = date.fromisoformat(payload["ad"])
    valid_from, valid_until = _date_or_none(key.get("valid_from")), _date_or_none(key.get("valid_until"))
    if valid_from is None or issued < valid_from or (valid_until is not None and issued > valid_until):
        return _result("key_not_valid", payload, key)
    revoked = {str(r.get("id")): r for r in keylist.get("revoked", []) if isinstance(r, dict)}
    entry = revoked.get(payload["id"])
    if entry is not None:
        revoked_from = _date_or_none(entry.get("from")) or issued
        if revoked_from <= today:
            return _result("revoked", payload, key, revoked_from.isoformat())
    if issued > today:
        return _result("not_yet_valid", payload, key)
    if date.fromisoformat(payload["bis"]) < today:
        return _result("expired", payload, key)
    return _result("valid", payload, key, entry.get("from") if entry else None)


def find_token(data: bytes) -> str | None:
    """The token inside a PDF (metadata keyword or embedded file, possibly in compressed streams)
    or a text file holding the QR content."""
    match = TOKEN_PATTERN.search(data)
    if match:
        return match.group(0).decode("ascii")
    for start in re.finditer(rb"stream\r?\n", data):
        end = data.find(b"endstream", start.end())
        if end < 0:
            break
        try:
            inflated = zlib.decompressobj().decompress(data[start.end() : end], 10_000_000)
        except zlib.error:
            continue
        match = TOKEN_PATTERN.search(inflated)
        if match:
            return match.group(0).decode("ascii")
    return None


def load_keylist(text: str) -> dict[str, Any]:
    keylist = json.loads(text)
    if not isinstance(keylist, dict) or keylist.get("format") != KEYLIST_FORMAT:
        raise ValueError("Die Datei ist keine Schlüsselliste für Schulbescheinigungen.")
    return keylist
