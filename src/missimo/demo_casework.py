"""The demo's case work: two Aktionszeiträume on the demo city's latest run, worked by the demo
accounts through the real services (so every step is validated, audited and in the histories).

- "Abgeschlossener Aktionszeitraum (Demo)", six weeks ending four weeks before today: the top of the
  ranking; the agencies review their hints (most proposed for inspection, some dismissed with a
  reason), one joint inspection visits most properties (field protocol for a few households,
  findings on every hint), the agencies record outcomes and measures (Kindergeld eingestellt,
  Rückforderung, Abmeldung von Amts wegen, Schulpflichtmaßnahme, Verfahren der Wohnungsaufsicht,
  ...), one case is discarded, one is handled without an inspection, and the coordination office
  writes two letters: one released in the four-eyes principle, one awaiting release.
- "Laufender Aktionszeitraum (Demo)", running now: the next properties of the ranking, cases in
  "neu", "in Prüfung" and "Kontrolle geplant", with an inspection planned a few days ahead so the
  tablet protocol can be tried.

- The network (`ensure_demo_network`, each step once): contacts in the school register, one property
  marked "Unterkunft für Beschäftigte" with its employer (from an employer-cluster hint where there
  is one), and one owner (a company) of the two properties at the top of the ranking.

Which property or hint plays which part is decided by rules over the run's data (rank, rule,
agency), never by ids: the synthetic city is generated from a fixed seed but with today as its
Stichtag. Idempotent: nothing happens once a demo campaign exists.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from missimo.accounts.models import User
from missimo.casework import services as casework
from missimo.casework.models import Campaign, Case, CaseStatus, ReviewReason
from missimo.inspections import services as inspections
from missimo.inspections.models import Household, Inspection
from missimo.outcomes import letters as outcome_letters
from missimo.outcomes import services as outcomes
from missimo.outcomes.defaults import ensure_default_templates
from missimo.outcomes.models import LetterTemplate
from missimo.runs.models import RankedProperty
from missimo.runs.services import latest_run

PAST_NAME = "Abgeschlossener Aktionszeitraum (Demo)"
CURRENT_NAME = "Laufender Aktionszeitraum (Demo)"
PAST_CASES = 8
CURRENT_CASES = 6

COORDINATION = "koordination"
SECOND_COORDINATION = "koordination2"
# The demo account that works the hints of each agency kind (see demo.DEMO_USERS).
USER_OF_KIND = {
    "familienkasse": "familienkasse",
    "jobcenter": "jobcenter",
    "schulamt": "schulamt",
    "gesundheitsamt": "gesundheitsamt",
    "bauaufsicht": "bauaufsicht",
}
KIND_ORDER = list(USER_OF_KIND)

M, F, K = "missbrauch", "fehler", "kein_befund"

# What the agencies found, per rule: results in turn for the rule's hints (in ranking order),
# with the note the agency writes.
RESULTS: dict[str, list[str]] = {
    "familienkasse": [M, M, M, F],
    "ARBEITGEBER_HAEUFUNG": [M, K],
    "SGB2_NACH_ABMELDUNG": [M],
    "SCHULABSENTISMUS": [M, K],
    "SCHULE_OHNE_MELDUNG": [F],
    "SEU_NICHT_ERSCHIENEN": [F],
    "MELDE_FLUKTUATION": [M],
    "UEBERBELEGUNG": [M],
}
NOTES: dict[tuple[str, str], str] = {
    ("familienkasse", M): "Das Kind lebt nach den Feststellungen nicht unter der gemeldeten Anschrift; "
    "der Anspruch ist entfallen.",
    ("familienkasse", F): "Die Zahlung beruhte auf einer nicht weitergegebenen Adressänderung; "
    "kein vorsätzliches Handeln erkennbar.",
    (
        "ARBEITGEBER_HAEUFUNG",
        M,
    ): "Die Beschäftigung bestand nur zum Schein; das Einkommen wurde nicht erzielt.",
    ("ARBEITGEBER_HAEUFUNG", K): "Beschäftigung bestätigt; Lohnunterlagen vollständig.",
    ("SGB2_NACH_ABMELDUNG", M): "Leistungen wurden nach dem Wegzug weiter bezogen.",
    ("SCHULABSENTISMUS", M): "Schulpflichtverletzung festgestellt; das Kind wurde nicht beschult.",
    ("SCHULABSENTISMUS", K): "Fehlzeiten durch ärztliche Atteste nachträglich entschuldigt.",
    (
        "SCHULE_OHNE_MELDUNG",
        F,
    ): "Die Anmeldung beim Einwohnermeldeamt war versäumt worden und ist nachgeholt.",
    ("SEU_NICHT_ERSCHIENEN", F): "Die Einladung ging an eine veraltete Anschrift; Untersuchung nachgeholt.",
    ("MELDE_FLUKTUATION", M): "Mehrere gemeldete Personen wohnen nicht im Objekt (Scheinanmeldungen).",
    ("UEBERBELEGUNG", M): "Überbelegung bei der Kontrolle festgestellt.",
}
FINDING_OF = {M: "bestaetigt", F: "nicht_feststellbar", K: "nicht_bestaetigt"}
FINDING_NOTES = {
    M: "Vor Ort bestätigt.",
    F: "Vor Ort nicht eindeutig feststellbar.",
    K: "Vor Ort nicht bestätigt.",
}


# Measures that follow an outcome (besides the Familienkasse's, see _outcomes_and_measures):
# (group, result) -> (measure kind, note, amount reclaimed).
MEASURES: dict[tuple[str, str], tuple[str, str, Decimal | None]] = {
    ("SGB2_NACH_ABMELDUNG", M): (
        "buergergeld_zurueck",
        "Erstattungsbescheid über die Leistungen nach dem Wegzug (zwei Monate).",
        Decimal("1126.00"),
    ),
    ("ARBEITGEBER_HAEUFUNG", M): (
        "anzeige",
        "Anzeige wegen des Verdachts auf Leistungsbetrug erstattet.",
        None,
    ),
    ("SCHULABSENTISMUS", M): (
        "schulpflicht",
        "Schulpflichtverfahren eingeleitet; Gespräch mit den Eltern.",
        None,
    ),
    ("SEU_NICHT_ERSCHIENEN", F): ("seu_nachgeholt", "Schuleingangsuntersuchung nachgeholt.", None),
    ("MELDE_FLUKTUATION", M): (
        "maengelbeseitigung",
        "Mängelbeseitigung angeordnet; das Meldeamt berichtigt das Melderegister (Abmeldung von Amts wegen).",
        None,
    ),
    ("UEBERBELEGUNG", M): (
        "wohnungsaufsicht",
        "Verfahren nach dem Wohnraumstärkungsgesetz NRW eingeleitet.",
        None,
    ),
}


def _group(hint) -> str:
    return "familienkasse" if hint.agency_kind == "familienkasse" else hint.rule


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _weekday_from(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


class _Demo:
    """The state of one seeding: users, agencies, dates and the counters of what was done."""

    def __init__(self) -> None:
        self.today = timezone.localdate()
        self.users = {u.username: u for u in User.objects.select_related("agency")}
        self.kim = self.users[COORDINATION]
        # The agencies of the demo accounts, e.g. the Familienkasse a letter goes to.
        self.agency_of_kind = {
            kind: self.users[name].agency for kind, name in USER_OF_KIND.items() if name in self.users
        }
        self.counts: Counter = Counter()

    def user_for(self, hint):
        return self.users.get(USER_OF_KIND.get(hint.agency_kind, ""), self.kim)

    def agencies(self, *usernames):
        return [self.users[name].agency for name in usernames if name in self.users]

    def reported(self, day: dt.date) -> dt.date:
        """A date of the past campaign's follow-up, kept within this year (the dashboard's default
        period) and never in the future."""
        return min(max(day, self.today.replace(month=1, day=1)), self.today)

    # --- steps, each through the services ------------------------------------------------

    def campaign(self, name: str, start: dt.date, end: dt.date, description: str, objekt_ids):
        campaign = casework.create_campaign(
            self.kim,
            {
                "name": name,
                "start": start,
                "end": end,
                "description": description,
                "agencies": list(casework.agencies_for_campaigns()),
            },
        )
        return campaign, casework.select_properties(self.kim, campaign, objekt_ids)

    def hints(self, case) -> list:
        return list(case.hints.order_by("rule", "primary_ref"))

    def lead_user(self, case):
        """The demo account of the agency with most hints in the case (the coordination office
        when no agency account fits)."""
        kinds = Counter(h.agency_kind for h in case.hints.all() if h.agency_kind in USER_OF_KIND)
        if not kinds:
            return self.kim
        kind = max(KIND_ORDER, key=lambda k: (kinds.get(k, 0), -KIND_ORDER.index(k)))
        return self.users.get(USER_OF_KIND[kind], self.kim)

    def assign(self, assignments: dict) -> None:
        by_user: dict = {}
        for case, user in assignments.items():
            by_user.setdefault(user, []).append(case)
        for user, cases in by_user.items():
            casework.assign_cases(self.kim, cases, user)

    def review(self, hint, decision: str = "bestaetigt", reason: str = "", note: str = "") -> None:
        casework.review_hint(self.user_for(hint), hint, decision, reason, note)
        self.counts[f"review_{decision}"] += 1

    def move(self, user, case, *steps: tuple[str, str]) -> None:
        for status, reason in steps:
            casework.transition(user, case, status, reason)

    def outcome(self, hint, case, result: str, day: dt.date) -> None:
        note = NOTES.get((_group(hint), result), "")
        outcomes.record_outcome(
            self.user_for(hint), hint, result=result, decided_on=day, note=note, case=case
        )
        self.counts[f"outcome_{result}"] += 1

    def measure(self, hint, case, kind: str, day: dt.date, note: str, **amounts) -> None:
        outcomes.add_measure(
            self.user_for(hint), hint, kind=kind, taken_on=day, note=note, case=case, **amounts
        )
        self.counts["measures"] += 1


# --- the past campaign ---------------------------------------------------------------------


def _past_campaign(demo: _Demo, objekt_ids: list[str]) -> None:
    end = demo.today - dt.timedelta(days=28)
    start = end - dt.timedelta(days=41)
    campaign, cases = demo.campaign(
        PAST_NAME,
        start,
        end,
        "Demo: ein abgeschlossener Aktionszeitraum mit Sichtung, gemeinsamer Kontrolle, Ergebnissen, "
        "Maßnahmen und Schreiben.",
        objekt_ids,
    )
    if not cases:
        return
    hints = {case.pk: demo.hints(case) for case in cases}

    # Roles of the cases: one discarded (the lowest-ranked one whose hints all belong to one
    # agency), one handled without an inspection (the lowest-ranked remaining one with a
    # Familienkasse hint), the others visited on one joint inspection.
    single_agency = [c for c in cases[1:] if hints[c.pk] and len({h.agency_kind for h in hints[c.pk]}) == 1]
    discarded = single_agency[-1] if single_agency and len(cases) >= 3 else None
    kept = [c for c in cases if c != discarded]
    with_benefit = [c for c in kept[2:] if any(h.agency_kind == "familienkasse" for h in hints[c.pk])]
    direct = with_benefit[-1] if with_benefit and len(kept) >= 4 else None
    inspected = [c for c in kept if c != direct]

    demo.assign({case: demo.lead_user(case) for case in cases})

    # The Prüfliste: the agencies review every hint. One hint of the largest inspected case (the
    # last of its most frequent rule) turns out to rest on outdated data.
    outdated = None
    largest = max(inspected, key=lambda c: (len(hints[c.pk]), -cases.index(c)), default=None)
    if largest is not None and len(hints[largest.pk]) >= 3:
        rule, _ = Counter(h.rule for h in hints[largest.pk]).most_common(1)[0]
        outdated = [h for h in hints[largest.pk] if h.rule == rule][-1]
    for case in cases:
        for hint in hints[case.pk]:
            if case == discarded:
                demo.review(
                    hint,
                    "verworfen",
                    ReviewReason.BEKANNT,
                    "Der Sachverhalt ist bereits bekannt und wurde im laufenden Verfahren geprüft.",
                )
            elif hint == outdated:
                demo.review(
                    hint,
                    "verworfen",
                    ReviewReason.VERALTET,
                    "Der Datenstand ist überholt; der Sachverhalt hat sich inzwischen erledigt.",
                )
            else:
                demo.review(hint)

    if discarded is not None:
        demo.move(
            demo.kim,
            discarded,
            (CaseStatus.IN_PRUEFUNG, "Sichtung der Hinweise durch die beteiligten Behörden."),
            (
                CaseStatus.VERWORFEN,
                "Alle Hinweise wurden von der zuständigen Behörde verworfen (bereits bekannt bzw. "
                "bearbeitet); eine Kontrolle ist nicht nötig.",
            ),
        )
    if direct is not None:
        demo.move(
            demo.lead_user(direct),
            direct,
            (CaseStatus.IN_PRUEFUNG, "Sichtung der Hinweise durch die beteiligten Behörden."),
        )

    # What each agency finds, per hint (in ranking order, each rule's results in turn).
    results: dict[int, str] = {}
    turns: Counter = Counter()
    for case in kept:
        for hint in hints[case.pk]:
            if hint != outdated:
                cycle = RESULTS.get(_group(hint), [K])
                results[hint.pk] = cycle[turns[_group(hint)] % len(cycle)]
                turns[_group(hint)] += 1

    # The joint inspection, two weeks into the campaign: findings flow back to the cases.
    inspection_day = _weekday_from(start + dt.timedelta(days=14))
    if inspected:
        _completed_inspection(demo, campaign, inspected, inspection_day, hints, results)

    # Outcomes about ten days after the inspection, measures a few days later.
    decided = demo.reported(inspection_day + dt.timedelta(days=10))
    taken = demo.reported(inspection_day + dt.timedelta(days=14))
    measured = {
        case.pk
        for case in kept
        if _outcomes_and_measures(demo, case, hints[case.pk], results, decided, taken)
    }

    # The cases' way to the end: Maßnahmen, letters, abgeschlossen. The case whose letter still
    # awaits release stays in Maßnahmen.
    approved_case, pending = _letter_cases(demo, kept, hints)
    pending_case = pending[0]
    for case in kept:
        if case.pk in measured or case in (direct, pending_case):
            reason = (
                "Sachverhalt nach Aktenlage eindeutig; Maßnahmen ohne Kontrolle."
                if case == direct
                else "Maßnahmen der Behörden eingeleitet."
            )
            demo.move(demo.lead_user(case), case, (CaseStatus.MASSNAHMEN, reason))
        else:
            demo.move(demo.kim, case, (CaseStatus.ABGESCHLOSSEN, "Keine Maßnahmen nötig."))
    _letters(demo, approved_case, pending)
    for case in kept:
        if (case.pk in measured or case == direct) and case != pending_case:
            demo.move(demo.kim, case, (CaseStatus.ABGESCHLOSSEN, "Maßnahmen umgesetzt; Fall abgeschlossen."))


def _outcomes_and_measures(demo: _Demo, case, hints, results, decided: dt.date, taken: dt.date) -> bool:
    """Each agency's outcome on its hints of the case and the measures that follow; True if any."""
    any_measure = False
    for hint in hints:
        result = results.get(hint.pk)
        if result is None:
            continue
        demo.outcome(hint, case, result, decided)
        group = _group(hint)
        if group == "familienkasse" and result in (M, F):
            demo.measure(
                hint,
                case,
                "kindergeld_eingestellt",
                taken,
                "Zahlung zum Monatsende eingestellt.",
                monthly_amount=hint.amount_monthly,
            )
            if result == M and not demo.counts["benefit_reclaimed"]:
                demo.counts["benefit_reclaimed"] += 1
                demo.measure(
                    hint,
                    case,
                    "rueckforderung",
                    taken,
                    "Rückforderung des zu Unrecht gezahlten Kindergelds für sechs Monate.",
                    reclaimed_amount=(hint.amount_monthly or Decimal("259.00")) * 6,
                )
        elif (group, result) in MEASURES:
            kind, note, reclaimed = MEASURES[(group, result)]
            amounts = {"reclaimed_amount": reclaimed} if reclaimed is not None else {}
            if group == "SGB2_NACH_ABMELDUNG":
                demo.measure(
                    hint, case, "buergergeld_eingestellt", taken, "Leistungen ab dem Folgemonat eingestellt."
                )
            demo.measure(hint, case, kind, taken, note, **amounts)
        else:
            continue
        any_measure = True
    return any_measure


