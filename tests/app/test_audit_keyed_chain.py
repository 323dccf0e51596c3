"""The keyed audit chain (issue #21): someone who can write the audit database, drop its triggers
and recompute every SHA-256 hash still cannot rewrite the log unnoticed, because each entry and the
chain head carry an HMAC under a key that is not in the database, and every entry's checkpoint is
exported to a file outside it."""

import json
import stat

import pytest
from django.conf import settings
from django.db import DatabaseError, IntegrityError, connections, transaction

from missimo.audit import services
from missimo.audit.db import remove_append_only_triggers
from missimo.audit.models import AuditAction, AuditChainHead, AuditEvent
from missimo.audit.services import record, verify_chain

transactional = pytest.mark.django_db(databases="__all__", transaction=True)


def _entries(kim, count=5):
    for n in range(count):
        record(kim, AuditAction.READ, object_type="person", object_id=n, purpose="Fallprüfung")


def _sql(statement, params=()):
    remove_append_only_triggers(connections["audit"])  # the attacker drops the triggers first
    with connections["audit"].cursor() as cursor:
        cursor.execute(statement, list(params))


def _rehash_to_the_end():
    """What an attacker without the key can do: recompute the SHA-256 chain and the head from the
    stored content (the MACs can only be copied, not recomputed)."""
    previous = services.GENESIS_HASH
    last = None
    for event in AuditEvent.objects.using("audit").order_by("sequence"):
        new_hash = services._hash(previous, services._hashed_fields(event))
        _sql(
            "UPDATE audit_auditevent SET previous_hash = %s, entry_hash = %s WHERE sequence = %s",
            [previous, new_hash, event.sequence],
        )
        previous, last = new_hash, event
    _sql(
        "UPDATE audit_auditchainhead SET last_sequence = %s, last_hash = %s, last_mac = %s WHERE id = 1",
        [last.sequence, previous, last.entry_mac],
    )


@transactional
def test_an_intact_keyed_chain_verifies_and_names_the_exported_checkpoint(kim):
    _entries(kim)
    report = verify_chain()
    assert report.intact, report.message
    assert report.checked == 5
    assert "Prüfpunkt bis Eintrag 5 bestätigt" in report.message
    assert all(len(event.entry_mac) == 64 for event in AuditEvent.objects.using("audit"))


@transactional
def test_changing_an_entry_and_rehashing_to_the_end_is_detected(kim):
    _entries(kim)
    _sql("UPDATE audit_auditevent SET purpose = 'harmlos' WHERE sequence = 2")
    _rehash_to_the_end()
    report = verify_chain()
    assert not report.intact
    assert report.first_broken == 2 and "MAC" in report.message


@transactional
def test_deleting_the_newest_entries_and_moving_the_head_is_detected(kim):
    _entries(kim)
    _sql("DELETE FROM audit_auditevent WHERE sequence > 3")
    _rehash_to_the_end()
    report = verify_chain()
    assert not report.intact
    assert "Kettenende" in report.message


@transactional
def test_deleting_the_newest_entries_and_replaying_an_old_signed_head_is_detected(kim):
    _entries(kim, 3)
    old_head = (
        AuditChainHead.objects.using("audit")
        .values_list("last_sequence", "last_hash", "last_mac", "head_mac")
        .get()
    )
    _entries(kim, 2)
    _sql("DELETE FROM audit_auditevent WHERE sequence > 3")
    _sql(
        "UPDATE audit_auditchainhead SET last_sequence = %s, last_hash = %s, last_mac = %s, head_mac = %s",
        old_head,
    )
    report = verify_chain()
    assert not report.intact
    assert "exportierte Prüfpunkt nennt Eintrag 5" in report.message


@transactional
def test_deleting_an_entry_and_renumbering_the_rest_is_detected(kim):
    _entries(kim)
    _sql("DELETE FROM audit_auditevent WHERE sequence = 2")
    for sequence in (3, 4, 5):
        _sql("UPDATE audit_auditevent SET sequence = %s WHERE sequence = %s", [sequence - 1, sequence])
    _rehash_to_the_end()
    report = verify_chain()
    assert not report.intact
    assert report.first_broken == 2


@transactional
def test_changing_an_entry_without_rehashing_is_detected(kim):
    _entries(kim)
    _sql("UPDATE audit_auditevent SET object_id = '999' WHERE sequence = 4")
    report = verify_chain()
    assert not report.intact
    assert report.first_broken == 4 and "Inhalt wurde verändert" in report.message


@transactional
def test_dropping_the_triggers_and_forging_macs_with_another_key_is_detected(kim, settings):
    _entries(kim)
    settings.AUDIT_KEY = "x" * 40  # the attacker's guess of the key
    _sql("UPDATE audit_auditevent SET purpose = 'harmlos' WHERE sequence = 1")
    _rehash_to_the_end()
    previous = services.GENESIS_HASH
    for event in AuditEvent.objects.using("audit").order_by("sequence"):
        previous = services.entry_mac(previous, event.entry_hash)
        _sql("UPDATE audit_auditevent SET entry_mac = %s WHERE sequence = %s", [previous, event.sequence])
    settings.AUDIT_KEY = ""
    report = verify_chain()
    assert not report.intact and report.first_broken == 1


