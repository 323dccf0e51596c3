"""Retention: every kind of data is deleted when its period ends (Art. 5 Abs. 1 lit. e, Art. 17 DSGVO).

`purge_all()` applies every period; `missimo purge` calls it once, and `missimo serve` runs
:func:`run_daily` beside the web server so that it happens every day without a cron job. Each
deletion is logged in the audit log with counts only (no names, no references).

| data | period (setting) | counted from |
| --- | --- | --- |
| original files, rejected rows, snapshots | `MISSIMO_RETENTION_SOURCE_FILES_DAYS`, `..._SNAPSHOTS_DAYS` | delivery (imports.services.purge_expired) |
| non-hit persons | immediately | end of each run (runs.services) |
| hints, ranking and analysis files of a run | `MISSIMO_RETENTION_HINTS_MONTHS` | the latest run that found the hint (ADR 0005); hints in a case stay with the case |
| closed and discarded cases with their history | `MISSIMO_RETENTION_CLOSED_CASES_MONTHS` | closing of the case |
| Schulbescheinigungen | `MISSIMO_RETENTION_CERTIFICATES_MONTHS` | end of validity |
| records of the linkage review sample | `MISSIMO_RETENTION_LINK_REVIEW_DAYS` (and at once when labelled) | the run that drew them (runs.review) |
| audit entries | `MISSIMO_RETENTION_AUDIT_YEARS` | the entry (signed checkpoint keeps the chain verifiable) |
"""

from __future__ import annotations

import logging
import shutil
import time
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from missimo import config
from missimo.audit.models import AuditAction
from missimo.audit.services import purge_before, record
from missimo.casework.models import Case
from missimo.casework.services import send_deadline_notifications
from missimo.certificates.models import Certificate
from missimo.core.datadir import data_path
from missimo.imports.services import purge_expired
from missimo.runs.models import Hint, HintSighting, RankedProperty, Run
from missimo.runs.review import purge_expired_pairs
from missimo.runs.services import remove_failed_run_stores

log = logging.getLogger(__name__)

CLOSED_STATUSES = ("abgeschlossen", "verworfen")


def _period(name: str) -> int:
    """A retention period: the Django setting of the same name (tests) or the declared setting."""
    value = getattr(settings, name.removeprefix("MISSIMO_"), None)
    value = config.get(name) if value is None else value
    if int(value) < 1:
        raise config.ConfigError(f"{name} muss mindestens 1 sein.")
    return int(value)


