"""Reports for the data-protection officer: the fairness report (aggregate hint rates per
nationality group) and the Art. 15 GDPR report (everything MISSIMO holds about one person).

Nationality is read here and nowhere else in the application: only the Melderegister snapshot
column `Staatsangehoerigkeit`, at report time, joined to the persons the hints refer to. It
never reaches the engine's rules, scores or linkage (tests guard both).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from django.db.models import Q, TextField
from django.db.models.functions import Cast

from missimo import engine
from missimo.audit.labels import details_text, object_type_label, value_text
from missimo.audit.models import AuditEvent
from missimo.audit.routers import AUDIT_ALIAS
from missimo.casework.models import ReviewDecision
from missimo.casework.services import latest_reviews
from missimo.core import tables
from missimo.core.datadir import data_path
from missimo.imports.models import Import, SourceSnapshot, source_choices
from missimo.imports.services import current_snapshots
from missimo.outcomes.models import Outcome, OutcomeResult
from missimo.runs.models import Hint, Run, RunStatus
from missimo.runs.services import latest_run

SUPPRESS_BELOW = 10  # cells with fewer persons are not shown (re-identification)

NATIONALITY_GROUPS = (
    "Deutschland",
    "Türkei",
    "Rumänien",
    "Bulgarien",
    "Polen",
    "Syrien",
    "sonstige EU",
    "sonstige",
    "ohne Angabe",
)
NOT_REGISTERED = "nicht im Melderegister"
_NAMED = {
    "DE": "Deutschland",
    "TR": "Türkei",
    "RO": "Rumänien",
    "BG": "Bulgarien",
    "PL": "Polen",
    "SY": "Syrien",
}
EU_MEMBER_STATES = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
    ]
)


def nationality_group(codes: str | None) -> str:
    """The report group of a Melderegister entry `DE,RO`: German if German at all (as the official
    statistics count), otherwise by the first nationality listed."""
    listed = [code.strip().upper() for code in (codes or "").split(",") if code.strip()]
    if not listed:
        return "ohne Angabe"
    if "DE" in listed:
        return "Deutschland"
    first = listed[0]
    if first in _NAMED:
        return _NAMED[first]
    return "sonstige EU" if first in EU_MEMBER_STATES else "sonstige"


# --- fairness report -----------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One cell of the report; `count` is None when suppressed (fewer than 10 persons)."""

    count: int | None
    rate: Decimal | None = None

    @property
    def suppressed(self) -> bool:
        return self.count is None


@dataclass
class FairnessRow:
    code: str
    title: str
    cells: list[Cell]
    total: Cell


