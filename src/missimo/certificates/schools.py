"""The school register: the city's schools with Schulnummer, school form and contact, whether the
`schule` delivery in force names them and when they last delivered, and their participation per
calendar year (the committee report lists the schools that take part and those that do not).

A delivery of the `schule` source is one file of many schools (rows carry the Schulnummer); each
delivery in force is recorded per school (`SchoolDelivery`), so the register needs no old files.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from missimo import engine
from missimo.accounts.models import Agency, AgencyKind
from missimo.certificates.models import School, SchoolDelivery
from missimo.imports.services import current_snapshots

log = logging.getLogger(__name__)

# A school's name usually starts with its form ("Grundschule Am Markt", "Städtisches Gymnasium ...").
_FORM_WORDS = (
    ("grundschule", School.Form.GRUNDSCHULE),
    ("hauptschule", School.Form.HAUPTSCHULE),
    ("realschule", School.Form.REALSCHULE),
    ("sekundarschule", School.Form.SEKUNDARSCHULE),
    ("gesamtschule", School.Form.GESAMTSCHULE),
    ("gymnasium", School.Form.GYMNASIUM),
    ("förderschule", School.Form.FOERDERSCHULE),
    ("foerderschule", School.Form.FOERDERSCHULE),
    ("berufskolleg", School.Form.BERUFSKOLLEG),
)


def form_from_name(name: str) -> str:
    """The school form a school's name states ("" when it states none)."""
    lowered = (name or "").lower()
    for word, form in _FORM_WORDS:
        if word in lowered:
            return form
    return ""


@transaction.atomic
def record_school_deliveries(delivery) -> int:
    """Record the `schule` delivery now in force per school: add the schools it names to the
    register, set delivery yes/no and the last delivery. Returns the number of schools named."""
    snapshot = current_snapshots().get("schule")
    if snapshot is None or not snapshot.path.exists():
        return 0
    when = getattr(delivery, "finished_at", None) or timezone.now()
    named = set()
    for number, name, pupils in engine.schools_with_pupils(snapshot.path):
        school, _ = School.objects.get_or_create(
            schulnummer=number,
            defaults={"name": name or f"Schule {number}", "schulform": form_from_name(name)},
        )
        school.in_current_delivery = True
        school.last_delivered_at = when
        school.last_pupils = pupils
        school.save(update_fields=["in_current_delivery", "last_delivered_at", "last_pupils"])
        SchoolDelivery.objects.update_or_create(
            school=school, import_id=delivery.pk, defaults={"delivered_at": when, "pupils": pupils}
        )
        named.add(number)
    School.objects.exclude(schulnummer__in=named).update(in_current_delivery=False)
    return len(named)


def register_known_schools() -> None:
    """Schools set up as agencies (for certificates or a Schulleitung) belong in the register."""
    known = set(School.objects.values_list("schulnummer", flat=True))
    for agency in Agency.objects.filter(kind=AgencyKind.SCHULE).exclude(schulnummer=""):
        if agency.schulnummer not in known:
            School.objects.create(
                schulnummer=agency.schulnummer, name=agency.name, schulform=form_from_name(agency.name)
            )
            known.add(agency.schulnummer)


def register() -> list[School]:
    register_known_schools()
    return list(School.objects.all())


@dataclass(frozen=True)
class Participation:
    """One school in the committee report: delivered in the report's year and in the year before."""

    school: School
    this_year: bool
    previous_year: bool


def participation(year: int) -> list[Participation]:
    """Every school of the register with whether a delivery in force named it in `year` and in the
    year before; schools that took part first, then by name. Schools set up only as agencies count
    as registered schools that have not delivered (nothing is written here)."""
    by_year: dict[int, set[int]] = {year: set(), year - 1: set()}
    start = dt.date(year - 1, 1, 1)
    end = dt.date(year, 12, 31)
    for school_id, delivered_at in SchoolDelivery.objects.filter(
        delivered_at__date__gte=start, delivered_at__date__lte=end
    ).values_list("school_id", "delivered_at"):
        by_year[timezone.localtime(delivered_at).year].add(school_id)
    schools = list(School.objects.all())
    known = {school.schulnummer for school in schools}
    for agency in Agency.objects.filter(kind=AgencyKind.SCHULE).exclude(schulnummer="").order_by("name"):
        if agency.schulnummer not in known:
            schools.append(
                School(
                    schulnummer=agency.schulnummer, name=agency.name, schulform=form_from_name(agency.name)
                )
            )
            known.add(agency.schulnummer)
    rows = [
        Participation(school, school.pk in by_year[year], school.pk in by_year[year - 1])
        for school in schools
    ]
    return sorted(rows, key=lambda row: (not row.this_year, row.school.name, row.school.schulnummer))
