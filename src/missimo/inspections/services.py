"""Named operations on Kontrollen: who sees which inspection, planning (with the expected persons
derived from the hints of each case), the field protocol's autosave with optimistic locking and
idempotent retries, photos in the data directory, and completion (findings + case status)."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.core import signing
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from missimo.accounts import policy
from missimo.accounts.models import User
from missimo.accounts.policy import Capability, Field
from missimo.audit.models import AuditAction
from missimo.audit.services import record
from missimo.casework import services as casework
from missimo.casework.models import Campaign, Case, CaseEvent, CaseStatus
from missimo.core import errors, notify
from missimo.core.datadir import data_path
from missimo.inspections.models import (
    ChildrenPresent,
    Defect,
    ExpectedPerson,
    Finding,
    HelpNeed,
    Household,
    Inspection,
    InspectionFinding,
    InspectionStatus,
    Photo,
    Presence,
    ProtocolChange,
    Visit,
    VisitStatus,
)
from missimo.properties import services as properties

# --- need-to-know ----------------------------------------------------------------------------


def may_use(user) -> bool:
    return policy.can(user, Capability.TAKE_PART_IN_INSPECTIONS)


def inspections_for(user) -> QuerySet[Inspection]:
    """Inspections this user may see: all for the coordination office; otherwise only those in
    which the user's agency (or the user by name) takes part."""
    if not may_use(user):
        return Inspection.objects.none()
    queryset = Inspection.objects.select_related("campaign")
    if policy.can(user, Capability.SEE_ALL_AGENCIES):
        return queryset
    scope = Q(members=user)
    if user.agency_id:
        scope |= Q(agencies=user.agency_id)
    return queryset.filter(pk__in=Inspection.objects.filter(scope).values("pk"))


def visits_for(user) -> QuerySet[Visit]:
    return Visit.objects.filter(inspection__in=inspections_for(user)).select_related(
        "inspection", "case", "case__property"
    )


def cases_to_plan(campaign: Campaign) -> QuerySet[Case]:
    """Cases of the campaign that can still be put on an inspection."""
    return (
        campaign.cases.filter(
            status__in=[CaseStatus.NEU, CaseStatus.IN_PRUEFUNG, CaseStatus.KONTROLLE_GEPLANT]
        )
        .select_related("property")
        .order_by("aktenzeichen")
    )


def may_edit_protocol(user, visit: Visit) -> bool:
    return may_use(user) and not visit.is_completed and visit.inspection.status != InspectionStatus.ABGESAGT


class Refused(errors.Refused):
    """An operation on an inspection was refused; `message` is German and shown to the user."""


class Conflict(errors.Conflict):
    """Someone saved the same flat/household since the tablet last saw it."""

    message = (
        "Nicht gespeichert: Jemand anderes hat diese Wohnung inzwischen geändert. "
        "Ihre Eingabe ist erhalten; bitte prüfen Sie den aktuellen Stand und speichern Sie erneut."
    )

    def __init__(self, current) -> None:
        super().__init__()
        self.current = current


# --- the case workflow (helper A's casework.services) ----------------------------------------


def transition_case(user, case: Case, to_status: str, reason: str) -> Case:
    """Move a case through casework.services.transition (the only way a case changes status);
    refusals arrive as Refused with casework's German message."""

    try:
        return casework.transition(user, case, to_status, reason)
    except casework.TransitionRefused as refused:
        raise Refused(str(refused)) from refused


# --- planning ---------------------------------------------------------------------------------

# Hint facts that name a person, with the matching birth-date key and the person's role.
_NAMED_IN_FACTS = (
    ("kind_name", "kind_geburtsdatum", "Kind", 0),
    ("berechtigt_name", None, "kindergeldberechtigte Person", 1),
    ("name", "geburtsdatum", "Person laut Hinweis", 0),
)