def _completed_inspection(demo: _Demo, campaign, cases, day: dt.date, hints, results) -> None:
    team = [demo.users[n] for n in ("koordination", "polizei", "bauaufsicht", "familienkasse")]
    plan = inspections.Plan(
        campaign=campaign,
        scheduled_at=_at(day, 9),
        past_confirmed=True,  # recorded afterwards: the demo inspection lies in the past
        meeting_point=f"Vor dem Objekt {cases[0].property.address if cases[0].property else cases[0].title}",
        agencies=demo.agencies("koordination", "polizei", "bauaufsicht", "familienkasse", "jobcenter"),
        members=team,
        members_text="Zwei Kräfte des kommunalen Ordnungsdienstes",
        interpreter_needed=True,
        interpreter_language="Rumänisch",
        notes="Gemeinsame Kontrolle der Demo: Objekte in der Reihenfolge der Rangliste.",
    )
    inspection = inspections.plan_inspection(demo.kim, plan, cases)
    visits = list(inspection.visits.select_related("case").order_by("position"))

    # The field protocol of the first visit's households, as the tablet saves it field by field.
    police, building = demo.users["polizei"], demo.users["bauaufsicht"]
    households = list(Household.objects.filter(visit=visits[0]).order_by("pk")[:2])
    for number, household in enumerate(households):
        version = household.version
        fields = [
            (building, "location", "Erdgeschoss links" if number == 0 else "1. Obergeschoss rechts"),
            (building, "persons_found", 7 if number == 0 else 2),
            (building, "children", "ja" if number == 0 else "anzeichen"),
            (building, "defects", ["feuchtigkeit", "ueberbelegung"] if number == 0 else ["muell"]),
            (
                building,
                "notes",
                "Sieben Matratzen in zwei Zimmern; Schimmel im Bad."
                if number == 0
                else "Niemand öffnete; Kinderschuhe vor der Tür.",
            ),
        ]
        for index, person in enumerate(household.persons.order_by("pk")):
            fields.append(
                (police, f"person:{person.pk}", "nicht_angetroffen" if index == 0 else "angetroffen")
            )
        for user, field, value in fields:
            saved = inspections.save_field(
                user,
                visits[0],
                household.pk,
                field,
                value,
                version,
                f"demo-{household.pk}-{field}",
            )
            version = saved.version
            demo.counts["protocol_fields"] += 1

    # Completion by the coordination office: a finding per hint flows back to the cases.
    for visit in visits:
        findings = {}
        for hint in hints[visit.case_id]:
            result = results.get(hint.pk)
            if result is None:  # the hint dismissed in the Prüfliste
                findings[hint.pk] = (
                    "nicht_feststellbar",
                    "Hinweis in der Sichtung verworfen (Daten veraltet).",
                )
            else:
                findings[hint.pk] = (FINDING_OF[result], FINDING_NOTES[result])
        inspections.complete_visit(
            demo.kim, visit, findings, f"Kontrolle am {day:%d.%m.%Y} durchgeführt; Protokoll abgeschlossen."
        )