@dataclass
class FairnessReport:
    run: Any
    groups: tuple[str, ...]
    population: list[Cell]
    population_total: Cell
    any_hint: FairnessRow | None
    rules: list[FairnessRow]
    not_registered: Cell
    # Decisions on the run's hints (reviews and outcomes): per group and per rule, how many hints
    # were decided, and how many of them confirmed or dismissed (rates relative to the decided).
    decided: list[FairnessRow] = field(default_factory=list)
    confirmation: list[FairnessRow] = field(default_factory=list)
    dismissal: list[FairnessRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _cell(count: int, denominator: int | None = None) -> Cell:
    if count < SUPPRESS_BELOW:
        return Cell(None)
    rate = None
    if denominator is not None and denominator >= SUPPRESS_BELOW:
        rate = (Decimal(100) * count / denominator).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return Cell(count, rate)


def _secondary_suppression(counts: list[int], cells: list[Cell]) -> list[Cell]:
    """If exactly one cell of a row is suppressed, the row total would reveal it: suppress the
    smallest other cell too."""
    suppressed = [i for i, c in enumerate(cells) if c.suppressed]
    if len(suppressed) != 1:
        return cells
    shown = [i for i, c in enumerate(cells) if not c.suppressed]
    if not shown:
        return cells
    smallest = min(shown, key=lambda i: counts[i])
    return [Cell(None) if i == smallest else c for i, c in enumerate(cells)]


def _row(code: str, title: str, counts: dict[str, int], population: dict[str, int]) -> FairnessRow:
    values = [counts.get(g, 0) for g in NATIONALITY_GROUPS]
    cells = [_cell(v, population.get(g, 0)) for v, g in zip(values, NATIONALITY_GROUPS, strict=True)]
    cells = _secondary_suppression(values, cells)
    total = sum(counts.values())  # with persons not found in the Melderegister
    return FairnessRow(code, title, cells, _cell(total, sum(population.values())))


def melderegister_nationalities(path: str | Path) -> dict[str, str]:
    """Ordnungsmerkmal → nationality group, from a Melderegister snapshot (latest row per person)."""
    latest = engine.latest_value_per_key(path, "Ordnungsmerkmal", "Staatsangehoerigkeit", "Einzugsdatum")
    return {key: nationality_group(codes) for key, codes in latest.items()}


def _melderegister_key_of_persons(run, person_ids: set[str]) -> dict[str, str]:
    """person_id (linkage cluster) → Ordnungsmerkmal, from the run's analysis store (which keeps
    the links of hint persons); without the store, from cluster ids `melderegister:...`."""
    mapping: dict[str, str] = {}
    if run.work_dir and person_ids:
        keys = engine.melderegister_keys_of_persons(data_path(run.work_dir))
        mapping = {person_id: key for person_id, key in keys.items() if person_id in person_ids}
    for person_id in person_ids:
        if person_id not in mapping and person_id.startswith("melderegister:"):
            mapping[person_id] = person_id.partition(":")[2]
    return mapping


def fairness_report(run=None) -> FairnessReport | None:
    """Hint rates per nationality group and rule for a run (default: the latest finished run)."""

    run = run or latest_run()
    snapshot = current_snapshots().get("melderegister")
    if run is None or snapshot is None:
        return None
    groups_by_key = melderegister_nationalities(snapshot.path)
    population: dict[str, int] = defaultdict(int)
    for group in groups_by_key.values():
        population[group] += 1

    hints = list(run.hints.values_list("rule", "person_ids"))
    all_persons = {pid for _, pids in hints for pid in pids}
    key_of = _melderegister_key_of_persons(run, all_persons)

    def group_of(person_id: str) -> str:
        key = key_of.get(person_id)
        return groups_by_key.get(key, NOT_REGISTERED) if key else NOT_REGISTERED

    persons_by_rule: dict[str, set[str]] = defaultdict(set)
    for rule, pids in hints:
        persons_by_rule[rule].update(pids)

    def counts(persons: set[str]) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for pid in persons:
            out[group_of(pid)] += 1
        return out

    titles = engine.rule_titles()
    rows = [
        _row(code, titles.get(code, code), counts(persons_by_rule[code]), population)
        for code in sorted(persons_by_rule)
    ]
    decided, confirmation, dismissal = _decision_rows(run, group_of, titles)
    any_counts = counts(all_persons)
    population_values = [population.get(g, 0) for g in NATIONALITY_GROUPS]
    report = FairnessReport(
        run=run,
        groups=NATIONALITY_GROUPS,
        population=[_cell(v) for v in population_values],
        population_total=_cell(sum(population_values)),
        any_hint=_row("", "mindestens ein Hinweis", any_counts, population) if all_persons else None,
        rules=rows,
        not_registered=_cell(any_counts.get(NOT_REGISTERED, 0)),
        decided=decided,
        confirmation=confirmation,
        dismissal=dismissal,
    )
    used = next((i for i in run.inputs if i.get("source") == "melderegister"), None)
    if used is not None and used.get("import_id") != snapshot.import_id:
        report.notes.append(
            "Der Abgleich hat eine ältere Melderegister-Lieferung verwendet als die aktuelle; die Zahl der "
            "Personen je Gruppe stammt aus der aktuellen Lieferung."
        )
    return report


# Outcomes that confirm a hint (the payment or the registration was wrong), and that dismiss it.
CONFIRMING = frozenset({OutcomeResult.MISSBRAUCH, OutcomeResult.FEHLER})


def hint_decisions(run) -> dict[str, str]:
    """hint_id → "bestaetigt" or "verworfen" for the run's decided hints, from the recorded outcomes
    (of any agency, also recorded on the same hint in an earlier run) and the hint reviews: a hint
    is confirmed when an agency found abuse or an error, dismissed when every outcome says "kein
    Befund" or, without outcome, its latest review dismissed it. Hints without either are open."""
    hint_ids = set(run.hints.values_list("hint_id", flat=True))
    results: dict[str, set[str]] = defaultdict(set)
    for hint_id, result in Outcome.objects.filter(hint__hint_id__in=hint_ids).values_list(
        "hint__hint_id", "result"
    ):
        results[hint_id].add(result)
    decisions: dict[str, str] = {}
    for hint_id, found in results.items():
        decisions[hint_id] = "bestaetigt" if found & CONFIRMING else "verworfen"
    reviewed = (
        latest_reviews().filter(hint__hint_id__in=hint_ids).order_by("hint__run__finished_at", "reviewed_at")
    )
    latest: dict[str, str] = {}
    for hint_id, decision in reviewed.values_list("hint__hint_id", "decision"):
        latest[hint_id] = decision  # the newest run's latest review wins
    for hint_id, decision in latest.items():
        if hint_id not in decisions and decision == ReviewDecision.VERWORFEN:
            decisions[hint_id] = "verworfen"
    return decisions


def _decision_rows(run, group_of, titles) -> tuple[list[FairnessRow], list[FairnessRow], list[FairnessRow]]:
    """Decided, confirmed and dismissed hints per group (a hint counts once in each group of its
    persons), for all rules and per rule; rates relative to the decided hints of the group."""
    decisions = hint_decisions(run)
    if not decisions:
        return [], [], []
    decided: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    confirmed: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    dismissed: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for hint_id, rule, pids in run.hints.filter(hint_id__in=list(decisions)).values_list(
        "hint_id", "rule", "person_ids"
    ):
        groups = {group_of(pid) for pid in pids} or {NOT_REGISTERED}
        target = confirmed if decisions[hint_id] == "bestaetigt" else dismissed
        for key in ("", rule):
            for group in groups:
                decided[key][group] += 1
                target[key][group] += 1
    order = ["", *sorted(code for code in decided if code)]

    def title(code: str) -> str:
        return "alle Regeln" if not code else titles.get(code, code)

    rows_decided = [_row(code, title(code), decided[code], {}) for code in order]
    rows_confirmed = [_row(code, title(code), confirmed[code], decided[code]) for code in order]
    rows_dismissed = [_row(code, title(code), dismissed[code], decided[code]) for code in order]
    return rows_decided, rows_confirmed, rows_dismissed


# --- Art. 15 GDPR report -------------------------------------------------------------------


@dataclass
class SnapshotRecords:
    source: str
    label: str
    import_id: int
    current: bool
    rows: list[dict[str, Any]]

    @property
    def table(self) -> list[tuple[str, list[Any]]]:
        """Field by field, one column per record (for the page)."""
        keys = list(self.rows[0]) if self.rows else []
        return [(key, [row.get(key) for row in self.rows]) for key in keys]


@dataclass
class Art15Report:
    criteria: dict[str, str]
    created_at: dt.datetime
    snapshots: list[SnapshotRecords]
    record_refs: list[str]
    hints: list[dict[str, Any]]
    audit_events: list[dict[str, Any]]

    @property
    def found(self) -> bool:
        return bool(self.snapshots or self.hints)

    def as_json(self) -> str:
        return json.dumps(
            {
                "auskunft_nach": "Art. 15 DSGVO",
                "erstellt": self.created_at.isoformat(timespec="seconds"),
                "suchkriterien": self.criteria,
                "datenstaende": [
                    {
                        "quelle": s.label,
                        "lieferung": s.import_id,
                        "aktuell": s.current,
                        "datensaetze": s.rows,
                    }
                    for s in self.snapshots
                ],
                "pruefhinweise": self.hints,
                "protokolleintraege": self.audit_events,
            },
            ensure_ascii=False,
            indent=2,
            default=str,
        )


CRITERIA_LABELS = {
    "ordnungsmerkmal": "Ordnungsmerkmal",
    "familienname": "Familienname",
    "vornamen": "Vornamen",
    "geburtsdatum": "Geburtsdatum",
}


def _rule_title(code: str) -> str:
    rule = next((r for r in engine.RULES if r.code == code), None)
    return rule.title if rule else code


def art15_hint_rows(report: Art15Report) -> list[list[str]]:
    """The hints as German text: rule title, run, Stichtag, agency, address, explanation, evidence."""
    return [
        [
            h["hinweis_id"],
            _rule_title(h["regel"]),
            str(h["abgleich"]),
            value_text(h["stichtag"]),
            h["stelle"],
            h["adresse"],
            h["erklaerung"],
            ", ".join(h["belege"]),
        ]
        for h in report.hints
    ]


ART15_HINT_HEADER = [
    "Hinweis",
    "Regel",
    "Abgleich",
    "Stichtag",
    "zuständig",
    "Adresse",
    "Erklärung",
    "Belege",
]
ART15_AUDIT_HEADER = ["Nr.", "Zeitpunkt", "Wer", "Behörde", "Vorgang", "Objektart", "Objekt", "Zweck"]


def art15_audit_rows(report: Art15Report) -> list[list[str]]:
    return [
        [
            str(e["nr"]),
            value_text(e["zeitpunkt"]),
            e["benutzer"] or "System",
            e["behoerde"] or "–",
            e["vorgang"],
            object_type_label(e["objektart"]),
            e["objekt"] or "–",
            e["zweck"] or "–",
        ]
        for e in report.audit_events
    ]


def art15_criteria_text(report: Art15Report) -> str:
    return details_text({CRITERIA_LABELS.get(k, k): v for k, v in report.criteria.items()})


def art15_csv(report: Art15Report) -> bytes:
    """The Art. 15 information as one CSV document (core.tables: UTF-8 with BOM, `;`, formula-safe):
    the search, then every data stand field by field, the hints and the audit entries."""
    from django.utils import timezone

    lines: list[list[Any]] = [
        ["Auskunft nach Art. 15 DSGVO"],
        [f"erstellt am {timezone.localtime(report.created_at):%d.%m.%Y %H:%M} Uhr"],
        [f"Suchkriterien: {art15_criteria_text(report)}"],
    ]
    if not report.found:
        lines.append(["Zu diesen Angaben sind in MISSIMO keine Datensätze gespeichert."])
    lines += [[], ["Datenstände mit Datensätzen der Person"]]
    for snap in report.snapshots:
        state = "aktueller Datenstand" if snap.current else "älterer Datenstand"
        lines.append([f"{snap.label} – Lieferung {snap.import_id} ({state})"])
        lines.append(["Feld", *[f"Datensatz {n}" for n in range(1, len(snap.rows) + 1)]])
        lines += [[key, *[value_text(v) for v in values]] for key, values in snap.table]
    if not report.snapshots:
        lines.append(["keine"])
    lines += [[], ["Prüfhinweise"], ART15_HINT_HEADER, *art15_hint_rows(report)]
    if not report.hints:
        lines.append(["keine"])
    lines += [[], ["Protokolleinträge, die Datensätze der Person nennen"], ART15_AUDIT_HEADER]
    lines += art15_audit_rows(report) or [["keine"]]
    return tables.csv_document(lines)


def art15_pdf(report: Art15Report) -> bytes:
    """The Art. 15 information as a tagged, German PDF (PDF/UA-1) for the letter to the person."""
    from django.template.loader import render_to_string
    from django.utils import timezone
    from weasyprint import HTML

    html = render_to_string(
        "privacy/art15_pdf.html",
        {
            "report": report,
            "created": timezone.localtime(report.created_at),
            "criteria": art15_criteria_text(report),
            "snapshots": [
                (snap, [(key, [value_text(v) for v in values]) for key, values in snap.table])
                for snap in report.snapshots
            ],
            "hint_header": ART15_HINT_HEADER,
            "hints": art15_hint_rows(report),
            "audit_header": ART15_AUDIT_HEADER,
            "audit": art15_audit_rows(report),
        },
    )
    return HTML(string=html).write_pdf(pdf_variant="pdf/ua-1")


def _json_ready(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime | Decimal):
        return value.isoformat() if not isinstance(value, Decimal) else str(value)
    return value


def _snapshot_files() -> list[tuple[str, int, Path, bool]]:
    """Every snapshot file still on disk: the current ones and older ones kept for reproducing runs."""

    current = {snap.path for snap in SourceSnapshot.objects.all()}
    files = []
    for delivery in Import.objects.exclude(snapshot_file="").order_by("source", "-id"):
        path = data_path(delivery.snapshot_file)
        if path.exists() and delivery.source in engine.person_sources():
            files.append((delivery.source, delivery.pk, path, delivery.snapshot_file in current))
    return files


def _match_rows(
    path: Path, source: str, ordnungsmerkmal: str, family_name: str, given_name: str, birth_date: str
) -> list[dict[str, Any]]:
    rows = engine.find_person_rows(
        path,
        source,
        ordnungsmerkmal=ordnungsmerkmal,
        family_name=family_name,
        given_name=given_name,
        birth_date=birth_date,
    )
    return [{k: _json_ready(v) for k, v in row.items()} for row in rows]


def _hints_of(refs: set[str]) -> list[dict[str, Any]]:
    """Hints whose evidence names one of the records, or whose persons contain one of them."""

    found: dict[int, Any] = {}
    for run in Run.objects.filter(status=RunStatus.FINISHED):
        persons: set[str] = set()
        if run.work_dir:
            persons = engine.persons_of_records(data_path(run.work_dir), refs)
        for hint in Hint.objects.filter(run=run):
            if (
                refs.intersection(hint.evidence)
                or persons.intersection(hint.person_ids)
                or hint.primary_ref in refs
            ):
                found[hint.pk] = hint
    return [
        {
            "hinweis_id": h.hint_id,
            "abgleich": h.run_id,
            "stichtag": h.run.stichtag.isoformat(),
            "regel": h.rule,
            "regel_titel": _rule_title(h.rule),
            "stelle": h.agency_kind,
            "belege": list(h.evidence),
            "adresse": h.address,
            "erklaerung": h.explanation,
        }
        for h in sorted(found.values(), key=lambda h: (h.run_id, h.rule, h.hint_id))
    ]


def _audit_events_of(refs: set[str], hint_ids: set[str]) -> list[dict[str, Any]]:

    needles = sorted(refs | hint_ids)
    if not needles:
        return []
    condition = Q(object_id__in=needles)
    for needle in needles:
        condition |= Q(details_text__contains=needle)
    events = (
        AuditEvent.objects.using(AUDIT_ALIAS)
        .annotate(details_text=Cast("details", TextField()))
        .filter(condition)
        .exclude(object_type="art15_report")
        .order_by("sequence")
    )
    return [
        {
            "nr": e.sequence,
            "zeitpunkt": e.occurred_at.isoformat(timespec="seconds"),
            "benutzer": e.actor_username,
            "behoerde": e.actor_agency,
            "vorgang": e.get_action_display(),
            "objektart": e.object_type,
            "objekt": e.object_id,
            "zweck": e.purpose,
        }
        for e in events
    ]


def art15_report(
    *,
    ordnungsmerkmal: str = "",
    family_name: str = "",
    given_name: str = "",
    birth_date: dt.date | None = None,
) -> Art15Report:
    """Everything about one person: snapshot records, hints, audit entries that mention them."""
    from django.utils import timezone

    labels = dict(source_choices())
    born = birth_date.isoformat() if birth_date else ""
    criteria = {
        key: value
        for key, value in {
            "ordnungsmerkmal": ordnungsmerkmal.strip(),
            "familienname": family_name.strip(),
            "vornamen": given_name.strip(),
            "geburtsdatum": born,
        }.items()
        if value
    }
    snapshots: list[SnapshotRecords] = []
    refs: set[str] = set()
    files = _snapshot_files()
    # An Ordnungsmerkmal also finds the person's name and birth date for the other registers.
    if ordnungsmerkmal and not (family_name and born):
        for source, _import_id, path, _current in files:
            if source == "melderegister":
                rows = _match_rows(path, source, ordnungsmerkmal.strip(), "", "", "")
                if rows:
                    family_name = family_name or str(rows[0].get("Familienname") or "")
                    born = born or str(rows[0].get("Geburtsdatum") or "")
                    break
    for source, import_id, path, current in files:
        rows = _match_rows(path, source, ordnungsmerkmal.strip(), family_name, given_name, born)
        if rows:
            snapshots.append(SnapshotRecords(source, labels.get(source, source), import_id, current, rows))
            refs |= engine.record_refs(source, rows)
    hints = _hints_of(refs)
    events = _audit_events_of(refs, {h["hinweis_id"] for h in hints})
    return Art15Report(criteria, timezone.now(), snapshots, sorted(refs), hints, events)