@transactional
def test_a_changed_line_of_the_checkpoint_file_is_detected(kim):
    _entries(kim, 2)
    path = settings.AUDIT_CHECKPOINT_FILE
    lines = path.read_text(encoding="ascii").splitlines()
    data = json.loads(lines[-1])
    data["sequence"] = 1
    path.write_text("\n".join([*lines[:-1], json.dumps(data)]) + "\n", encoding="ascii")
    report = verify_chain()
    assert not report.intact and "Signatur ungültig" in report.message


@pytest.mark.django_db(databases="__all__")
def test_the_database_lets_the_chain_head_move_only_one_step_forward(kim):
    _entries(kim, 2)
    head = AuditChainHead.objects.using("audit")
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic(using="audit"):
        head.update(last_sequence=1)
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic(using="audit"):
        head.all()._raw_delete("audit")
    assert head.get().last_sequence == 2


@pytest.mark.django_db(databases="__all__")
def test_the_audit_key_lives_in_a_0600_file_outside_the_database(kim, settings, tmp_path):
    from missimo.audit import keys

    settings.AUDIT_KEY = ""
    settings.AUDIT_KEY_FILE = tmp_path / "audit_key"
    record(kim, AuditAction.READ, object_type="person", object_id=1)
    assert stat.S_IMODE(settings.AUDIT_KEY_FILE.stat().st_mode) == 0o600
    key = settings.AUDIT_KEY_FILE.read_text(encoding="ascii").strip()
    assert keys.audit_key() == key.encode()
    stored = json.dumps(list(AuditEvent.objects.using("audit").values()), default=str)
    assert key not in stored


@pytest.mark.django_db(databases="__all__")
def test_a_short_configured_audit_key_is_refused_with_a_german_message(settings):
    from django.core.exceptions import ImproperlyConfigured

    from missimo.audit.keys import audit_key

    settings.AUDIT_KEY = "zu-kurz"
    with pytest.raises(ImproperlyConfigured, match="zu kurz"):
        audit_key()


@transactional
def test_the_migration_seals_entries_written_before_the_key(kim):
    import importlib

    seal = importlib.import_module("missimo.audit.migrations.0004_keyed_chain").seal
    _entries(kim, 3)
    _sql("UPDATE audit_auditevent SET entry_mac = ''")
    _sql("UPDATE audit_auditchainhead SET last_mac = '', head_mac = ''")
    settings.AUDIT_CHECKPOINT_FILE.unlink()
    assert not verify_chain().intact

    class Editor:
        connection = connections["audit"]

    seal(None, Editor())
    report = verify_chain()
    assert report.intact, report.message
    assert report.checked == 3


# --- the Ed25519 signature of the exported checkpoints -----------------------------------------


def _append_checkpoint(data):
    path = settings.AUDIT_CHECKPOINT_FILE
    with path.open("a", encoding="ascii") as stream:
        stream.write(json.dumps(data, sort_keys=True) + "\n")


@transactional
def test_every_exported_checkpoint_carries_an_ed25519_signature_of_the_pinned_public_key(kim, settings):
    from missimo.audit.keys import public_key_text

    _entries(kim, 2)
    settings.AUDIT_PUBLIC_KEY = public_key_text()
    lines = [json.loads(line) for line in settings.AUDIT_CHECKPOINT_FILE.read_text().splitlines()]
    assert [line["sequence"] for line in lines] == [1, 2]
    assert all(services._ed25519_valid(line) for line in lines)
    assert verify_chain().intact
    mode = stat.S_IMODE(settings.AUDIT_SIGNING_KEY_FILE.stat().st_mode)
    assert mode == 0o600


@transactional
def test_a_checkpoint_forged_with_the_hmac_key_is_detected(kim):
    """Whoever holds the HMAC key (every verifier needs it) deletes the newest entries, moves the head
    with valid MACs and appends a checkpoint with a valid HMAC: the Ed25519 signature is missing."""
    _entries(kim, 4)
    _sql("DELETE FROM audit_auditevent WHERE sequence > 2")
    third = AuditEvent.objects.using("audit").get(sequence=2)
    _sql(
        "UPDATE audit_auditchainhead SET last_sequence = 2, last_hash = %s, last_mac = %s, head_mac = %s "
        "WHERE id = 1",
        [third.entry_hash, third.entry_mac, services.head_mac(2, third.entry_hash, third.entry_mac)],
    )
    forged = {
        "sequence": 2,
        "hash": third.entry_hash,
        "mac": third.entry_mac,
        "at": "2099-01-01T00:00:00+00:00",
    }
    forged["signature"] = services._export_signature(forged)
    _append_checkpoint(forged)
    report = verify_chain()
    assert not report.intact and "Signatur ungültig" in report.message

    # nor does a copied Ed25519 signature of another checkpoint help
    path = settings.AUDIT_CHECKPOINT_FILE
    lines = path.read_text(encoding="ascii").splitlines()[:-1]
    forged["ed25519"] = json.loads(lines[0])["ed25519"]
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    _append_checkpoint(forged)
    assert not verify_chain().intact


@transactional
def test_checkpoints_signed_with_a_replaced_signing_key_fail_against_the_pinned_public_key(
    kim, settings, tmp_path
):
    from missimo.audit.keys import public_key_text

    settings.AUDIT_PUBLIC_KEY = public_key_text()  # pinned while the key was the city's
    settings.AUDIT_SIGNING_KEY_FILE = tmp_path / "attackers_key"  # a new key, created on first use
    _entries(kim, 2)
    report = verify_chain()
    assert not report.intact and "Signatur ungültig" in report.message