def _template(kind: str):
    return LetterTemplate.objects.filter(recipient_kind=kind, active=True).order_by("name").first()


def _letter_cases(demo: _Demo, cases, hints):
    """The case of the released letter (the first with a Familienkasse hint) and the case and
    recipient kind of the letter awaiting release (the first case with a hint of the
    Wohnungsaufsicht, else the next with a Familienkasse hint)."""

    def first(kind: str, exclude=None):
        if demo.agency_of_kind.get(kind) is None or _template(kind) is None:
            return None
        return next(
            (c for c in cases if c != exclude and any(h.agency_kind == kind for h in hints[c.pk])), None
        )

    approved = first("familienkasse")
    pending = first("bauaufsicht")
    if pending is not None:
        return approved, (pending, "bauaufsicht")
    return approved, (first("familienkasse", exclude=approved), "familienkasse")


def _letters(demo: _Demo, approved_case, pending) -> None:
    """Kim drafts both letters; the second coordination account releases the first (four eyes)."""

    second = demo.users.get(SECOND_COORDINATION)
    if approved_case is not None and second is not None:
        letter = outcome_letters.draft_letter(
            demo.kim, approved_case, demo.agency_of_kind["familienkasse"], _template("familienkasse")
        )
        letter = outcome_letters.submit_letter(demo.kim, letter, version=letter.version)
        outcome_letters.approve_letter(second, letter, version=letter.version)
        demo.counts["letters_approved"] += 1
    pending_case, kind = pending
    if pending_case is not None:
        letter = outcome_letters.draft_letter(
            demo.kim, pending_case, demo.agency_of_kind[kind], _template(kind)
        )
        outcome_letters.submit_letter(demo.kim, letter, version=letter.version)
        demo.counts["letters_pending"] += 1