def _date(value) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def expected_persons_of(hint) -> list[dict]:
    """The persons a hint names (name, birth date, role), with their linkage id where known."""
    facts = hint.facts or {}
    person_ids = list(hint.person_ids or [])
    persons = []
    for name_key, birth_key, role, index in _NAMED_IN_FACTS:
        name = facts.get(name_key)
        if not name:
            continue
        persons.append(
            {
                "person_ref": str(person_ids[index]) if index < len(person_ids) and person_ids[index] else "",
                "name": str(name)[:300],
                "birth_date": _date(facts.get(birth_key)) if birth_key else None,
                "role": role,
            }
        )
    return persons


def _households_of_case(case: Case) -> list[tuple[str, list[str], list[dict]]]:
    """One planned household per hint that names persons (a Kindergeld hint: child and entitled
    person together); a person named by several hints appears once, in the first household."""
    planned, seen = [], set()
    for hint in case.hints.order_by("rule", "primary_ref"):
        persons = []
        for person in expected_persons_of(hint):
            key = person["person_ref"] or (person["name"].casefold(), person["birth_date"])
            if key in seen:
                continue
            seen.add(key)
            persons.append({**person, "hint_ids": [hint.hint_id]})
        if persons:
            planned.append((f"Haushalt {len(planned) + 1} laut Hinweisen", [hint.hint_id], persons))
    if not planned:
        planned.append(("Objekt allgemein", [h.hint_id for h in case.hints.all()], []))
    return planned


def _residents(case: Case) -> int | None:
    if case.property is None:
        return None

    try:
        return properties.residents_count(case.property)
    except Exception:  # a missing or unreadable snapshot must not stop planning
        return None


@dataclass
class Plan:
    campaign: Campaign
    scheduled_at: dt.datetime
    meeting_point: str
    agencies: list
    members: list
    members_text: str = ""
    interpreter_needed: bool = False
    interpreter_language: str = ""
    notes: str = ""
    # A date in the past is refused unless the planner confirms that the inspection is recorded afterwards.
    past_confirmed: bool = False


class PastDate(Refused):
    """The inspection's date and time lie in the past and the planner has not confirmed it."""

    def __init__(self, when: dt.datetime) -> None:
        super().__init__(
            f"Der {timezone.localtime(when):%d.%m.%Y, %H:%M} Uhr liegt in der Vergangenheit. Eine Kontrolle "
            "mit vergangenem Termin wird nur gespeichert, wenn Sie bestätigen, dass sie nachträglich erfasst wird."
        )


def _refuse_unconfirmed_past(plan: Plan) -> None:
    if plan.scheduled_at < timezone.now() and not plan.past_confirmed:
        raise PastDate(plan.scheduled_at)


def plan_inspection(user, plan: Plan, cases: list[Case], *, request=None) -> Inspection:
    """Create the inspection, a visit per case with its planned households and expected persons,
    and move each case to "Kontrolle geplant" (through the case workflow)."""
    if not policy.can(user, Capability.PLAN_INSPECTIONS):
        raise Refused("Sie dürfen keine Kontrollen planen.")
    if not cases:
        raise Refused("Bitte wählen Sie mindestens ein Objekt (Prüffall) aus.")
    if any(case.campaign_id != plan.campaign.pk for case in cases):
        raise Refused("Es können nur Prüffälle dieses Aktionszeitraums kontrolliert werden.")
    _refuse_unconfirmed_past(plan)
    with transaction.atomic():
        inspection = Inspection.objects.create(
            campaign=plan.campaign,
            scheduled_at=plan.scheduled_at,
            meeting_point=plan.meeting_point,
            members_text=plan.members_text,
            interpreter_needed=plan.interpreter_needed,
            interpreter_language=plan.interpreter_language if plan.interpreter_needed else "",
            notes=plan.notes,
            created_by=user,
        )
        inspection.agencies.set(plan.agencies)
        inspection.members.set(plan.members)
        when = timezone.localtime(plan.scheduled_at)
        for position, case in enumerate(cases, start=1):
            visit = Visit.objects.create(
                inspection=inspection, case=case, position=position, residents_registered=_residents(case)
            )
            for label, hint_ids, persons in _households_of_case(case):
                household = Household.objects.create(visit=visit, label=label, hint_ids=hint_ids)
                ExpectedPerson.objects.bulk_create(
                    ExpectedPerson(household=household, **person) for person in persons
                )
            if case.status == CaseStatus.NEU:
                transition_case(user, case, CaseStatus.IN_PRUEFUNG, "Für eine Kontrolle ausgewählt")
            if case.status != CaseStatus.KONTROLLE_GEPLANT:
                transition_case(
                    user,
                    case,
                    CaseStatus.KONTROLLE_GEPLANT,
                    f"Kontrolle geplant am {when:%d.%m.%Y um %H:%M} Uhr, Treffpunkt {plan.meeting_point}",
                )
    record(
        user,
        AuditAction.CREATE,
        object_type="inspection",
        object_id=inspection.pk,
        purpose="Planung einer Kontrolle",
        details={
            "campaign": plan.campaign.pk,
            "cases": [case.aktenzeichen for case in cases],
            "agencies": [agency.pk for agency in plan.agencies],
        },
        request=request,
    )
    return inspection


