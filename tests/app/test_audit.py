import pytest
from django.db import IntegrityError, connections, transaction
from django.db.utils import DatabaseError

from missimo.audit.models import AuditAction, AuditEvent
from missimo.audit.services import record, verify_chain


@pytest.mark.django_db(databases="__all__")
def test_an_audit_entry_records_who_did_what_to_which_object_and_why(kim):
    event = record(kim, AuditAction.READ, object_type="person", object_id=42, purpose="Fallprüfung")
    stored = AuditEvent.objects.get(sequence=event.sequence)
    assert (stored.actor_username, stored.action, stored.object_type, stored.object_id, stored.purpose) == (
        "kim",
        "read",
        "person",
        "42",
        "Fallprüfung",
    )
    assert stored.actor_agency == "Ordnungsamt"
    assert stored.actor_roles == "Koordinierungsstelle (Ordnungsamt)"


@pytest.mark.django_db(databases="__all__")
def test_entries_form_an_intact_hash_chain(kim):
    for n in range(5):
        record(kim, AuditAction.READ, object_type="person", object_id=n)
    report = verify_chain()
    assert report.intact, report.message
    assert report.checked == 5


@pytest.mark.django_db(databases="__all__")
def test_the_application_cannot_change_or_delete_an_entry(kim):
    event = record(kim, AuditAction.READ, object_type="person", object_id=1)
    event.purpose = "nachträglich geändert"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()


@pytest.mark.django_db(databases="__all__")
def test_the_database_refuses_updates_and_deletes_of_entries(kim):
    record(kim, AuditAction.READ, object_type="person", object_id=1)
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic(using="audit"):
        AuditEvent.objects.using("audit").update(purpose="überschrieben")
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic(using="audit"):
        AuditEvent.objects.using("audit").all()._raw_delete("audit")


def _drop_triggers():
    from missimo.audit.db import remove_append_only_triggers

    remove_append_only_triggers(connections["audit"])


@pytest.mark.django_db(databases="__all__", transaction=True)
def test_verification_detects_an_entry_altered_behind_the_applications_back(kim):
    for n in range(3):
        record(kim, AuditAction.READ, object_type="person", object_id=n)
    _drop_triggers()  # an attacker with database access
    with connections["audit"].cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET object_id = '999' WHERE sequence = 2")
    report = verify_chain()
    assert not report.intact
    assert report.first_broken == 2


@pytest.mark.django_db(databases="__all__", transaction=True)
def test_verification_detects_a_deleted_entry(kim):
    for n in range(3):
        record(kim, AuditAction.READ, object_type="person", object_id=n)
    _drop_triggers()
    with connections["audit"].cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE sequence = 2")
    assert not verify_chain().intact


@pytest.mark.django_db(databases="__all__", transaction=True)
def test_an_audit_entry_survives_when_the_business_transaction_fails(kim):
    from missimo.accounts.models import Agency

    with pytest.raises(RuntimeError), transaction.atomic():
        Agency.objects.create(name="Wird zurückgerollt", kind="polizei")
        record(kim, AuditAction.CHANGE, object_type="agency", object_id="neu", purpose="Test")
        raise RuntimeError("business transaction fails")
    assert not Agency.objects.filter(name="Wird zurückgerollt").exists()
    assert AuditEvent.objects.filter(object_type="agency", object_id="neu").exists()


@pytest.mark.django_db(databases="__all__")
def test_logins_and_failed_logins_are_audited(client, kim):
    from tests.conftest import PASSWORD

    client.post("/anmelden/", {"username": "kim", "password": "falsch"})
    client.post("/anmelden/", {"username": "kim", "password": PASSWORD})
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert actions == [AuditAction.LOGIN_FAILED, AuditAction.LOGIN]