# --- the current campaign ------------------------------------------------------------------


def _current_campaign(demo: _Demo, objekt_ids: list[str]) -> None:
    start = demo.today - dt.timedelta(days=14)
    campaign, cases = demo.campaign(
        CURRENT_NAME,
        start,
        start + dt.timedelta(days=41),
        "Demo: der laufende Aktionszeitraum. Die nächste Kontrolle ist geplant; das Protokoll kann "
        "auf dem Tablet ausprobiert werden.",
        objekt_ids,
    )
    if not cases:
        return
    planned = cases[: max(1, (len(cases) + 1) // 3)]
    rest = cases[len(planned) :]
    in_review = rest[: (len(rest) + 1) // 2]

    demo.assign({case: demo.kim if case in planned else demo.lead_user(case) for case in cases})
    for case in planned:
        for hint in demo.hints(case):
            demo.review(hint)
    for case in in_review:
        hints = demo.hints(case)
        if hints:  # the first hint reviewed, the others still open in the Prüfliste
            demo.review(hints[0])
        demo.move(
            demo.lead_user(case),
            case,
            (CaseStatus.IN_PRUEFUNG, "Hinweise werden von den Behörden gesichtet."),
        )

    day = _weekday_from(demo.today + dt.timedelta(days=3))
    first = planned[0]
    inspections.plan_inspection(
        demo.kim,
        inspections.Plan(
            campaign=campaign,
            scheduled_at=_at(day, 9, 30),
            meeting_point=f"Vor dem Objekt {first.property.address if first.property else first.title}",
            agencies=demo.agencies("koordination", "polizei", "bauaufsicht", "familienkasse", "jobcenter"),
            members=[demo.users[n] for n in ("koordination", "polizei", "bauaufsicht", "familienkasse")],
            members_text="Zwei Kräfte des kommunalen Ordnungsdienstes",
            notes="Demo: hier kann das Protokoll vor Ort auf dem Tablet ausprobiert werden.",
        ),
        planned,
    )


# --- the Immobilienkataster: assessments of the campaigns' properties --------------------------

# (Problemdruck, Handlungsmöglichkeit, negative Entwicklung) in ranking order: red at the top,
# then yellow, some green where the agencies can act; the traffic light follows from the matrix.
ASSESSMENTS = [
    ("hoch", "hoch", True),
    ("hoch", "mittel", True),
    ("hoch", "niedrig", False),
    ("mittel", "mittel", True),
    ("mittel", "niedrig", False),
    ("niedrig", "mittel", True),
    ("niedrig", "hoch", False),
]


def _assess_properties(demo: _Demo, objekt_ids: list[str]) -> None:
    """The coordination office assesses the campaigns' properties in the register (categories from
    the rules of their hints, Problemdruck and Handlungsmöglichkeit by rank), so the register and the
    dashboard show traffic lights."""
    from missimo.properties import services as properties
    from missimo.properties.models import CATEGORY_FIELDS, Category, Property
    from missimo.runs.models import Hint

    run = latest_run()
    for position, objekt_id in enumerate(objekt_ids):
        prop = Property.objects.filter(objekt_id=objekt_id).first()
        if prop is None:
            continue
        rules = set(Hint.objects.filter(run=run, objekt_id=objekt_id).values_list("rule", flat=True))
        categories = {Category.SOZIAL}
        if rules & {"UEBERBELEGUNG", "MELDE_FLUKTUATION"}:
            categories.add(Category.WOHNUNG)
        if position % 3 == 0:
            categories.add(Category.BAU)
        druck, moeglichkeit, negativ = ASSESSMENTS[position % len(ASSESSMENTS)]
        data = {field: category in categories for category, field in CATEGORY_FIELDS.items()}
        data.update(
            problemdruck=druck,
            handlungsmoeglichkeit=moeglichkeit,
            negative_entwicklung=negativ,
            ziel="Ordnungsgemäße Meldeverhältnisse herstellen und Überbelegung beenden (Demo).",
            beschwerden_anzahl=position % 4,
        )
        properties.update_casework(demo.kim, prop, data, prop.version)
        demo.counts["assessed"] += 1


# --- the network: school contacts, worker accommodation, an owner with two properties --------

# Invented contacts for the school register (the synthetic city's deliveries name no contact).
SCHOOL_CONTACTS = ["Frau Nowak", "Herr Becker", "Frau Yilmaz", "Herr Schulte", "Frau Kaya", "Herr Wagner"]
DEMO_OWNER = {"name": "Ruhrblick Wohnen GmbH", "kind": "firma", "strasse": "Am Stadthafen 12", "plz": "44623"}
DEMO_EMPLOYER = "Westfalen Fleischverarbeitung GmbH"


def _school_contacts() -> int:
    """Fill the contact of every school of the register that has none yet."""
    from missimo.certificates import schools

    filled = 0
    for position, school in enumerate(schools.register()):
        if school.contact_person or school.phone or school.email:
            continue
        school.contact_person = f"Sekretariat, {SCHOOL_CONTACTS[position % len(SCHOOL_CONTACTS)]}"
        school.phone = f"02323 16-{4100 + position}"
        school.email = f"sekretariat.{school.schulnummer}@schulen.example"
        school.save(update_fields=["contact_person", "phone", "email"])
        filled += 1
    return filled


def _worker_accommodation(kim, ranking: list[str]) -> str | None:
    """Mark one property of the ranking as "Unterkunft für Beschäftigte": preferably the home of a
    person of an employer cluster (ARBEITGEBER_HAEUFUNG), with that employer; once."""
    from missimo.properties import services as properties
    from missimo.properties.models import Property
    from missimo.runs.models import Hint

    if Property.objects.filter(kategorie_beschaeftigte=True).exists():
        return None
    cluster = (
        Hint.objects.filter(run=latest_run(), rule="ARBEITGEBER_HAEUFUNG", objekt_id__in=ranking)
        .exclude(objekt_id="")
        .order_by("primary_ref")
        .first()
    )
    objekt_id = cluster.objekt_id if cluster else ranking[0]
    employer = (cluster.facts.get("arbeitgeber") if cluster else "") or DEMO_EMPLOYER
    prop = Property.objects.filter(objekt_id=objekt_id).first()
    if prop is None:
        return None
    properties.update_casework(
        kim, prop, {"kategorie_beschaeftigte": True, "arbeitgeber": employer}, prop.version
    )
    return prop.objekt_id


def _owner_with_two_properties(kim, ranking: list[str]) -> int:
    """One owner (a company) of two properties at the top of the ranking (both with a case of the
    past campaign, so a letter to the owner can be tried); once."""
    from django.conf import settings

    from missimo.properties import owners
    from missimo.properties.models import Property

    if owners.Owner.objects.filter(name=DEMO_OWNER["name"]).exists():
        return 0
    props = list(Property.objects.filter(objekt_id__in=ranking[:2], owner__isnull=True))
    for prop in props:
        owners.assign_owner(kim, prop, ort=settings.CITY_NAME or "Musterstadt", **DEMO_OWNER)
    return len(props)


def ensure_demo_network(echo=print) -> None:
    """What the network features need to show in the demo, each step once: contacts in the school
    register, a worker accommodation with its employer, and an owner with two properties."""
    run = latest_run()
    kim = User.objects.filter(username=COORDINATION).first()
    if run is None or kim is None:
        return
    ranking = list(
        RankedProperty.objects.filter(run=run).order_by("rank").values_list("objekt_id", flat=True)
    )
    with transaction.atomic():
        contacts = _school_contacts()
        accommodation = _worker_accommodation(kim, ranking) if ranking else None
        owned = _owner_with_two_properties(kim, ranking) if len(ranking) >= 2 else 0
    if contacts or accommodation or owned:
        echo(
            f"  Netzwerk: {contacts} Schulen mit Ansprechperson, "
            f"{'1 Unterkunft für Beschäftigte' if accommodation else 'keine neue Unterkunft für Beschäftigte'}, "
            f"{owned} Objekte einem Eigentümer zugeordnet."
        )


# --- entry point ---------------------------------------------------------------------------


def ensure_demo_casework(echo=print) -> None:
    """Seed the demo's case work on the latest run, once (nothing if a demo campaign exists)."""

    names = [PAST_NAME, CURRENT_NAME]
    if Campaign.objects.filter(name__in=names).exists():
        return
    run = latest_run()
    if run is None:
        return
    ranking = list(
        RankedProperty.objects.filter(run=run).order_by("rank").values_list("objekt_id", flat=True)
    )
    if not ranking:
        return
    echo("Fallbearbeitung der Demo wird angelegt …")
    # The current campaign takes a third of the ranking (at least three properties, so that it has
    # cases in every early status; at most six), the past one the best of the rest (at most eight).
    current_n = max(0, min(CURRENT_CASES, max(3, len(ranking) // 3), len(ranking) - 3))
    past_n = min(PAST_CASES, len(ranking) - current_n)
    with transaction.atomic():
        ensure_default_templates(LetterTemplate)
        demo = _Demo()
        _past_campaign(demo, ranking[:past_n])
        _current_campaign(demo, ranking[past_n : past_n + current_n])
        _assess_properties(demo, ranking[: past_n + current_n])
    c = demo.counts
    echo(
        f"  2 Aktionszeiträume, {Case.objects.filter(campaign__name__in=names).count()} Prüffälle, "
        f"{Inspection.objects.filter(campaign__name__in=names).count()} Kontrollen; {c['review_bestaetigt']} Hinweise zur Kontrolle "
        f"vorgeschlagen, {c['review_verworfen']} verworfen; "
        f"{sum(n for k, n in c.items() if k.startswith('outcome_'))} Ergebnisse, {c['measures']} Maßnahmen, "
        f"{c['letters_approved'] + c['letters_pending']} Schreiben."
    )