class StalePlan(Refused):
    """The inspection was changed by someone else since the form was opened."""

    def __init__(self) -> None:
        super().__init__(
            "Nicht gespeichert: Die Kontrolle wurde inzwischen von jemand anderem geändert. "
            "Darunter steht der aktuelle Stand, im Formular Ihre Eingabe; wenn Sie erneut speichern, "
            "ersetzt Ihre Eingabe den aktuellen Stand."
        )


def plan_shown(inspection: Inspection) -> dict[str, str]:
    when = timezone.localtime(inspection.scheduled_at)
    return {
        "Datum und Uhrzeit": f"{when:%d.%m.%Y %H:%M} Uhr",
        "Treffpunkt": inspection.meeting_point,
        "Beteiligte Behörden": ", ".join(sorted(a.name for a in inspection.agencies.all())),
        "Team": ", ".join(sorted(m.display_name for m in inspection.members.all())),
        "Weitere Teammitglieder": inspection.members_text,
        "Dolmetschung": inspection.interpreter_language if inspection.interpreter_needed else "nein",
        "Hinweise zur Durchführung": inspection.notes,
    }


def replan_inspection(user, inspection: Inspection, plan: Plan, version: int, *, request=None) -> Inspection:
    """Change date, time, meeting point, team or interpreting of a planned inspection (no lost
    updates: `version` is the one the form showed). A new date or time is written into the history
    of every case visited, so that the agencies see the rescheduling."""
    if not policy.can(user, Capability.PLAN_INSPECTIONS):
        raise Refused("Nur die Koordinierungsstelle kann eine Kontrolle ändern.")
    with transaction.atomic():
        current = Inspection.objects.select_for_update().get(pk=inspection.pk)
        if current.status != InspectionStatus.GEPLANT:
            raise Refused("Nur eine geplante Kontrolle kann geändert werden.")
        if current.version != version:
            raise StalePlan()
        if plan.scheduled_at != current.scheduled_at:
            _refuse_unconfirmed_past(plan)
        before = plan_shown(current)
        current.scheduled_at = plan.scheduled_at
        current.meeting_point = plan.meeting_point
        current.members_text = plan.members_text
        current.interpreter_needed = plan.interpreter_needed
        current.interpreter_language = plan.interpreter_language if plan.interpreter_needed else ""
        current.notes = plan.notes
        current.agencies.set(plan.agencies)
        current.members.set(plan.members)
        after = plan_shown(current)
        changes = [
            {"field": field, "old": before[field], "new": after[field]}
            for field in before
            if before[field] != after[field]
        ]
        if not changes:
            return current
        current.version += 1
        current.save()
        if (
            before["Datum und Uhrzeit"] != after["Datum und Uhrzeit"]
            or before["Treffpunkt"] != after["Treffpunkt"]
        ):
            for visit in current.visits.select_related("case"):
                CaseEvent.objects.create(
                    case=visit.case,
                    actor=user,
                    actor_name=user.display_name,
                    kind="Kontrolle verlegt",
                    reason=f"Kontrolle jetzt am {after['Datum und Uhrzeit']}, Treffpunkt {current.meeting_point}",
                    changes=[c for c in changes if c["field"] in ("Datum und Uhrzeit", "Treffpunkt")],
                )
    record(
        user,
        AuditAction.CHANGE,
        object_type="inspection",
        object_id=current.pk,
        purpose="Änderung einer geplanten Kontrolle",
        details={"version": current.version, "changes": [c["field"] for c in changes]},
        request=request,
    )
    if (
        before["Datum und Uhrzeit"] != after["Datum und Uhrzeit"]
        or before["Treffpunkt"] != after["Treffpunkt"]
    ):
        notify.notify(
            current.members.exclude(pk=user.pk),
            "Kontrolle verlegt",
            "Eine Kontrolle, an der Sie teilnehmen, wurde in MISSIMO verlegt (neuer Termin oder Treffpunkt).",
            reverse("inspections:detail", args=[current.pk]),
        )
    return current