def _months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` months earlier (the last day of a shorter month)."""
    import calendar

    month_index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(month_index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


@dataclass
class RetentionReport:
    source_files: int = 0
    rejected_files: int = 0
    snapshots: int = 0
    current_snapshots_expired: list[str] = field(default_factory=list)
    runs: int = 0
    hints: int = 0
    run_directories: int = 0
    cases: int = 0
    case_records: int = 0
    certificates: int = 0
    audit_entries: int = 0
    link_review_pairs: int = 0

    @property
    def anything(self) -> bool:
        return any(value for key, value in asdict(self).items() if key != "current_snapshots_expired")

    def lines(self) -> list[str]:
        """German summary for the command line."""
        return [
            f"Gelöscht nach Ablauf der Aufbewahrungsfristen: {self.source_files} Originaldateien, "
            f"{self.rejected_files} Dateien abgelehnter Zeilen, {self.snapshots} Datenstände.",
            f"Hinweise: {self.hints} aus {self.runs} Abgleichen ({self.run_directories} Analyseverzeichnisse).",
            f"Prüffälle: {self.cases} abgeschlossene Fälle mit {self.case_records} zugehörigen Einträgen.",
            f"Schulbescheinigungen: {self.certificates}. Protokolleinträge: {self.audit_entries}.",
            f"Datensätze der Stichprobe zur Verknüpfungsgüte: {self.link_review_pairs} Paare.",
        ]


def _is_data_file_field(model_field) -> bool:
    """A field holding a path inside the data directory (convention of all apps: `stored_file`,
    `rejected_file`, `snapshot_file`, ... )."""
    return isinstance(model_field, models.CharField) and (
        model_field.name == "stored_file" or model_field.name.endswith("_file")
    )


def _collected_files(collector) -> list[str]:
    files: list[str] = []
    for model, instances in collector.data.items():
        for model_field in model._meta.concrete_fields:
            if _is_data_file_field(model_field):
                files += [getattr(obj, model_field.attname) for obj in instances]
    for queryset in collector.fast_deletes:
        for model_field in queryset.model._meta.concrete_fields:
            if _is_data_file_field(model_field):
                files += list(queryset.values_list(model_field.attname, flat=True))
    return [name for name in files if name]


def _delete_with_files(queryset, files: list[str]) -> dict[str, int]:
    """Delete the rows and everything that cascades from them; the data-directory files they point
    to (photos of inspections, ...) are added to `files` for deletion after the transaction."""
    from django.db.models.deletion import Collector

    collector = Collector(using=queryset.db)
    collector.collect(queryset)
    files += _collected_files(collector)
    _, per_model = collector.delete()
    return per_model


def _remove_files(files: list[str]) -> int:

    removed = 0
    for relative in files:
        try:
            path = data_path(relative)
        except ValueError:
            log.warning("Datei außerhalb des Datenverzeichnisses nicht gelöscht: %s", relative)
            continue
        if path.is_file():
            path.unlink()
            removed += 1
    return removed


def _delete_protecting(instance_queryset, files: list[str]) -> int:
    """Delete the rows of other apps that PROTECT the given rows (they belong to the same case
    file, e.g. letters and inspection visits of a case), so that the rows themselves can go."""
    deleted = 0
    model = instance_queryset.model
    for relation in model._meta.related_objects:
        if relation.on_delete is not models.PROTECT:
            continue
        related = relation.related_model._base_manager.filter(
            **{f"{relation.field.name}__in": instance_queryset}
        )
        deleted += sum(_delete_with_files(related, files).values())
    return deleted


def purge_closed_cases(now: datetime) -> tuple[int, int]:
    """Closed and discarded cases whose closing is older than the period, with their history and
    everything that belongs to them; returns (cases, other rows)."""

    cutoff = _months_before(now, _period("MISSIMO_RETENTION_CLOSED_CASES_MONTHS"))
    expired = Case.objects.filter(status__in=CLOSED_STATUSES).filter(
        Q(closed_at__lt=cutoff) | Q(closed_at__isnull=True, updated_at__lt=cutoff)
    )
    files: list[str] = []
    with transaction.atomic():
        ids = list(expired.values_list("pk", flat=True))
        if not ids:
            return 0, 0
        cases = Case.objects.filter(pk__in=ids)
        other = _delete_protecting(cases, files)
        # The hints the cases rested on are free now; purge_hints deletes them with their run.
        per_model = _delete_with_files(Case.objects.filter(pk__in=ids), files)
        case_count = per_model.get(Case._meta.label, 0)
        other += sum(per_model.values()) - case_count
    _remove_files(files)
    return case_count, other


# Relations through which other apps record results on a hint (outcomes, measures). A hint with
# a result is kept as long as a closed case would be, so that the annual figures can be reported.
RESULT_RELATIONS = ("outcomes", "agency_measures")


def _hints_free_of_cases(queryset, now: datetime):
    """Hints no case (and nothing else that PROTECTs them) refers to, and whose recorded results
    (if any) are past the closed-case period."""

    queryset = queryset.filter(cases__isnull=True)
    names = set()
    for relation in Hint._meta.related_objects:
        names.add(relation.name)
        if relation.on_delete is models.PROTECT:
            queryset = queryset.exclude(**{f"{relation.name}__isnull": False})
    with_results = Q()
    for name in RESULT_RELATIONS:
        if name in names:
            with_results |= Q(**{f"{name}__isnull": False})
    if with_results:
        results_cutoff = _months_before(now, _period("MISSIMO_RETENTION_CLOSED_CASES_MONTHS"))
        kept = Hint.objects.filter(with_results, run__created_at__gte=results_cutoff).values("pk")
        queryset = queryset.exclude(pk__in=kept)
    return queryset


def purge_hints(now: datetime) -> tuple[int, int, int]:
    """Hints, ranking and analysis files of runs older than the period; returns (runs, hints,
    directories). The run record itself (dates, counts, hashes of the inputs) stays as proof that
    and how the processing took place (Art. 5 Abs. 2 DSGVO); it holds no personal data."""

    cutoff = _months_before(now, _period("MISSIMO_RETENTION_HINTS_MONTHS"))
    runs = directories = hints = 0
    base = Path(settings.DATA_DIR).resolve()
    for run in Run.objects.filter(created_at__lt=cutoff, status__in=("finished", "failed")):
        with transaction.atomic():
            doomed = _hints_free_of_cases(Hint.objects.filter(run=run), now)
            _, per_model = Hint.objects.filter(pk__in=list(doomed.values_list("pk", flat=True))).delete()
            removed = per_model.get(Hint._meta.label, 0)
            ranked, _ = RankedProperty.objects.filter(run=run).delete()
            # What this run said about hints that continue (ADR 0005) goes with the run's hints.
            HintSighting.objects.filter(run=run).delete()
            work_dir = run.work_dir
            if work_dir:
                Run.objects.filter(pk=run.pk).update(work_dir="")
        if work_dir:
            path = (base / work_dir).resolve()
            if base in path.parents and path.exists():
                shutil.rmtree(path)
                directories += 1
        if removed or ranked or work_dir:
            runs += 1
            hints += removed
    return runs, hints, directories


def purge_certificates(today: date) -> int:
    """Schulbescheinigungen whose validity ended more than the period ago (revoked ones too: after
    their validity nobody can use them, so they leave the revocation list as well)."""

    months = _period("MISSIMO_RETENTION_CERTIFICATES_MONTHS")
    start = datetime(today.year, today.month, today.day)
    cutoff = _months_before(start, months).date()
    _, per_model = Certificate.objects.filter(valid_until__lt=cutoff).delete()
    return per_model.get(Certificate._meta.label, 0)


def purge_audit(now: datetime) -> int:
    years = _period("MISSIMO_RETENTION_AUDIT_YEARS")
    return purge_before(_months_before(now, 12 * years)).deleted


def purge_all(now: datetime | None = None) -> RetentionReport:
    """Apply every retention period. Idempotent: a second call deletes nothing more."""

    now = now or timezone.now()
    files = purge_expired(today=timezone.localdate(now))
    report = RetentionReport(
        source_files=files.source_files,
        rejected_files=files.rejected_files,
        snapshots=files.snapshots,
        current_snapshots_expired=list(files.current_snapshots_expired),
    )
    report.cases, report.case_records = purge_closed_cases(now)
    report.runs, report.hints, report.run_directories = purge_hints(now)
    report.run_directories += remove_failed_run_stores()  # interrupted runs leave full registers
    report.certificates = purge_certificates(timezone.localdate(now))
    report.link_review_pairs = purge_expired_pairs(now)
    if (
        report.cases
        or report.hints
        or report.run_directories
        or report.certificates
        or report.link_review_pairs
    ):
        record(
            None,
            AuditAction.DELETE,
            object_type="retention",
            purpose="Löschung nach Ablauf der Aufbewahrungsfrist",
            details={
                "runs": report.runs,
                "hints": report.hints,
                "run_directories": report.run_directories,
                "cases": report.cases,
                "case_records": report.case_records,
                "certificates": report.certificates,
                "link_review_pairs": report.link_review_pairs,
            },
        )
    # The audit log last, so that today's deletion entries are part of the chain that stays.
    report.audit_entries = purge_audit(now)
    return report


# --- the daily schedule -----------------------------------------------------------------------


def next_run_after(moment: datetime, hour: int) -> datetime:
    """The next time of day `hour:00` (local time) strictly after `moment`."""
    local = timezone.localtime(moment)
    candidate = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if candidate <= local:
        candidate += timedelta(days=1)
    return candidate


def run_daily(*, stop=lambda: False, sleep=time.sleep, now=timezone.now) -> None:
    """Apply the retention periods once at start and then every day at MISSIMO_PURGE_HOUR, until
    `stop()` is true. A failed purge is logged and tried again the next day; it never stops the loop."""
    hour = int(config.get("MISSIMO_PURGE_HOUR"))
    if not 0 <= hour <= 23:
        raise config.ConfigError("MISSIMO_PURGE_HOUR muss zwischen 0 und 23 liegen.")
    while not stop():
        try:
            report = purge_all()
            log.info("Aufbewahrungsfristen angewendet: %s", "; ".join(report.lines()))
        except Exception:  # the schedule must survive a failed night (logged, retried tomorrow)
            log.exception("Löschung nach Aufbewahrungsfristen fehlgeschlagen")
        try:
            # The same daily tick mails the deadlines due (only if MISSIMO_EMAIL_NOTIFICATIONS is on).
            send_deadline_notifications()
        except Exception:
            log.exception("Benachrichtigung über fällige Fristen fehlgeschlagen")
        finally:
            from django.db import connections

            connections.close_all()
        wait = (next_run_after(now(), hour) - timezone.localtime(now())).total_seconds()
        while wait > 0 and not stop():
            step = min(wait, 1.0)  # short steps: a stop request (SIGTERM) is honoured at once
            sleep(step)
            wait -= step
