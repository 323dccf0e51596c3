"""Record who did what to which object, when and for what purpose.

`record()` is the one way to write the audit log. It runs in its own transaction on the
"audit" database connection, so the entry survives when the caller's business transaction
rolls back; if the audit entry cannot be written, it raises, and callers must not go on
showing personal data without it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone

from missimo.accounts import policy
from missimo.audit.keys import audit_key
from missimo.audit.labels import details_text, object_type_label
from missimo.audit.models import AuditAction, AuditChainHead, AuditEvent
from missimo.audit.routers import AUDIT_ALIAS

GENESIS_HASH = "0" * 64
checkpoint_log = logging.getLogger("missimo.audit.checkpoint")


def _canonical(fields: dict[str, Any]) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def _hash(previous_hash: str, fields: dict[str, Any]) -> str:
    return hashlib.sha256(previous_hash.encode("ascii") + _canonical(fields)).hexdigest()


def _keyed(context: bytes, payload: bytes) -> str:
    return hmac.new(audit_key(), context + b"\x00" + payload, hashlib.sha256).hexdigest()


def entry_mac(previous_mac: str, entry_hash: str) -> str:
    """The keyed link of an entry: HMAC-SHA256 of the previous entry's MAC and this entry's hash
    (which covers its number, content and the previous hash)."""
    return _keyed(b"missimo/audit/entry", f"{previous_mac}:{entry_hash}".encode("ascii"))


def head_mac(last_sequence: int, last_hash: str, last_mac: str) -> str:
    return _keyed(b"missimo/audit/head", f"{last_sequence}:{last_hash}:{last_mac}".encode("ascii"))


def _hashed_fields(event: AuditEvent) -> dict[str, Any]:
    occurred = event.occurred_at
    if isinstance(occurred, datetime):
        occurred = occurred.astimezone(UTC).isoformat(timespec="microseconds")
    return {
        "sequence": event.sequence,
        "occurred_at": occurred,
        "actor_id": event.actor_id,
        "actor_username": event.actor_username,
        "actor_roles": event.actor_roles,
        "actor_agency": event.actor_agency,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "purpose": event.purpose,
        "details": event.details,
        "ip_address": event.ip_address,
    }


def _client_ip(request) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def record(
    actor,
    action: AuditAction | str,
    *,
    object_type: str = "",
    object_id: str | int = "",
    purpose: str = "",
    details: dict[str, Any] | None = None,
    request=None,
) -> AuditEvent:
    """Append one audit event and return it. `actor` is a user (or None for the system)."""
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    event = AuditEvent(
        occurred_at=timezone.now(),
        actor_id=actor.pk if authenticated else None,
        actor_username=actor.get_username() if authenticated else "",
        actor_roles=",".join(policy.role_labels(actor)) if authenticated else "",
        actor_agency=str(actor.agency) if authenticated and actor.agency_id else "",
        action=str(action),
        object_type=object_type,
        object_id=str(object_id),
        purpose=purpose,
        details=json.loads(_canonical(details or {})),
        ip_address=_client_ip(request),
    )
    with transaction.atomic(using=AUDIT_ALIAS):
        head, _ = (
            AuditChainHead.objects.using(AUDIT_ALIAS)
            .select_for_update()
            .get_or_create(id=1, defaults={"last_sequence": 0, "last_hash": GENESIS_HASH})
        )
        event.sequence = head.last_sequence + 1
        event.previous_hash = head.last_hash
        event.entry_hash = _hash(event.previous_hash, _hashed_fields(event))
        event.entry_mac = entry_mac(head.last_mac or GENESIS_HASH, event.entry_hash)
        event.save(using=AUDIT_ALIAS, force_insert=True)
        head.last_sequence = event.sequence
        head.last_hash = event.entry_hash
        head.last_mac = event.entry_mac
        head.head_mac = head_mac(head.last_sequence, head.last_hash, head.last_mac)
        head.save(using=AUDIT_ALIAS, update_fields=["last_sequence", "last_hash", "last_mac", "head_mac"])
        sequence, entry_hash, mac = event.sequence, event.entry_hash, event.entry_mac
        transaction.on_commit(lambda: _export_checkpoint_safely(sequence, entry_hash, mac), using=AUDIT_ALIAS)
    return event


# --- exported checkpoints: the head, signed, outside the database ------------------------------

_EXPORT_CONTEXT = b"missimo/audit/exported-checkpoint"


_SIGNATURE_FIELDS = ("signature", "ed25519")


def _signed_payload(data: dict[str, Any]) -> bytes:
    return _canonical({k: v for k, v in data.items() if k not in _SIGNATURE_FIELDS})


def _export_signature(data: dict[str, Any]) -> str:
    return _keyed(_EXPORT_CONTEXT, _signed_payload(data))


def _ed25519_signature(data: dict[str, Any]) -> str:
    import base64

    from missimo.audit.keys import signing_key

    return base64.b64encode(signing_key().sign(_EXPORT_CONTEXT + b"\x00" + _signed_payload(data))).decode()


def _ed25519_valid(data: dict[str, Any]) -> bool:
    """Whether the checkpoint carries a valid Ed25519 signature of the (pinned) public key: a holder
    of the HMAC key or of the database cannot compute it."""
    import base64

    from cryptography.exceptions import InvalidSignature

    from missimo.audit.keys import verifying_key

    try:
        signature = base64.b64decode(str(data.get("ed25519", "")), validate=True)
        verifying_key().verify(signature, _EXPORT_CONTEXT + b"\x00" + _signed_payload(data))
    except (InvalidSignature, ValueError):
        return False
    return True


def export_checkpoint(sequence: int, entry_hash: str, mac: str) -> dict[str, Any]:
    """Append a checkpoint of the chain (entry number, hash, MAC), signed with the HMAC key and with
    the Ed25519 key (missimo.audit.keys.signing_key), to the checkpoint file
    (MISSIMO_AUDIT_CHECKPOINT_FILE, created with mode 0600) and to the logger
    `missimo.audit.checkpoint`. Whoever can rewrite the database but not this file cannot delete the
    newest entries unnoticed: `verify_chain` requires the entry of the newest checkpoint."""
    line: dict[str, Any] = {
        "sequence": sequence,
        "hash": entry_hash,
        "mac": mac,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    line["signature"] = _export_signature(line)
    line["ed25519"] = _ed25519_signature(line)
    text = json.dumps(line, sort_keys=True, separators=(",", ":")) + "\n"
    path = settings.AUDIT_CHECKPOINT_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(descriptor, text.encode("ascii"))
    finally:
        os.close(descriptor)
    checkpoint_log.info("audit checkpoint %s", text.strip())
    return line


def _export_checkpoint_safely(sequence: int, entry_hash: str, mac: str) -> None:
    try:
        export_checkpoint(sequence, entry_hash, mac)
    except OSError:  # the entry is committed; a missing checkpoint shows in the next verification
        checkpoint_log.exception("audit checkpoint %s could not be written", sequence)


def export_head_checkpoint() -> dict[str, Any] | None:
    """A checkpoint of the current chain head (`missimo audit checkpoint`, e.g. from cron)."""
    head = AuditChainHead.objects.using(AUDIT_ALIAS).filter(id=1).first()
    if head is None or head.last_sequence == 0:
        return None
    return export_checkpoint(head.last_sequence, head.last_hash, head.last_mac)


@dataclass(frozen=True)
class _Exported:
    sequence: int
    hash: str
    mac: str


def _newest_exported_checkpoint() -> tuple[_Exported | None, str]:
    """The newest validly signed checkpoint of the checkpoint file, or an error message."""
    path = settings.AUDIT_CHECKPOINT_FILE
    newest = None
    try:
        stream = path.open(encoding="ascii", errors="replace")
    except FileNotFoundError:
        return None, ""
    with stream:
        for number, text in enumerate(stream, start=1):
            if not text.strip():
                continue
            try:
                data = json.loads(text)
                valid = hmac.compare_digest(
                    str(data.get("signature", "")), _export_signature(data)
                ) and _ed25519_valid(data)
                checkpoint = _Exported(int(data["sequence"]), str(data["hash"]), str(data["mac"]))
            except (ValueError, KeyError, TypeError, AttributeError):
                valid = False
            if not valid:
                return None, f"Prüfpunktdatei {path.name}, Zeile {number}: Signatur ungültig (verändert)."
            if newest is None or checkpoint.sequence >= newest.sequence:  # the later line wins
                newest = checkpoint
    return newest, ""


@dataclass(frozen=True)
class ChainReport:
    checked: int
    first_broken: int | None
    message: str

    @property
    def intact(self) -> bool:
        return self.first_broken is None


def verify_chain() -> ChainReport:
    """Recompute every hash and every keyed MAC; report the first entry whose content or order was
    altered, a chain head that does not match the last entry or is not signed with the key, and
    newest entries missing behind the newest exported checkpoint.

    After a retention purge the log starts later than entry 1: the chain then starts from the
    signed checkpoint that the purge appended (see :func:`purge_before`); without a valid one,
    the missing beginning is reported as a deletion."""
    previous_hash = GENESIS_HASH
    previous_mac = GENESIS_HASH
    expected_sequence = None
    checked = 0
    note = ""
    exported, exported_error = _newest_exported_checkpoint()
    if exported_error:
        return ChainReport(0, 0, exported_error)
    first = AuditEvent.objects.using(AUDIT_ALIAS).order_by("sequence").only("sequence").first()
    if first is not None and first.sequence != 1:
        checkpoint = _checkpoint_for(first.sequence)
        if checkpoint is None:
            return ChainReport(
                0, 1, f"Die Einträge 1 bis {first.sequence - 1} fehlen (gelöscht ohne gültigen Prüfpunkt)."
            )
        previous_hash = checkpoint.details["last_deleted_hash"]
        previous_mac = checkpoint.details.get("last_deleted_mac") or GENESIS_HASH
        expected_sequence = first.sequence
        note = (
            f" Ältere Einträge bis Nr. {first.sequence - 1} wurden nach Ablauf der Aufbewahrungsfrist "
            f"gelöscht (Prüfpunkt Nr. {checkpoint.sequence})."
        )
    events = AuditEvent.objects.using(AUDIT_ALIAS).order_by("sequence").iterator(chunk_size=2000)
    for event in events:
        if expected_sequence is not None and event.sequence != expected_sequence:
            return ChainReport(checked, event.sequence, f"Eintrag {expected_sequence} fehlt (gelöscht).")
        if event.previous_hash != previous_hash:
            return ChainReport(checked, event.sequence, f"Eintrag {event.sequence}: Verkettung unterbrochen.")
        if _hash(previous_hash, _hashed_fields(event)) != event.entry_hash:
            return ChainReport(checked, event.sequence, f"Eintrag {event.sequence}: Inhalt wurde verändert.")
        if not hmac.compare_digest(event.entry_mac, entry_mac(previous_mac, event.entry_hash)):
            return ChainReport(
                checked,
                event.sequence,
                f"Eintrag {event.sequence}: Schlüssel-Prüfsumme (MAC) ungültig – der Eintrag oder ein "
                "früherer wurde verändert, gelöscht oder neu berechnet.",
            )
        if (
            exported is not None
            and event.sequence == exported.sequence
            and (event.entry_hash, event.entry_mac) != (exported.hash, exported.mac)
        ):
            return ChainReport(
                checked, event.sequence, f"Eintrag {event.sequence} weicht vom exportierten Prüfpunkt ab."
            )
        previous_hash = event.entry_hash
        previous_mac = event.entry_mac
        expected_sequence = event.sequence + 1
        checked += 1
    last_sequence = (expected_sequence or 1) - 1
    head = AuditChainHead.objects.using(AUDIT_ALIAS).filter(id=1).first()
    if head is not None and (head.last_sequence != last_sequence or head.last_hash != previous_hash):
        return ChainReport(checked, head.last_sequence, "Die jüngsten Einträge fehlen (gelöscht).")
    if (
        head is not None
        and head.last_sequence
        and not hmac.compare_digest(
            head.head_mac, head_mac(head.last_sequence, head.last_hash, head.last_mac or GENESIS_HASH)
        )
    ):
        return ChainReport(checked, head.last_sequence, "Das Kettenende wurde ohne Schlüssel verändert.")
    if head is None and checked:
        return ChainReport(checked, last_sequence, "Das Kettenende fehlt (gelöscht).")
    if exported is not None and exported.sequence > last_sequence:
        return ChainReport(
            checked,
            last_sequence + 1,
            f"Die jüngsten Einträge fehlen: der exportierte Prüfpunkt nennt Eintrag {exported.sequence}, "
            f"das Protokoll endet mit Eintrag {last_sequence}.",
        )
    if exported is not None:
        note += f" Exportierter Prüfpunkt bis Eintrag {exported.sequence} bestätigt."
    elif checked:
        note += " Keine exportierten Prüfpunkte gefunden: das Fehlen der jüngsten Einträge ist nur am Kettenende prüfbar."
    return ChainReport(checked, None, f"Protokoll unverändert: {checked} Einträge geprüft.{note}")


# --- retention: deleting old entries without breaking the chain ------------------------------

CHECKPOINT_TYPE = "audit_checkpoint"
_CHECKPOINT_CONTEXT = b"missimo/audit/checkpoint\x00"


def _checkpoint_signature(data: dict[str, Any]) -> str:
    """HMAC-SHA256 of a checkpoint with the server's secret key: a database user without the key
    cannot forge a checkpoint to hide deleted entries."""
    payload = {key: value for key, value in data.items() if key != "signature"}
    key = settings.SECRET_KEY.encode("utf-8")
    return hmac.new(key, _CHECKPOINT_CONTEXT + _canonical(payload), hashlib.sha256).hexdigest()


def _checkpoint_for(first_sequence: int) -> AuditEvent | None:
    """The valid checkpoint that explains a log starting at `first_sequence`."""
    candidates = (
        AuditEvent.objects.using(AUDIT_ALIAS)
        .filter(object_type=CHECKPOINT_TYPE, action=AuditAction.DELETE, sequence__gt=first_sequence - 1)
        .order_by("-sequence")
    )
    for event in candidates:
        details = event.details or {}
        if details.get("deleted_through") != first_sequence - 1:
            continue
        signature = str(details.get("signature", ""))
        if hmac.compare_digest(signature, _checkpoint_signature(details)):
            return event
    return None


@dataclass(frozen=True)
class AuditPurge:
    deleted: int
    through_sequence: int | None


def purge_before(cutoff: datetime) -> AuditPurge:
    """Delete the audit entries older than `cutoff` (a maintenance step of the retention purge).

    The log stays verifiable: first a checkpoint entry is appended to the chain, recording the
    range deleted and the hash of the last deleted entry, signed with the server's key; then the
    append-only triggers are lifted for this one transaction, the entries deleted, and the
    triggers installed again. `verify_chain` starts the chain from the checkpoint. The checkpoint
    holds counts, numbers and hashes only, no personal data."""
    from missimo.audit.db import install_append_only_triggers, remove_append_only_triggers

    events = AuditEvent.objects.using(AUDIT_ALIAS)
    with transaction.atomic(using=AUDIT_ALIAS):
        AuditChainHead.objects.using(AUDIT_ALIAS).select_for_update().get_or_create(
            id=1, defaults={"last_sequence": 0, "last_hash": GENESIS_HASH}
        )
        last_old = events.filter(occurred_at__lt=cutoff).order_by("-sequence").first()
        if last_old is None:
            return AuditPurge(0, None)
        doomed = events.filter(sequence__lte=last_old.sequence)
        count = doomed.count()
        first_old = doomed.order_by("sequence").first()
        details: dict[str, Any] = {
            "deleted_from": first_old.sequence if first_old else last_old.sequence,
            "deleted_through": last_old.sequence,
            "deleted_count": count,
            "last_deleted_hash": last_old.entry_hash,
            "last_deleted_mac": last_old.entry_mac,
            "cutoff": cutoff.astimezone(UTC).isoformat(timespec="seconds"),
        }
        details["signature"] = _checkpoint_signature(details)
        record(
            None,
            AuditAction.DELETE,
            object_type=CHECKPOINT_TYPE,
            object_id=last_old.sequence,
            purpose="Löschung von Protokolleinträgen nach Ablauf der Aufbewahrungsfrist (Prüfpunkt)",
            details=details,
        )
        connection = connections[AUDIT_ALIAS]
        remove_append_only_triggers(connection)
        doomed._raw_delete(AUDIT_ALIAS)
        install_append_only_triggers(connection)
    return AuditPurge(count, last_old.sequence)


# --- reading the log (data-protection officer only) ----------------------------------------


def search(
    *,
    actor: str = "",
    agency: str = "",
    action: str = "",
    object_type: str = "",
    object_id: str = "",
    purpose: str = "",
    date_from=None,
    date_to=None,
):
    """Audit events matching every given criterion, newest first (read-only queryset)."""
    from datetime import time, timedelta

    events = AuditEvent.objects.using(AUDIT_ALIAS).all()
    if actor:
        events = events.filter(actor_username__icontains=actor)
    if agency:
        events = events.filter(actor_agency__icontains=agency)
    if action:
        events = events.filter(action=action)
    if object_type:
        events = events.filter(object_type=object_type)
    if object_id:
        events = events.filter(object_id__icontains=object_id)
    if purpose:
        events = events.filter(purpose__icontains=purpose)
    zone = timezone.get_current_timezone()
    if date_from:
        events = events.filter(occurred_at__gte=datetime.combine(date_from, time.min, tzinfo=zone))
    if date_to:
        events = events.filter(
            occurred_at__lt=datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=zone)
        )
    return events.order_by("-sequence")


def object_types() -> list[str]:
    return sorted(
        AuditEvent.objects.using(AUDIT_ALIAS)
        .exclude(object_type="")
        .values_list("object_type", flat=True)
        .distinct()
    )


CSV_HEADER = (
    "Nr.",
    "Zeitpunkt",
    "Benutzername",
    "Rollen",
    "Behörde",
    "Vorgang",
    "Objektart",
    "Objekt-ID",
    "Zweck",
    "Einzelheiten",
    "IP-Adresse",
    "Hash",
    "Objektart (Kennung)",
    "Einzelheiten (technisch, JSON)",
)


def export_rows(events) -> list[list[Any]]:
    """The rows of the audit export (header: CSV_HEADER), one per event, in the events' order:
    object type and details in German for people, the stored codes and JSON at the end for tools."""
    labels = dict(AuditAction.choices)
    return [
        [
            event.sequence,
            timezone.localtime(event.occurred_at).strftime("%d.%m.%Y %H:%M:%S"),
            event.actor_username,
            event.actor_roles,
            event.actor_agency,
            labels.get(event.action, event.action),
            object_type_label(event.object_type) if event.object_type else "",
            event.object_id,
            event.purpose,
            details_text(event.details),
            event.ip_address or "",
            event.entry_hash,
            event.object_type,
            json.dumps(event.details, ensure_ascii=False, sort_keys=True) if event.details else "",
        ]
        for event in events.iterator(chunk_size=2000)
    ]