def cancel_inspection(user, inspection: Inspection, reason: str, *, request=None) -> Inspection:
    """Call off a planned inspection: its open protocols close for input, and each case that has no
    other planned inspection goes back to "in Prüfung" (through the case workflow) with `reason`."""
    if not policy.can(user, Capability.PLAN_INSPECTIONS):
        raise Refused("Nur die Koordinierungsstelle kann eine Kontrolle absagen.")
    reason = reason.strip()
    if len(reason) < 5:
        raise Refused("Bitte begründen Sie die Absage (mindestens 5 Zeichen).")
    with transaction.atomic():
        current = Inspection.objects.select_for_update().get(pk=inspection.pk)
        if current.status != InspectionStatus.GEPLANT:
            raise Refused("Nur eine geplante Kontrolle kann abgesagt werden.")
        current.status = InspectionStatus.ABGESAGT
        current.version += 1
        current.save(update_fields=["status", "version"])
        when = timezone.localtime(current.scheduled_at)
        for visit in current.visits.exclude(status=VisitStatus.ABGESCHLOSSEN).select_related("case"):
            elsewhere = (
                Visit.objects.filter(case=visit.case, inspection__status=InspectionStatus.GEPLANT)
                .exclude(status=VisitStatus.ABGESCHLOSSEN)
                .exists()
            )
            if visit.case.status == CaseStatus.KONTROLLE_GEPLANT and not elsewhere:
                transition_case(
                    user,
                    visit.case,
                    CaseStatus.IN_PRUEFUNG,
                    f"Kontrolle am {when:%d.%m.%Y} abgesagt: {reason}",
                )
    record(
        user,
        AuditAction.CHANGE,
        object_type="inspection",
        object_id=current.pk,
        purpose="Absage einer Kontrolle",
        details={"reason": reason},
        request=request,
    )
    return current


def record_person_read(user, visit: Visit, *, purpose: str, request=None) -> None:
    """Audit that expected persons of a visit were shown (names only for roles that see names)."""
    persons = ExpectedPerson.objects.filter(household__visit=visit)
    record(
        user,
        AuditAction.READ,
        object_type="inspection_visit",
        object_id=visit.pk,
        purpose=purpose,
        details={
            "case": visit.case.aktenzeichen,
            "persons": [p.pk for p in persons],
            "names_shown": policy.sees_field(user, Field.EXPECTED_PERSONS),
        },
        request=request,
    )


# --- the field protocol: autosave -----------------------------------------------------------

HOUSEHOLD_FIELDS = (
    "location",
    "persons_found",
    "children",
    "defects",
    "defects_other",
    "help_needs",
    "notes",
)
MAX_TEXT = 5000


