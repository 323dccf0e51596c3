"""`make demo`: accounts for every role, a synthetic city with its Abgleich, and the case work a city's
staff see when they try the demo (campaigns, reviews, an inspection, outcomes, measures, letters)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from missimo import demo, demo_casework
from missimo.accounts.models import User
from missimo.audit.models import AuditEvent
from missimo.casework.models import Campaign, Case, CaseEvent, CaseStatus, HintReview, ReviewDecision
from missimo.inspections.models import (
    Household,
    Inspection,
    InspectionFinding,
    InspectionStatus,
    ProtocolChange,
    Visit,
)
from missimo.outcomes.models import (
    AgencyMeasure,
    Letter,
    LetterEvent,
    LetterStatus,
    LetterTemplate,
    Outcome,
    OutcomeResult,
)
from missimo.properties.models import Ampel, Owner, PropertyEvent
from missimo.reports import figures
from missimo.reports.services import default_period

# Transactional, as `missimo demo` runs: each import and run commits, so what listens to a new snapshot
# or a finished run (the register) follows at once.
pytestmark = pytest.mark.django_db(databases="__all__", transaction=True)

MODELS = (
    Campaign,
    Case,
    CaseEvent,
    HintReview,
    Inspection,
    Visit,
    Household,
    ProtocolChange,
    InspectionFinding,
    Outcome,
    AgencyMeasure,
    Letter,
    LetterEvent,
    User,
    Owner,
    PropertyEvent,
)


def _counts() -> dict[str, int]:
    counts = {model.__name__: model.objects.count() for model in MODELS}
    counts["AuditEvent"] = AuditEvent.objects.using("audit").count()
    return counts


def test_the_demo_shows_the_whole_job_and_is_prepared_only_once(settings, tmp_path, monkeypatch, client):
    settings.DATA_DIR = tmp_path
    monkeypatch.setattr(demo, "DEMO_RESIDENTS", 1500)
    # A transactional test before this one flushes the rows the migrations seeded, and an
    # administrator may have deleted the default letter templates: the demo puts them back.
    LetterTemplate.objects.all().delete()
    accounts = demo.prepare_demo(echo=lambda *_: None)
    assert {"koordination", "koordination2"} <= {a.username for a in accounts}
    assert {"zoll", "wohnungsaufsicht", "staatsanwaltschaft", "schulleitung"} <= {
        a.username for a in accounts
    }
    # The Schulleitung heads a school of the synthetic city and sees its pupils' absence hints.
    head = User.objects.get(username="schulleitung")
    assert head.agency.schulnummer
    client.force_login(head)
    # (The Hinweise list is a table without the Primärbeleg since the list helper: look for the IDs.)
    from missimo.runs.models import Hint as _Hint

    own = list(
        _Hint.objects.filter(primary_ref__startswith=f"schule:{head.agency.schulnummer}/").values_list(
            "hint_id", flat=True
        )
    )
    listed = client.get(reverse("runs:hints")).text
    assert own and any(hint_id in listed for hint_id in own)
    client.logout()

    # Two monthly runs: this month's marks hints against last month's (ADR 0005).
    from missimo.runs.models import Hint, Run

    first, second = Run.objects.order_by("pk")
    assert first.stichtag < second.stichtag
    assert second.counts["hints_entfallen"] >= demo.DEMO_STOPPED
    assert second.counts["hints_geaendert"] >= 1 and second.counts["hints_neu"] >= 1
    assert second.counts["hints_unveraendert"] > 0
    changed = Hint.objects.filter(run=second, change="geaendert", primary_ref__startswith="kindergeld:")
    assert any(c["field"] == "amount" for hint in changed for c in hint.changes)
    assert Hint.objects.filter(run=second, change="neu", primary_ref__startswith="kindergeld:999FK").exists()
    assert Hint.objects.filter(change="entfallen", run=first).count() == second.counts["hints_entfallen"]

    # The dashboard's default period (this year up to today): confirmed abuse and money stopped.
    start, end = default_period()
    shown = figures.figures_for(start, end)
    outcomes = shown.table("ergebnisse_behoerde")
    assert outcomes.value("Summe", str(OutcomeResult.MISSBRAUCH.label)) > 0
    money = shown.table("geld_behoerde")
    assert money.value("Summe", "eingestellt (€/Monat)") > Decimal("0")
    assert money.value("Summe", "zurückgefordert (€)") > Decimal("0")
    assert shown.table("kontrollen_kennzahlen").value("kontrollierte Objekte") > 0
    lights = shown.table("objekte_ampel")
    assert (
        lights.value(str(Ampel.ROT.label), "Anzahl") > 0 and lights.value(str(Ampel.GELB.label), "Anzahl") > 0
    )
    kinds = set(AgencyMeasure.objects.values_list("kind", flat=True))
    assert {"kindergeld_eingestellt", "rueckforderung"} <= kinds

    # A past campaign worked to the end, a current one under way.
    past = Campaign.objects.get(name=demo_casework.PAST_NAME)
    current = Campaign.objects.get(name=demo_casework.CURRENT_NAME)
    today = timezone.localdate()
    assert past.end < today and current.start <= today <= current.end
    assert past.run_id == current.run_id is not None
    past_statuses = list(past.cases.values_list("status", flat=True))
    assert set(past_statuses) <= {CaseStatus.ABGESCHLOSSEN, CaseStatus.MASSNAHMEN, CaseStatus.VERWORFEN}
    assert past_statuses.count(CaseStatus.VERWORFEN) == 1
    assert past_statuses.count(CaseStatus.ABGESCHLOSSEN) >= len(past_statuses) // 2
    current_statuses = set(current.cases.values_list("status", flat=True))
    assert {CaseStatus.NEU, CaseStatus.IN_PRUEFUNG, CaseStatus.KONTROLLE_GEPLANT} == current_statuses
    assert not set(past.cases.values_list("property", flat=True)) & set(
        current.cases.values_list("property", flat=True)
    )
    # Every step in the cases' histories, by named demo users.
    closed = past.cases.filter(status=CaseStatus.ABGESCHLOSSEN, inspection_visits__isnull=False).first()
    steps = list(closed.events.order_by("occurred_at", "id").values_list("to_status", flat=True))
    assert steps[-1] == CaseStatus.ABGESCHLOSSEN and CaseStatus.KONTROLLIERT in steps
    assert not Case.objects.filter(campaign__isnull=False, assigned_to__isnull=True).exists()
    assert HintReview.objects.filter(decision=ReviewDecision.VERWORFEN).exclude(reason_code="").count() >= 1

    # One inspection carried out with its findings and protocol; one planned ahead for the tablet.
    done = Inspection.objects.get(campaign=past)
    assert done.status == InspectionStatus.DURCHGEFUEHRT
    assert InspectionFinding.objects.filter(visit__inspection=done, finding="bestaetigt").exists()
    assert ProtocolChange.objects.filter(visit__inspection=done).exists()
    planned = Inspection.objects.get(campaign=current)
    assert planned.status == InspectionStatus.GEPLANT and planned.scheduled_at > timezone.now()
    assert planned.members.filter(username="polizei").exists()

    # Letters: one released by a second person of the coordination office, one awaiting release.
    released = Letter.objects.get(status=LetterStatus.FREIGEGEBEN)
    assert released.recipient.kind == "familienkasse"
    assert released.author.username == "koordination" and released.approved_by.username == "koordination2"
    assert Letter.objects.filter(status=LetterStatus.ZUR_FREIGABE).count() == 1

    # What users see: the dashboard, their own cases, the Ergebnisse, the Kontrollen.
    audited = set(AuditEvent.objects.using("audit").values_list("object_type", flat=True))
    assert {"campaign", "hint_review", "case", "inspection", "outcome", "agency_measure", "letter"} <= audited
    kim = User.objects.get(username="koordination")
    client.force_login(kim)
    page = client.get(reverse("reports:dashboard"))
    assert page.status_code == 200 and "Missbrauch bestätigt" in page.content.decode()
    assert client.get(reverse("casework:my_cases")).context["page"].paginator.count >= 1
    assert client.get(reverse("inspections:list")).status_code == 200
    fabian = User.objects.get(username="familienkasse")
    assert Case.objects.filter(assigned_to=fabian).exists()
    client.force_login(fabian)
    assert client.get(reverse("outcomes:list")).status_code == 200

    # The demo school is a school of the city, with pupils to find and a key to sign with.
    from missimo.certificates import services as certificates

    school = User.objects.get(username="schule")
    pupils = certificates._snapshot_rows(school.agency.schulnummer)
    assert pupils and certificates.active_key(school.agency.schulnummer) is not None
    client.force_login(school)
    found = client.get(reverse("certificates:issue"), {"q": pupils[0].nachname}).content.decode()
    assert pupils[0].vorname in found and "kein Signaturschlüssel" not in found

    # The network's features have data: contacts in the school register, a worker accommodation
    # with its employer, and an owner with two properties whose page lists both.
    from missimo.certificates.models import School
    from missimo.properties.models import Property

    assert School.objects.exists() and not School.objects.filter(contact_person="").exists()
    assert School.objects.filter(email__endswith="@schulen.example").exclude(phone="").exists()
    accommodation = Property.objects.get(kategorie_beschaeftigte=True)
    assert accommodation.arbeitgeber
    owner = Owner.objects.get(name=demo_casework.DEMO_OWNER["name"])
    assert owner.properties.count() == 2
    client.force_login(kim)
    owner_page = client.get(reverse("properties:owner_detail", args=[owner.pk])).content.decode()
    assert all(prop.address in owner_page for prop in owner.properties.all())
    register = client.get(reverse("certificates:schools")).content.decode()
    assert "@schulen.example" in register

    # A second start of the demo changes nothing.
    before = _counts()
    demo.prepare_demo(echo=lambda *_: None)
    assert _counts() == before


def test_the_demo_city_carries_the_configured_city_name_in_its_addresses_but_neighbours_keep_theirs(
    tmp_path,
):
    from missimo.demo import name_city

    (tmp_path / "truth").mkdir()
    (tmp_path / "objekte.csv").write_text(
        "Strasse;PLZ;Ort\r\nBahnhofstraße;44623;Herne\r\nKortumstraße;44787;Bochum\r\nHerner Straße;44625;Herne\r\n",
        encoding="utf-8",
    )
    (tmp_path / "truth" / "schulen.csv").write_text("Schulname\nGrundschule Herne-Mitte\n", encoding="utf-8")
    name_city(tmp_path, "Musterstadt")
    assert (tmp_path / "objekte.csv").read_bytes().decode("utf-8") == (
        "Strasse;PLZ;Ort\r\nBahnhofstraße;44623;Musterstadt\r\nKortumstraße;44787;Bochum\r\n"
        "Herner Straße;44625;Musterstadt\r\n"
    )
    assert "Grundschule Musterstadt-Mitte" in (tmp_path / "truth" / "schulen.csv").read_text(encoding="utf-8")
