"""Owners as records and the complaint log of a property.

An owner (`Owner`: person or company, postal address) is assigned to a property by the register's
editors (`Capability.EDIT_REGISTER`, seeing `Field.OWNER`); the owner page lists all the owner's
properties with their procedure steps (measures with deadlines) and complaints. Complaints are
dated entries (date, source, subject), not a number."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import QuerySet

from missimo.accounts import policy
from missimo.accounts.policy import Capability, Field
from missimo.audit.models import AuditAction
from missimo.audit.services import record
from missimo.core.errors import Refused
from missimo.properties.models import Complaint, Owner, Property, PropertyEvent


class OwnerRefused(Refused, ValueError):
    """Invalid owner or complaint input; `message` is German."""


def may_see_owners(user) -> bool:
    return policy.can(user, Capability.SEE_REGISTER) and policy.sees_field(user, Field.OWNER)


def may_edit(user) -> bool:
    return policy.can(user, Capability.EDIT_REGISTER)


def owners_for(user) -> QuerySet[Owner]:
    return Owner.objects.all() if may_see_owners(user) else Owner.objects.none()


def _actor(user) -> str:
    return user.display_name + (f" ({user.agency})" if user.agency_id else "")


@transaction.atomic
def assign_owner(
    user, prop: Property, *, name: str, kind: str, strasse: str, plz: str, ort: str, request=None
) -> Owner:
    """Assign the owner record (found by name and address, or created) to the property."""
    if not (may_edit(user) and may_see_owners(user)):
        raise OwnerRefused("Sie dürfen keine Eigentümer zuordnen.")
    name, strasse, plz, ort = (value.strip() for value in (name, strasse, plz, ort))
    if not name:
        raise OwnerRefused("Bitte geben Sie den Namen des Eigentümers an.")
    if kind not in Owner.Kind.values:
        raise OwnerRefused("Bitte wählen Sie, ob es eine Person oder ein Unternehmen ist.")
    if plz and not (plz.isdigit() and len(plz) == 5):
        raise OwnerRefused("Die Postleitzahl hat fünf Ziffern.")
    owner, _ = Owner.objects.get_or_create(
        name=name, strasse=strasse, plz=plz, defaults={"kind": kind, "ort": ort}
    )
    previous = str(prop.owner) if prop.owner_id else ""
    prop.owner = owner
    prop.save(update_fields=["owner"])
    PropertyEvent.objects.create(
        property=prop,
        actor=user,
        actor_name=_actor(user),
        summary="Eigentümer zugeordnet",
        changes=[{"field": "Eigentümer", "old": previous, "new": ", ".join(owner.address_block)}],
    )
    record(
        user,
        AuditAction.CHANGE,
        object_type="property_owner",
        object_id=prop.objekt_id,
        purpose="Eigentümer einem Objekt zugeordnet",
        details={"owner": owner.pk},
        request=request,
    )
    return owner


def _date(value: str) -> dt.date:
    """TT.MM.JJJJ as typed, or JJJJ-MM-TT as the date picker sends it."""
    for pattern in ("%d.%m.%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(value.strip(), pattern).date()
        except ValueError:
            continue
    raise OwnerRefused("Bitte geben Sie das Datum im Format TT.MM.JJJJ an.")


@transaction.atomic
def add_complaint(
    user, prop: Property, *, received_on: str, source: str, subject: str, request=None
) -> Complaint:
    if not may_edit(user):
        raise OwnerRefused("Sie dürfen keine Beschwerden erfassen.")
    day = _date(received_on or "")
    if day > dt.date.today():
        raise OwnerRefused("Das Eingangsdatum liegt in der Zukunft.")
    source, subject = (source or "").strip(), (subject or "").strip()
    if not source or not subject:
        raise OwnerRefused("Bitte nennen Sie Quelle und Gegenstand der Beschwerde.")
    complaint = Complaint.objects.create(
        property=prop, received_on=day, source=source[:200], subject=subject, created_by=user
    )
    PropertyEvent.objects.create(
        property=prop,
        actor=user,
        actor_name=_actor(user),
        summary="Beschwerde erfasst",
        changes=[{"field": "Beschwerde", "old": "", "new": f"{day:%d.%m.%Y}, {source}"}],
    )
    record(
        user,
        AuditAction.CREATE,
        object_type="property_complaint",
        object_id=prop.objekt_id,
        purpose="Beschwerde zu einem Objekt erfasst",
        details={"complaint": complaint.pk},
        request=request,
    )
    return complaint


STEERING_DECISIONS = ("beschlossen", "abgelehnt")


@transaction.atomic
def record_steering_decision(user, measure, *, decision: str, day: str, request=None):
    """The Lenkungskreis's decision on a measure (approved or rejected, with the meeting's date)."""
    if not policy.can(user, Capability.RECORD_STEERING_DECISIONS):
        raise OwnerRefused("Sie dürfen keine Beschlüsse des Lenkungskreises erfassen.")
    if decision not in STEERING_DECISIONS:
        raise OwnerRefused("Bitte wählen Sie „beschlossen“ oder „abgelehnt“.")
    meeting = _date(day or "")
    if meeting > dt.date.today():
        raise OwnerRefused("Die Sitzung des Lenkungskreises liegt in der Zukunft.")
    old = measure.get_steering_decision_display()
    measure.steering_decision = decision
    measure.steering_date = meeting
    measure.save(update_fields=["steering_decision", "steering_date"])
    PropertyEvent.objects.create(
        property=measure.property,
        actor=user,
        actor_name=_actor(user),
        summary=f"Lenkungskreis: {measure.get_kind_display()} {decision}",
        changes=[{"field": "Beschluss", "old": old, "new": f"{decision} am {meeting:%d.%m.%Y}"}],
    )
    record(
        user,
        AuditAction.CHANGE,
        object_type="property_measure",
        object_id=measure.pk,
        purpose="Beschluss des Lenkungskreises erfasst",
        details={"decision": decision, "date": meeting.isoformat()},
        request=request,
    )
    return measure