def _clean(field: str, value):
    """Validate one field value from the tablet; raise Refused with a German message."""
    if field in ("location", "defects_other", "notes"):
        text = "" if value is None else str(value)
        limit = MAX_TEXT if field == "notes" else 200 if field == "location" else 300
        if len(text) > limit:
            raise Refused(f"Der Text ist zu lang (höchstens {limit} Zeichen).")
        return text
    if field == "persons_found":
        if value in (None, ""):
            return None
        try:
            number = int(str(value).strip())
        except ValueError as error:
            raise Refused("Bitte geben Sie die Anzahl als ganze Zahl ein.") from error
        if not 0 <= number <= 500:
            raise Refused("Die Anzahl muss zwischen 0 und 500 liegen.")
        return number
    if field == "children":
        if value not in ChildrenPresent.values:
            raise Refused("Unbekannte Angabe zu Kindern.")
        return value
    if field == "defects":
        values = value if isinstance(value, list) else []
        if any(v not in Defect.values for v in values):
            raise Refused("Unbekannter Mangel.")
        return [code for code in Defect.values if code in values]
    if field == "help_needs":
        values = value if isinstance(value, list) else []
        if any(v not in HelpNeed.values for v in values):
            raise Refused("Unbekannter Hilfebedarf.")
        return [code for code in HelpNeed.values if code in values]
    if field.startswith("person:"):
        if value not in Presence.values:
            raise Refused("Unbekannte Angabe zur Person.")
        return value
    raise Refused("Unbekanntes Feld.")


def household_state(household: Household) -> dict:
    """The saved values of a household as the tablet shows them (for conflicts and reloads)."""
    state = {field: getattr(household, field) for field in HOUSEHOLD_FIELDS}
    for person in household.persons.all():
        state[f"person:{person.pk}"] = person.presence
    return {"version": household.version, "values": state}


def _current(household: Household, field: str):
    if field.startswith("person:"):
        person = household.persons.filter(pk=field.split(":", 1)[1]).first() if field[7:].isdigit() else None
        return person.presence if person is not None else None
    return getattr(household, field)


@dataclass
class Saved:
    version: int
    repeated: bool = False


def save_field(
    user,
    visit: Visit,
    household_id: int,
    field: str,
    value,
    version: int,
    change_id: str,
    *,
    request=None,
) -> Saved:
    """Save one field of a household's protocol if the household is still at `version` (else
    Conflict). A retried change (same change_id) is answered with the version it produced."""
    if not may_edit_protocol(user, visit):
        raise Refused("Dieses Protokoll ist abgeschlossen und kann nicht mehr geändert werden.")
    if not change_id or len(change_id) > 64:
        raise Refused("Kennung der Änderung fehlt.")
    done = ProtocolChange.objects.filter(change_id=change_id).first()
    if done is not None:
        if done.visit_id != visit.pk:
            raise Refused("Kennung der Änderung gehört zu einem anderen Protokoll.")
        return Saved(done.version_after, repeated=True)
    if field not in HOUSEHOLD_FIELDS and not field.startswith("person:"):
        raise Refused("Unbekanntes Feld.")
    clean = _clean(field, value)
    with transaction.atomic():
        household = Household.objects.select_for_update().filter(visit=visit, pk=household_id).first()
        if household is None:
            raise Refused("Unbekannte Wohnung.")
        if household.version != version:
            raise Conflict(household_state(household))
        if _current(household, field) == clean:
            return Saved(household.version)
        if field.startswith("person:"):
            try:
                person_pk = int(field.split(":", 1)[1])
            except ValueError as error:
                raise Refused("Unbekannte Person.") from error
            person = household.persons.filter(pk=person_pk).first()
            if person is None:
                raise Refused("Unbekannte Person.")
            old = person.presence
            person.presence = clean
            person.save(update_fields=["presence"])
        else:
            old = getattr(household, field)
            setattr(household, field, clean)
        household.version += 1
        household.updated_at = timezone.now()
        household.save(update_fields=[*HOUSEHOLD_FIELDS, "version", "updated_at"])
        ProtocolChange.objects.create(
            change_id=change_id,
            visit=visit,
            household=household,
            field=field,
            old_value=old,
            new_value=clean,
            version_after=household.version,
            actor=user,
        )
        if visit.status == VisitStatus.OFFEN:
            Visit.objects.filter(pk=visit.pk, status=VisitStatus.OFFEN).update(status=VisitStatus.IN_ARBEIT)
    record(
        user,
        AuditAction.CHANGE,
        object_type="inspection_household",
        object_id=household.pk,
        purpose="Protokoll einer Kontrolle vor Ort",
        details={"visit": visit.pk, "field": field, "version": household.version, "change": change_id},
        request=request,
    )
    return Saved(household.version)


