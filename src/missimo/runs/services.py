"""Named operations on runs: start one, execute it over the current snapshots, export its results."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
import os
import shutil
import socket
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from missimo import __version__, engine
from missimo.accounts import policy
from missimo.audit.models import AuditAction
from missimo.audit.services import record
from missimo.core import extensions, tables
from missimo.core.datadir import data_path
from missimo.core.errors import Refused
from missimo.engine import explain_link, owner_of, run_abgleich
from missimo.imports.services import current_snapshots, reconcile_interrupted_imports
from missimo.processes import pid_alive
from missimo.runs import review
from missimo.runs.models import Hint, HintChange, HintSighting, RankedProperty, RejectedLink, Run, RunStatus
from missimo.runs.signals import run_finished

log = logging.getLogger(__name__)

# German labels of the facts an acting agency may be shown (see policy.HINT_ROUTING).
FACT_LABELS = {
    "kind_name": "Kind",
    "kind_geburtsdatum": "Geburtsdatum des Kindes",
    "geschlecht": "Geschlecht",
    "schulpflicht_ab": "schulpflichtig ab",
    "schulpflicht_bis": "schulpflichtig bis",
    "name": "Name",
    "geburtsdatum": "Geburtsdatum",
    "schulname": "Schule",
    "klasse": "Klasse",
    "letzter_anwesenheitstag": "letzter Anwesenheitstag",
    "stand": "Stand",
    "schultage": "Schultage ohne Anwesenheit",
    "einschulungsjahr": "Einschulungsjahr",
    "einladungsdatum": "Einladung zur Untersuchung",
    "stichtag": "Stichtag",
    "adresse": "Adresse",
    "personen": "gemeldete Personen",
    "wohnflaeche_m2": "Wohnfläche (m²)",
    "m2_je_person": "m² je Person",
    "mindestflaeche_m2": "Mindestfläche je Person (m²)",
    "wohneinheiten": "Wohneinheiten",
    "bewegungen": "Meldebewegungen",
    "einzuege": "Einzüge",
    "auszuege": "Auszüge",
    "bewegungen_je_wohnung": "Bewegungen je Wohnung",
    "arbeitgeber": "Arbeitgeber",
    "erwerbseinkommen": "Erwerbseinkommen (€)",
    "beschaeftigte": "Beschäftigte mit Minijob beim Arbeitgeber",
    "minijob_grenze": "Minijob-Grenze (€)",
}


class RunRefused(Refused):
    """A run cannot be started, or a link not rejected."""


def hints_for(user) -> QuerySet[Hint]:
    """The hints this user may see (need-to-know, see accounts.policy), of every run."""
    return Hint.objects.filter(policy.hint_filter(user))


def _fact_text(value) -> str:
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return dt.date.fromisoformat(value).strftime("%d.%m.%Y")
        except ValueError:
            return value
    if isinstance(value, float | Decimal):
        return f"{value}".replace(".", ",")
    return "–" if value is None else str(value)


def shown_to(user, hints):
    """The hints as the user may see them (need-to-know per field, see policy.HINT_ROUTING).

    A hint the user sees only because their agency acts on its rule is withheld in memory (never
    saved): its explanation is replaced by the facts the agency needs, and its amount, the owner's
    record numbers (primary record, evidence) and all other facts are removed. `hint.withheld` says
    whether this happened; `hint.owner_label` names the agency that owns the data. Returns a list.
    """
    scope = policy.hint_scope(user)
    readable = policy.record_sources(user)
    titles = engine.rule_titles()
    out = []
    for hint in hints:
        shown = scope.facts_shown(hint.agency_kind, hint.rule, hint.primary_ref)
        hint.evidence = evidence_shown(hint.evidence, readable)
        hint.changes = [
            {
                **change,
                "added": evidence_shown(change.get("added") or [], readable),
                "removed": evidence_shown(change.get("removed") or [], readable),
            }
            if change.get("field") == "evidence"
            else change
            for change in hint.changes or []
        ]
        hint.withheld = shown is not None
        hint.owner_label = (
            policy.AgencyKind(hint.agency_kind).label
            if hint.agency_kind in policy.AgencyKind.values
            else hint.agency_kind
        )
        if shown is not None:
            facts = {key: value for key, value in (hint.facts or {}).items() if key in shown}
            parts = [f"{FACT_LABELS.get(key, key)}: {_fact_text(value)}" for key, value in facts.items()]
            hint.explanation = (
                f"{titles.get(hint.rule, hint.rule)}. Weitergeleitet von: {hint.owner_label}. "
                + ("; ".join(parts) + "." if parts else "Keine weiteren Angaben für Ihre Stelle.")
            )
            hint.facts = facts
            hint.amount_monthly = None
            hint.primary_ref = hint.hint_id
            hint.evidence = []
            hint.person_ids = []  # no "Warum verknüpft?": the records belong to the owning agency
        out.append(hint)
    return out


def evidence_shown(evidence, readable) -> list[str]:
    """The evidence records (`source:key`) as a user reading the records of `readable` sources may
    see them (issue #21): other agencies' records only as "Beleg des Jobcenters", without the key
    (a Bedarfsgemeinschaft or Kindergeld number tells who draws which benefit). Records of a source
    without persons (the property register) stay as they are."""
    out = []
    for ref in evidence:
        source = source_of_uid(str(ref))
        if source in readable or source not in engine.SOURCES or not engine.SOURCES[source].persons:
            out.append(ref)
        else:
            out.append(f"Beleg: {engine.SOURCES[source].owner_label or engine.SOURCES[source].label}")
    return out


def latest_run() -> Run | None:
    return Run.objects.filter(status=RunStatus.FINISHED).order_by("-finished_at", "-id").first()


def start_run(stichtag: dt.date, *, user=None, channel: str = "web") -> Run:
    if not current_snapshots():
        raise RunRefused("Es liegt noch kein Datenstand vor. Bitte spielen Sie zuerst die Lieferungen ein.")
    run = Run.objects.create(
        stichtag=stichtag,
        started_by=user if user is not None and user.is_authenticated else None,
        channel=channel,
    )
    record(
        user,
        AuditAction.CREATE,
        object_type="run",
        object_id=run.pk,
        details={"stichtag": stichtag.isoformat()},
    )
    return run


def reconcile_interrupted_runs() -> None:
    """Mark runs whose worker died (kill -9, power loss) as failed and remove their analysis stores."""
    host = socket.gethostname()
    for run in Run.objects.filter(status=RunStatus.RUNNING, worker_host=host):
        if run.worker_pid and not pid_alive(run.worker_pid):
            Run.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
                status=RunStatus.FAILED,
                finished_at=timezone.now(),
                message="Der Abgleich wurde abgebrochen (Prozess beendet). Das Ergebnis des letzten Abgleichs gilt weiter.",
            )
    remove_failed_run_stores()


def remove_failed_run_stores() -> int:
    """Delete the analysis store of every failed or interrupted run (issue #21): a run stopped before
    its minimisation step leaves full copies of every register in `runs/<id>/`, and a failed run's
    result is never used. Called when an interruption is noticed: the runs page, the next run, a
    failing run itself and `missimo purge`. Returns the number of directories removed."""
    base = Path(settings.DATA_DIR).resolve()
    removed = 0
    for run in Run.objects.filter(status=RunStatus.FAILED).exclude(work_dir=""):
        path = (base / run.work_dir).resolve()
        Run.objects.filter(pk=run.pk).update(work_dir="")
        if base in path.parents and path.exists():
            shutil.rmtree(path, ignore_errors=True)
            removed += 1
    return removed


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _json_ready(values: dict) -> dict:
    return {key: (str(value) if isinstance(value, Decimal) else value) for key, value in values.items()}


def execute_run(run_id: int, *, echo: Callable[[str, int], None] | None = None) -> Run:
    """Run linkage and every rule over the current snapshots; store hints and ranking."""
    reconcile_interrupted_imports()
    reconcile_interrupted_runs()
    claimed = Run.objects.filter(pk=run_id, status=RunStatus.PENDING).update(
        status=RunStatus.RUNNING,
        started_at=timezone.now(),
        worker_host=socket.gethostname(),
        worker_pid=os.getpid(),
    )
    run = Run.objects.get(pk=run_id)
    if not claimed:
        return run
    try:
        return _execute(run, echo)
    except Exception:
        log.exception("run %s failed", run_id)
        run.status = RunStatus.FAILED
        run.finished_at = timezone.now()
        run.message = (
            "Beim Abgleich ist ein unerwarteter Fehler aufgetreten. Das Ergebnis des letzten Abgleichs gilt weiter; "
            "bitte wenden Sie sich an die Administration."
        )
        run.save()
        remove_failed_run_stores()
        run.refresh_from_db()
        return run


def _ranking_weights() -> dict[str, float] | None:
    """The calibrated weights (ADR 0009) if the outcomes app provides them; a failure ranks with the
    fixed weights rather than stopping the run."""
    try:
        return extensions.ranking_weights()
    except Exception:
        log.exception("Kalibrierung der Rangliste fehlgeschlagen; feste Gewichte")
        return None


def _execute(run: Run, echo) -> Run:
    snapshots = current_snapshots()
    run.inputs = [
        {"source": s.source, "import_id": s.import_id, "sha256": s.sha256, "rows": s.row_count}
        for s in sorted(snapshots.values(), key=lambda s: s.source)
    ]
    work_dir = Path(settings.DATA_DIR) / "runs" / str(run.pk)
    run.work_dir = str(work_dir.relative_to(settings.DATA_DIR))
    run.software_version = __version__
    run.save()

    def progress(step: str, percent: int) -> None:
        Run.objects.filter(pk=run.pk).update(progress_step=step, progress_percent=percent)
        if echo is not None:
            echo(step, percent)

    rejected = [link.as_engine_pair() for link in RejectedLink.objects.all()]
    weights = _ranking_weights()
    output = run_abgleich(
        {s: snap.path for s, snap in snapshots.items()},
        run.stichtag,
        work_dir,
        progress=progress,
        rejected_links=rejected,
        backend=engine.configured_backend(),
        ranking_weights=weights,
        review_sample_size=review.sample_size(),
    )
    evaluation = output.evaluation
    run.settings_used = _json_ready(
        {**dict(evaluation.settings), "ranking_weights": dict(weights or engine.WEIGHTS)}
    )
    run.rule_versions = dict(evaluation.rule_versions)
    run.linkage_threshold = output.linkage_threshold
    run.linkage_model_sha256 = (
        _sha256(output.model_path) if output.model_path and output.model_path.exists() else ""
    )
    run.timings = {key: round(value, 3) for key, value in output.timings.items()}
    run.residents = dict(evaluation.residents)
    run.counts = {**output.counts, **{f"addresses_{k}": v for k, v in output.address_counts.items()}}
    run.rule_statuses = [
        {
            "rule": s.rule,
            "version": s.version,
            "evaluated": s.evaluated,
            "count": s.count,
            "reason": s.reason,
            "note": s.note,
        }
        for s in evaluation.statuses
    ]
    with transaction.atomic():
        summary = carry_forward(run, evaluation.hints)
        run.counts = {**run.counts, **{f"hints_{key}": value for key, value in summary.items()}}
        RankedProperty.objects.bulk_create(
            (
                RankedProperty(
                    run=run,
                    rank=p.rank,
                    objekt_id=p.objekt_id,
                    address=p.address,
                    score=p.score,
                    hint_count=p.hint_count,
                    rules=list(p.rules),
                    agencies=list(p.agencies),
                    persons=p.persons,
                    amount_monthly=p.amount,
                )
                for p in output.ranking
            ),
            batch_size=2000,
        )
        # the linkage review sample (issue #15), drawn before the minimisation deleted the records
        review.store_sample(run, output.review_sample, COMPARISON_LABELS)
        run.status = RunStatus.FINISHED
        run.finished_at = timezone.now()
        run.progress_percent = 100
        run.progress_step = "fertig"
        run.message = f"{len(evaluation.hints)} Hinweise zu {len(output.ranking)} Objekten."
        run.save()
        transaction.on_commit(lambda: run_finished.send(sender=Run, run=run))
    shutil.rmtree(work_dir / "tmp", ignore_errors=True)
    return run


# --- one hint across runs (ADR 0005) ------------------------------------------------------


def _euro(value) -> str:
    if value is None:
        return "kein Betrag"
    return f"{Decimal(value):.2f} €".replace(".", ",")


def hint_changes(hint: Hint, found: engine.Hint) -> list[dict]:
    """What essentially changed between the stored hint and the one a run found: the monthly amount,
    the address (building) and the evidence records. Wording of the explanation or facts that move
    with the Stichtag (e.g. days absent) are not a change."""
    changes: list[dict] = []
    old_amount = hint.amount_monthly
    new_amount = found.amount
    if (old_amount is None) != (new_amount is None) or (
        old_amount is not None and Decimal(old_amount) != Decimal(new_amount)
    ):
        changes.append({"field": "amount", "old": _euro(old_amount), "new": _euro(new_amount)})
    if (hint.objekt_id or "") != (found.objekt_id or "") or (hint.address or "") != (found.address or ""):
        changes.append(
            {
                "field": "address",
                "old": hint.address or "keinem Gebäude zugeordnet",
                "new": found.address or "keinem Gebäude zugeordnet",
            }
        )
    old_refs, new_refs = set(hint.evidence), set(found.evidence)
    if old_refs != new_refs:
        changes.append(
            {
                "field": "evidence",
                "added": sorted(new_refs - old_refs),
                "removed": sorted(old_refs - new_refs),
            }
        )
    return changes


CARRIED_FIELDS = (
    "run",
    "rule_version",
    "agency_kind",
    "evidence",
    "objekt_id",
    "address",
    "amount_monthly",
    "person_ids",
    "facts",
    "explanation",
    "change",
    "changes",
)


def carry_forward(run: Run, found_hints) -> dict[str, int]:
    """Store a run's hints as the continuation of earlier runs: a hint with the same rule and primary
    record (the same Hinweis-ID) is the same row, updated and marked "unverändert" or "geändert";
    others are "neu"; earlier hints the run did not find again are marked "entfallen" and keep their
    last run (so they leave every list of the latest run). Every mark is also a HintSighting."""
    existing: dict[str, Hint] = {}
    for hint in Hint.objects.order_by("run_id", "pk").iterator(chunk_size=2000):
        existing[hint.hint_id] = hint  # the latest row of a Hinweis-ID (older duplicates predate ADR 0005)
    created: list[Hint] = []
    updated: list[Hint] = []
    sightings: list[HintSighting] = []
    seen: set[str] = set()
    for found in found_hints:
        seen.add(found.hint_id)
        values = {
            "rule_version": found.rule_version,
            "agency_kind": owner_of(found.primary_ref.partition(":")[0])
            or policy.AgencyKind.ORDNUNGSAMT,  # the coordination office
            "evidence": list(found.evidence),
            "objekt_id": found.objekt_id or "",
            "address": found.address or "",
            "amount_monthly": found.amount,
            "person_ids": list(found.person_ids),
            "facts": found.facts,
            "explanation": found.explanation,
        }
        hint = existing.get(found.hint_id)
        if hint is None:
            created.append(
                Hint(
                    run=run,
                    first_run=run,
                    hint_id=found.hint_id,
                    rule=found.rule,
                    primary_ref=found.primary_ref,
                    change=HintChange.NEU,
                    changes=[],
                    **values,
                )
            )
            continue
        changes = hint_changes(hint, found)
        if hint.change == HintChange.ENTFALLEN and not changes:
            changes = [{"field": "found_again", "old": "entfallen", "new": "wieder gefunden"}]
        for name, value in values.items():
            setattr(hint, name, value)
        hint.run = run
        hint.change = HintChange.GEAENDERT if changes else HintChange.UNVERAENDERT
        hint.changes = changes
        updated.append(hint)
    gone = [h for key, h in existing.items() if key not in seen and h.change != HintChange.ENTFALLEN]
    for hint in gone:
        hint.change = HintChange.ENTFALLEN
        hint.changes = []
    Hint.objects.bulk_create(created, batch_size=2000)
    Hint.objects.bulk_update(updated, CARRIED_FIELDS, batch_size=1000)
    Hint.objects.bulk_update(gone, ["change", "changes"], batch_size=1000)
    stored = {h.hint_id: h.pk for h in Hint.objects.filter(run=run).only("pk", "hint_id")}
    for hint in created:
        hint.pk = hint.pk or stored.get(hint.hint_id)
    sightings = [
        HintSighting(run=run, hint_id=h.pk, change=h.change, changes=h.changes)
        for h in (*created, *updated, *gone)
    ]
    HintSighting.objects.bulk_create(sightings, batch_size=2000)
    summary = {change.value: 0 for change in HintChange}
    for sighting in sightings:
        summary[sighting.change] += 1
    return summary


def hints_of_run(run: Run) -> QuerySet[Hint]:
    """The hints a run found (its HintSightings other than "entfallen"), with their current values.
    For the latest run the same as ``run.hints``; for an earlier run it includes hints found again later."""
    found = HintSighting.objects.filter(run=run).exclude(change=HintChange.ENTFALLEN).values("hint")
    # A hint whose latest finding is this run was found by it (also one stored without sightings,
    # e.g. imported from an earlier version; an "entfallen" hint keeps the run that last found it).
    return Hint.objects.filter(Q(pk__in=found) | Q(run=run))


def sightings_of(hint: Hint) -> QuerySet[HintSighting]:
    """A hint's history across runs, latest run first."""
    return hint.sightings.select_related("run").order_by("-run__created_at", "-run_id")


# --- exports (contract formats) ------------------------------------------------------------


def _engine_hint(hint: Hint) -> engine.Hint:
    return engine.Hint(
        hint_id=hint.hint_id,
        rule=hint.rule,
        rule_version=hint.rule_version,
        primary_ref=hint.primary_ref,
        evidence=tuple(hint.evidence),
        objekt_id=hint.objekt_id or None,
        address=hint.address or None,
        amount=hint.amount_monthly,
        person_ids=tuple(hint.person_ids),
        facts=hint.facts,
        explanation=hint.explanation,
    )


def _formula_safe(hint: engine.Hint) -> engine.Hint:
    """The hint with every text a spreadsheet could run as a formula (an imported street
    `=HYPERLINK(...)`) prefixed by an apostrophe and bidirectional controls neutralised."""
    return dataclasses.replace(
        hint,
        objekt_id=tables.escape_cell(hint.objekt_id),
        address=tables.escape_cell(hint.address),
        evidence=tuple(tables.escape_cell(item) for item in hint.evidence),
        explanation=tables.escape_cell(hint.explanation),
    )


def export_hints(run: Run, target) -> int:
    """The contract's hints export of `missimo export hints`, formula-safe: a cell beginning with
    = + - @ gets a leading apostrophe (see docs/sicherheit.md)."""
    return engine.write_hints_csv((_formula_safe(_engine_hint(h)) for h in run.hints.all()), target)


def export_properties(run: Run, target) -> int:
    ranked = [
        engine.RankedProperty(
            rank=p.rank,
            objekt_id=tables.escape_cell(p.objekt_id),
            address=tables.escape_cell(p.address),  # formula-safe like the hints export
            score=p.score,
            hint_count=p.hint_count,
            rules=tuple(p.rules),
            agencies=tuple(p.agencies),
            persons=p.persons,
            amount=p.amount_monthly,
        )
        for p in run.ranking.all()
    ]
    return engine.write_properties_csv(ranked, target)


# --- person links: "Warum verknüpft?" ------------------------------------------------------

COMPARISON_LABELS = {
    "vorname": "Vornamen",
    "familienname": "Familienname",
    "geburtsdatum": "Geburtsdatum",
    "adresse": "Anschrift",
    "geschlecht": "Geschlecht",
    "kennung": "Kennung",
}


def links_of_hint(hint: Hint) -> list:
    """Every stored pair of records within the persons the hint refers to, explained field by field."""

    if not hint.person_ids or not hint.run.work_dir:
        return []
    work_dir = data_path(hint.run.work_dir)
    pairs = engine.linked_pairs_of_persons(work_dir, hint.person_ids)
    rejected = {(r.uid_left, r.uid_right) for r in RejectedLink.objects.all()}
    explanations = []
    for left, right in pairs:
        explanation = explain_link(work_dir, left, right)
        if explanation is not None:
            explanations.append(
                {
                    "left": explanation.left,
                    "right": explanation.right,
                    "prior_weight": explanation.prior_weight,
                    "fields": [
                        {**f, "label": COMPARISON_LABELS.get(f["comparison"], f["comparison"])}
                        for f in explanation.fields
                    ],
                    "match_weight": explanation.match_weight,
                    "probability": explanation.match_probability,
                    "rejected": tuple(sorted((left, right))) in rejected,
                    "uid_left": left,
                    "uid_right": right,
                }
            )
    return explanations


# The source (as in policy.SOURCES) of each entity of the linkage.
ENTITY_SOURCES = {"kindergeld_berechtigter": "kindergeld", "kindergeld_kind": "kindergeld"}


def source_of_uid(uid: str) -> str:
    """The source of a linkage record id ("entity:record_key")."""
    entity = uid.split(":", 1)[0]
    return ENTITY_SOURCES.get(entity, entity)


def links_seen_by(user, hint: Hint) -> tuple[list, int]:
    """The link explanations of a hint the user may read (need-to-know): only pairs whose two records
    both come from sources the user may read (`policy.record_sources`), each marked whether the user
    may judge it; and the number of other linked records (from other agencies' sources), which the
    page mentions only as a count, without name, key or address."""
    readable = policy.record_sources(user)
    shown, hidden = [], set()
    for link in links_of_hint(hint):
        sources = {source_of_uid(link["uid_left"]), source_of_uid(link["uid_right"])}
        if sources <= readable:
            shown.append({**link, "may_judge": policy.may_judge_link(user, sources)})
        else:
            hidden.update(
                uid for uid in (link["uid_left"], link["uid_right"]) if source_of_uid(uid) not in readable
            )
    return shown, len(hidden)


class LinkJudgementDenied(Refused):
    """The user may not judge this link (another agency's records): the view answers 403."""


@transaction.atomic
def reject_link(user, hint: Hint, uid_left: str, uid_right: str, reason: str) -> RejectedLink:
    """Record "nicht dieselbe Person"; every later run keeps the two records apart. Only the
    coordination office or the agency owning both records may do so (`policy.may_judge_link`)."""
    sources = {source_of_uid(uid_left), source_of_uid(uid_right)}
    if not policy.may_judge_link(user, sources):
        raise LinkJudgementDenied(
            "Über diese Verknüpfung entscheiden nur die Koordinierungsstelle oder die Stelle, der beide "
            "Datensätze gehören."
        )
    reason = reason.strip()
    if len(reason) < 10:
        raise RunRefused("Bitte begründen Sie die Ablehnung in wenigen Worten (mindestens 10 Zeichen).")
    allowed = {(link["uid_left"], link["uid_right"]) for link in links_of_hint(hint)}
    if (uid_left, uid_right) not in allowed:
        raise RunRefused("Diese Verknüpfung gehört nicht zu diesem Hinweis.")
    left, right = sorted((uid_left, uid_right))
    link, _ = RejectedLink.objects.get_or_create(
        uid_left=left, uid_right=right, defaults={"reason": reason, "rejected_by": user, "hint": hint}
    )
    record(
        user,
        AuditAction.CHANGE,
        object_type="person_link",
        object_id=f"{left}|{right}",
        purpose="Verknüpfung abgelehnt: nicht dieselbe Person",
        details={"hint": hint.hint_id, "run": hint.run_id, "reason": reason},
    )
    return link