def clean_household_values(household: Household, data) -> dict:
    """The values of a whole household form (the page without JavaScript), cleaned; `data` is a
    QueryDict. Raises Refused for invalid input."""
    values = {
        "location": data.get("location", ""),
        "persons_found": data.get("persons_found", ""),
        "children": data.get("children", ""),
        "defects": data.getlist("defects"),
        "defects_other": data.get("defects_other", ""),
        "help_needs": data.getlist("help_needs"),
        "notes": data.get("notes", ""),
    }
    for person in household.persons.all():
        values[f"person:{person.pk}"] = data.get(f"person:{person.pk}", person.presence)
    return {field: _clean(field, value) for field, value in values.items()}


def save_household(user, visit: Visit, household_id: int, data, version: int, *, request=None) -> Household:
    """Save a whole household form in one step (the page without JavaScript), with the same
    optimistic locking as the autosave."""
    if not may_edit_protocol(user, visit):
        raise Refused("Dieses Protokoll ist abgeschlossen und kann nicht mehr geändert werden.")
    with transaction.atomic():
        household = Household.objects.select_for_update().filter(visit=visit, pk=household_id).first()
        if household is None:
            raise Refused("Unbekannte Wohnung.")
        values = clean_household_values(household, data)
        if household.version != version:
            raise Conflict(household_state(household))
        changed = [(field, _current(household, field), value) for field, value in values.items()]
        changed = [(field, old, new) for field, old, new in changed if old != new]
        if not changed:
            return household
        household.version += 1
        household.updated_at = timezone.now()
        for field, old, new in changed:
            if field.startswith("person:"):
                household.persons.filter(pk=int(field.split(":", 1)[1])).update(presence=new)
            else:
                setattr(household, field, new)
            ProtocolChange.objects.create(
                change_id=uuid.uuid4().hex,
                visit=visit,
                household=household,
                field=field,
                old_value=old,
                new_value=new,
                version_after=household.version,
                actor=user,
            )
        household.save(update_fields=[*HOUSEHOLD_FIELDS, "version", "updated_at"])
        if visit.status == VisitStatus.OFFEN:
            Visit.objects.filter(pk=visit.pk, status=VisitStatus.OFFEN).update(status=VisitStatus.IN_ARBEIT)
    record(
        user,
        AuditAction.CHANGE,
        object_type="inspection_household",
        object_id=household.pk,
        purpose="Protokoll einer Kontrolle vor Ort",
        details={"visit": visit.pk, "fields": [f for f, _, _ in changed], "version": household.version},
        request=request,
    )
    return household


def add_household(user, visit: Visit, location: str, *, request=None) -> Household:
    if not may_edit_protocol(user, visit):
        raise Refused("Dieses Protokoll ist abgeschlossen und kann nicht mehr geändert werden.")
    location = location.strip()[:200]
    number = visit.households.filter(added_in_field=True).count() + 1
    household = Household.objects.create(
        visit=visit,
        label=f"Weitere Wohnung {number}",
        location=location,
        added_in_field=True,
    )
    record(
        user,
        AuditAction.CREATE,
        object_type="inspection_household",
        object_id=household.pk,
        purpose="Protokoll einer Kontrolle vor Ort",
        details={"visit": visit.pk},
        request=request,
    )
    return household


# --- photos -----------------------------------------------------------------------------------

PHOTO_MAX_BYTES = 10 * 1024 * 1024
PHOTO_TYPES = {  # magic bytes -> (content type, suffix)
    b"\xff\xd8\xff": ("image/jpeg", ".jpg"),
    b"\x89PNG\r\n\x1a\n": ("image/png", ".png"),
}


def _photo_type(head: bytes) -> tuple[str, str] | None:
    for magic, kind in PHOTO_TYPES.items():
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return ("image/webp", ".webp")
    return None


def store_photo(user, visit: Visit, upload, caption: str = "", household=None, *, request=None) -> Photo:
    """Keep an uploaded photo under <data dir>/inspections/<inspection>/<visit>/ with a name of
    our own choosing (the uploaded file name is never used as a path)."""
    if not may_edit_protocol(user, visit):
        raise Refused("Dieses Protokoll ist abgeschlossen; es können keine Fotos mehr ergänzt werden.")
    if upload.size > PHOTO_MAX_BYTES:
        raise Refused(
            f"Das Foto ist größer als {PHOTO_MAX_BYTES // (1024 * 1024)} MiB und wurde nicht gespeichert."
        )
    head = upload.read(16)
    kind = _photo_type(head)
    if kind is None:
        raise Refused("Nur Fotos im Format JPEG, PNG oder WebP können gespeichert werden.")
    content_type, suffix = kind
    relative = f"inspections/{visit.inspection_id}/{visit.pk}/{uuid.uuid4().hex}{suffix}"
    destination = data_path(relative)
    destination.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    upload.seek(0)
    with open(destination, "wb") as out:
        for chunk in upload.chunks():
            size += len(chunk)
            if size > PHOTO_MAX_BYTES:
                out.close()
                destination.unlink(missing_ok=True)
                raise Refused("Das Foto ist zu groß und wurde nicht gespeichert.")
            digest.update(chunk)
            out.write(chunk)
    photo = Photo.objects.create(
        visit=visit,
        household=household,
        caption=caption.strip()[:300],
        stored_file=relative,
        content_type=content_type,
        size_bytes=size,
        sha256=digest.hexdigest(),
        uploaded_by=user,
    )
    record(
        user,
        AuditAction.CREATE,
        object_type="inspection_photo",
        object_id=photo.pk,
        purpose="Foto zum Protokoll einer Kontrolle",
        details={"visit": visit.pk, "size": size, "sha256": photo.sha256},
        request=request,
    )
    return photo


def photo_file(photo: Photo) -> Path:
    """The stored file of a photo; ValueError if the stored path escapes the photo area."""
    path = data_path(photo.stored_file)
    if data_path("inspections") not in path.parents:
        raise ValueError("path outside the photo area")
    return path


# --- completion -------------------------------------------------------------------------------


def complete_visit(user, visit: Visit, findings: dict[int, tuple[str, str]], reason: str, *, request=None):
    """Close a property's protocol: one finding per hint of the case, and the case moves to
    "kontrolliert" with `reason` (through the case workflow). All or nothing."""
    if not policy.can(user, Capability.PLAN_INSPECTIONS):
        raise Refused("Nur die Koordinierungsstelle kann ein Protokoll abschließen.")
    if visit.is_completed:
        raise Refused("Dieses Protokoll ist bereits abgeschlossen.")
    reason = reason.strip()
    if not reason:
        raise Refused("Bitte geben Sie eine Begründung für den Abschluss an.")
    hints = list(visit.case.hints.all())
    missing = [h.hint_id for h in hints if h.pk not in findings or findings[h.pk][0] not in Finding.values]
    if missing:
        raise Refused("Bitte erfassen Sie für jeden Hinweis ein Ergebnis.")
    with transaction.atomic():
        locked = Visit.objects.select_for_update().get(pk=visit.pk)
        if locked.is_completed:
            raise Refused("Dieses Protokoll ist bereits abgeschlossen.")
        InspectionFinding.objects.bulk_create(
            InspectionFinding(
                visit=locked,
                case=locked.case,
                hint=hint,
                finding=findings[hint.pk][0],
                note=findings[hint.pk][1].strip()[:MAX_TEXT],
                recorded_by=user,
            )
            for hint in hints
        )
        locked.status = VisitStatus.ABGESCHLOSSEN
        locked.completed_at = timezone.now()
        locked.completed_by = user
        locked.version += 1
        locked.save(update_fields=["status", "completed_at", "completed_by", "version"])
        transition_case(user, locked.case, CaseStatus.KONTROLLIERT, reason)
        inspection = locked.inspection
        if not inspection.visits.exclude(status=VisitStatus.ABGESCHLOSSEN).exists():
            Inspection.objects.filter(pk=inspection.pk).update(status=InspectionStatus.DURCHGEFUEHRT)
    record(
        user,
        AuditAction.CHANGE,
        object_type="inspection_visit",
        object_id=visit.pk,
        purpose="Abschluss des Protokolls einer Kontrolle",
        details={
            "case": visit.case.aktenzeichen,
            "findings": {h.hint_id: findings[h.pk][0] for h in hints},
        },
        request=request,
    )
    return locked


def findings_for_case(case: Case) -> QuerySet[InspectionFinding]:
    """The inspection findings of a case (for the case page and the reports)."""
    return InspectionFinding.objects.filter(case=case).select_related("hint", "visit__inspection")


# --- the inspections as a calendar (ICS file and subscription for the team's calendars) -------

CALENDAR_SALT = "missimo.inspections.calendar"


def calendar_token(user) -> str:
    """The secret part of the user's subscription URL: signed, and void when the password changes
    or the account is deactivated."""
    return signing.dumps([user.pk, _password_mark(user)], salt=CALENDAR_SALT, compress=True)


def _password_mark(user) -> str:
    return hashlib.sha256(f"{user.pk}:{user.password}".encode()).hexdigest()[:12]


def user_of_calendar_token(token: str):
    """The active user whose subscription URL this is, or None."""
    try:
        pk, mark = signing.loads(token, salt=CALENDAR_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    user = User.objects.filter(pk=pk, is_active=True).first()
    if user is None or mark != _password_mark(user) or not may_use(user):
        return None
    return user


def inspections_ics(user, base_url: str = "") -> str:
    """The planned inspections this user takes part in as an iCalendar file (RFC 5545): date, time
    and a link; no address, meeting point or person (the calendar may live outside MISSIMO). A moved
    inspection keeps its UID with a higher SEQUENCE, so calendars move the entry."""
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//MISSIMO//Kontrollen//DE", "CALSCALE:GREGORIAN"]
    lines.append("X-WR-CALNAME:MISSIMO Kontrollen")
    planned = inspections_for(user).filter(status=InspectionStatus.GEPLANT).order_by("scheduled_at", "pk")
    for inspection in planned:
        start = inspection.scheduled_at.astimezone(dt.UTC)
        lines += [
            "BEGIN:VEVENT",
            f"UID:kontrolle-{inspection.pk}@missimo",
            f"SEQUENCE:{inspection.version}",
            f"DTSTAMP:{stamp}",
            f"DTSTART:{start:%Y%m%dT%H%M%SZ}",
            f"DTEND:{start + dt.timedelta(hours=2):%Y%m%dT%H%M%SZ}",
            f"SUMMARY:MISSIMO Kontrolle Nr. {inspection.pk}",
            f"URL:{base_url}{reverse('inspections:detail', args=[inspection.pk])}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"
