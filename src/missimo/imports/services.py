"""Named operations on deliveries: store a file, import it, replace a source's snapshot atomically.

The engine (`missimo.engine.reader`) reads and validates; this module keeps the record, the files
in the data directory and the pointer to each source's current snapshot.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import shutil
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from missimo import engine
from missimo.accounts import policy
from missimo.accounts.models import User
from missimo.accounts.policy import Capability
from missimo.audit.models import AuditAction
from missimo.audit.services import record
from missimo.core import notify
from missimo.core.datadir import data_path
from missimo.core.errors import Refused
from missimo.engine import SOURCES
from missimo.formatting import de_int
from missimo.imports import bounds
from missimo.imports.models import (
    ColumnMapping,
    Import,
    ImportRowError,
    ImportStatus,
    SourceSnapshot,
)
from missimo.imports.signals import announce_snapshot
from missimo.processes import pid_alive

log = logging.getLogger(__name__)

ROW_ERRORS_KEPT = 10_000  # errors kept in the database for display (the rejected-rows file is capped too)


class DeliveryRefused(Refused):
    """A delivery cannot even be stored (too large, empty name). One German message."""


# --- scope -------------------------------------------------------------------------------


def imports_for(user) -> QuerySet[Import]:
    """Deliveries visible to the user: all of their sources (coordination office: every source)."""
    return Import.objects.filter(source__in=policy.delivery_sources(user)).select_related(
        "uploaded_by", "agency"
    )


def may_download_rejected(user, delivery: Import) -> bool:
    """Rejected rows hold personal data: the delivering agency and the coordination office only."""
    if delivery.source not in policy.delivery_sources(user):
        return False
    return policy.can(user, Capability.SEE_ALL_REJECTED_ROWS) or (
        delivery.agency_id is not None and delivery.agency_id == user.agency_id
    )


# --- files -------------------------------------------------------------------------------


def _import_dir(delivery_id: int) -> str:
    return f"imports/{delivery_id}"


def _store(stream: BinaryIO, destination: Path) -> tuple[int, str]:
    destination.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    limit = settings.UPLOAD_MAX_BYTES
    with open(destination, "wb") as out:
        while chunk := stream.read(1024 * 1024):
            size += len(chunk)
            if size > limit:
                out.close()
                destination.unlink(missing_ok=True)
                raise DeliveryRefused(
                    f"Die Datei ist größer als die zulässigen {limit // (1024 * 1024)} MiB und wurde nicht angenommen."
                )
            digest.update(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    return size, digest.hexdigest()


@transaction.atomic
def store_delivery(
    source: str,
    stream: BinaryIO,
    original_filename: str,
    *,
    user=None,
    channel: str = "web",
    mapping: dict[str, str] | None = None,
) -> Import:
    """Keep the delivered file in the data directory and create its import record (pending)."""
    if source not in SOURCES:
        raise DeliveryRefused(f"Unbekannte Quelle „{source}“. Erlaubt: {', '.join(SOURCES)}.")
    name = Path(original_filename).name[:255] or "lieferung"
    delivery = Import.objects.create(
        source=source,
        uploaded_by=user if user is not None and user.is_authenticated else None,
        agency=getattr(user, "agency", None) if user is not None else None,
        channel=channel,
        original_filename=name,
        sha256="",
        retain_until=(timezone.localdate() + timedelta(days=settings.RETENTION_SOURCE_FILES_DAYS)),
    )
    suffix = Path(name).suffix.lower() if Path(name).suffix.lower() in {".csv", ".xlsx", ".txt"} else ".bin"
    relative = f"{_import_dir(delivery.pk)}/original{suffix}"
    try:
        size, sha = _store(stream, data_path(relative))
    except DeliveryRefused:
        shutil.rmtree(data_path(_import_dir(delivery.pk)), ignore_errors=True)
        raise
    delivery.size_bytes = size
    delivery.sha256 = sha
    delivery.stored_file = relative
    if mapping is None and delivery.agency_id:
        saved = ColumnMapping.objects.filter(agency_id=delivery.agency_id, source=source).first()
        mapping = saved.mapping if saved else None
    delivery.mapping_used = mapping or {}
    delivery.save()
    record(user, AuditAction.CREATE, object_type="import", object_id=delivery.pk, details={"source": source})
    return delivery


# --- processing --------------------------------------------------------------------------


def reconcile_interrupted_imports() -> int:
    """Mark imports whose process died (killed, crashed, machine restarted) as failed.

    The previous snapshot was never touched by them (the pointer changes only in the last,
    atomic step), so only the record needs mending."""
    host = socket.gethostname()
    mended = 0
    for delivery in Import.objects.filter(status=ImportStatus.RUNNING, worker_host=host):
        if delivery.worker_pid and not pid_alive(delivery.worker_pid):
            Import.objects.filter(pk=delivery.pk, status=ImportStatus.RUNNING).update(
                status=ImportStatus.FAILED,
                finished_at=timezone.now(),
                message="Der Import wurde abgebrochen (Prozess beendet). Der bisherige Datenstand gilt weiter.",
            )
            mended += 1
    return mended


def _finish(delivery: Import, status: str, message: str) -> Import:
    delivery.status = status
    delivery.message = message
    delivery.finished_at = timezone.now()
    delivery.save()
    return delivery


def _throttled_progress(
    delivery_id: int, echo: Callable[[int, int], None] | None
) -> Callable[[int, int], None]:
    last = [0.0]

    def progress(done: int, total: int) -> None:
        if echo is not None:
            echo(done, total)
        now = time.monotonic()
        if now - last[0] >= 0.5 or done >= total:
            last[0] = now
            Import.objects.filter(pk=delivery_id).update(progress_done=done, progress_total=max(total, done))

    return progress


def process_delivery(
    delivery_id: int, *, echo: Callable[[int, int], None] | None = None, force: bool = False
) -> Import:
    """Read, validate and (if the file is usable) make it the source's current snapshot; a delivery
    implausible against the one in force is held for confirmation unless `force` (see hold_reasons)."""
    claimed = Import.objects.filter(pk=delivery_id, status=ImportStatus.PENDING).update(
        status=ImportStatus.RUNNING,
        started_at=timezone.now(),
        worker_host=socket.gethostname(),
        worker_pid=os.getpid(),
    )
    delivery = Import.objects.get(pk=delivery_id)
    if not claimed:
        return delivery
    try:
        return _process(delivery, echo, force=force)
    except Exception:
        log.exception("import %s failed", delivery_id)
        return _finish(
            delivery,
            ImportStatus.FAILED,
            "Beim Import ist ein unerwarteter Fehler aufgetreten. Der bisherige Datenstand gilt weiter; "
            "bitte wenden Sie sich an die Administration.",
        )


def _process(delivery: Import, echo, *, force: bool = False) -> Import:
    current = SourceSnapshot.objects.filter(source=delivery.source).select_related("source_import").first()
    if current is not None and current.source_import.sha256 == delivery.sha256:
        delivery.duplicate_of = current.source_import
        return _finish(
            delivery,
            ImportStatus.UNCHANGED,
            f"Diese Datei ist identisch mit der Lieferung Nr. {current.source_import_id} vom "
            f"{timezone.localtime(current.source_import.created_at):%d.%m.%Y}, die bereits den aktuellen "
            "Datenstand bildet. Es wurde nichts geändert.",
        )
    in_progress = (
        Import.objects.filter(
            source=delivery.source,
            sha256=delivery.sha256,
            pk__lt=delivery.pk,
            status__in=(ImportStatus.PENDING, ImportStatus.RUNNING),
        )
        .order_by("pk")
        .first()
    )
    if in_progress is not None:
        # Two identical deliveries at once (a double click, two colleagues): the earlier one is
        # taken, this one not (issue #21); deciding by the lower number needs no lock.
        delivery.duplicate_of = in_progress
        return _finish(
            delivery,
            ImportStatus.UNCHANGED,
            f"Diese Datei ist identisch mit der Lieferung Nr. {in_progress.pk}, die gerade verarbeitet wird. "
            "Sie wird nur einmal übernommen; hier wurde nichts geändert.",
        )
    earlier = (
        Import.objects.filter(source=delivery.source, sha256=delivery.sha256, status=ImportStatus.TAKEN)
        .exclude(pk=delivery.pk)
        .order_by("-created_at")
        .first()
    )
    notes = []
    if earlier is not None:
        delivery.duplicate_of = earlier
        notes.append(
            f"Diese Datei wurde bereits am {timezone.localtime(earlier.created_at):%d.%m.%Y} geliefert "
            f"(Lieferung Nr. {earlier.pk}); sie wird erneut übernommen."
        )
    try:
        bounds.check_file(data_path(delivery.stored_file))
    except bounds.BoundExceeded as exceeded:
        return _finish(delivery, ImportStatus.REFUSED, exceeded.message)
    try:
        result = engine.read_source(
            delivery.source,
            data_path(delivery.stored_file),
            mapping=delivery.mapping_used or None,
            progress=_throttled_progress(delivery.pk, echo),
            batch_rows=bounds.batch_rows(),
            # only what the rejected-rows file and the stored errors show is kept in memory
            # (every rejected row holds at least one error); all are counted
            keep_rejected=max(bounds.rejected_rows_kept(), ROW_ERRORS_KEPT),
        )
    except engine.ImportRefused as refused:
        return _finish(delivery, ImportStatus.REFUSED, refused.message)

    delivery.file_format = result.file_format
    delivery.encoding = result.encoding_label
    delivery.delimiter = {";": "Semikolon", ",": "Komma", "\t": "Tabulator"}.get(result.delimiter or "", "")
    delivery.data_rows = result.data_rows
    delivery.accepted_count = result.accepted_count
    delivery.rejected_count = result.rejected_count
    delivery.blank_rows = result.blank_rows
    delivery.extra_columns = list(result.extra_columns)
    if result.missing_optional_columns:
        notes.append(
            "Diese optionalen Spalten fehlen in der Datei: "
            + ", ".join(result.missing_optional_columns)
            + "."
        )
    delivery.warnings = [*notes, *getattr(result, "warnings", ())]
    delivery.missing_columns = list(result.missing_optional_columns)
    if result.rejected_count:
        relative = f"{_import_dir(delivery.pk)}/abgelehnte_zeilen.csv"
        _write_rejected(result, data_path(relative))
        if result.rejected_count > bounds.rejected_rows_kept():
            notes.append(
                f"Die Datei der abgelehnten Zeilen enthält die ersten {de_int(bounds.rejected_rows_kept())} von "
                f"{de_int(result.rejected_count)} abgelehnten Zeilen."
            )
            delivery.warnings = [*notes, *getattr(result, "warnings", ())]
        delivery.rejected_file = relative
        ImportRowError.objects.bulk_create(
            (
                ImportRowError(
                    source_import=delivery,
                    row=e.row,
                    column=e.column,
                    value=e.value[:1000],
                    message=e.message,
                )
                for e in _first(result.errors, ROW_ERRORS_KEPT)
            ),
            batch_size=2000,
        )
    if result.accepted_count == 0:
        return _finish(
            delivery,
            ImportStatus.REFUSED,
            "Keine Zeile der Datei war verwendbar; der bisherige Datenstand gilt weiter. "
            "Die abgelehnten Zeilen können Sie mit den Fehlern herunterladen.",
        )
    snapshot_relative = f"snapshots/{delivery.source}/{delivery.pk}.parquet"
    snapshot_path = data_path(snapshot_relative)
    snapshot_path.parent.mkdir(parents=True, exist_ok=True)
    engine.write_snapshot(result.table, snapshot_path)
    delivery.snapshot_file = snapshot_relative
    delivery.snapshot_sha256 = engine.sha256_of(snapshot_path)
    delivery.progress_done = delivery.progress_total = result.data_rows
    if current is not None:
        try:
            delivery.comparison = compare_snapshots(current, delivery)
        except Exception:  # the comparison informs; it must never stop an import
            log.exception("import %s: comparison with the snapshot in force failed", delivery.pk)
            delivery.comparison = {
                "previous_import": current.source_import_id,
                "rows_before": current.row_count,
                "rows_after": delivery.accepted_count,
            }
    reasons = [] if force else hold_reasons(current, delivery)
    if reasons:
        delivery.held_reasons = reasons
        held = _finish(delivery, ImportStatus.HELD, held_message(delivery))
        notify_held(held)
        return held
    if force and current is not None and hold_reasons(current, delivery):
        notes = [
            "Die Lieferung wurde trotz Auffälligkeiten ausdrücklich übernommen: "
            + " ".join(hold_reasons(current, delivery))
        ]
        delivery.warnings = [*delivery.warnings, *notes]
    _put_in_force(delivery)
    return delivery


def _put_in_force(delivery: Import, *, message: str = "") -> None:
    """Make the delivery's snapshot the source's current one: one row, one transaction."""
    with transaction.atomic():
        # The only moment the current snapshot changes.
        SourceSnapshot.objects.select_for_update().filter(source=delivery.source).first()
        SourceSnapshot.objects.update_or_create(
            source=delivery.source,
            defaults={
                "source_import": delivery,
                "path": delivery.snapshot_file,
                "sha256": delivery.snapshot_sha256,
                "row_count": delivery.accepted_count,
                "activated_at": timezone.now(),
            },
        )
        message = message or (
            f"{de_int(delivery.accepted_count)} Zeilen übernommen, {de_int(delivery.rejected_count)} abgelehnt."
        )
        _finish(delivery, ImportStatus.TAKEN, message)
        transaction.on_commit(lambda: announce_snapshot(delivery))


# --- plausibility against the delivery in force: hold, confirm, discard, put back ------------


def hold_reasons(current: SourceSnapshot | None, delivery: Import) -> list[str]:
    """Why a delivery must not silently replace the one in force (German sentences); empty if none."""
    if current is None:
        return []
    reasons = []
    percent = int(getattr(settings, "IMPORT_HOLD_SHRINK_PERCENT", 20))
    before, after = current.row_count, delivery.accepted_count
    if before and after < before * (100 - percent) / 100:
        reasons.append(
            f"Die Lieferung hat {de_int(after)} verwendbare Zeilen, die geltende Lieferung Nr. "
            f"{current.source_import_id} hat {de_int(before)} – das sind {round(100 * (before - after) / before)} % "
            f"weniger (zurückgehalten ab {percent} % weniger)."
        )
    previous_missing = set(current.source_import.missing_columns or [])
    lost = [column for column in delivery.missing_columns if column not in previous_missing]
    if lost:
        reasons.append(
            "Diese Spalten fehlen, die die geltende Lieferung noch enthielt: " + ", ".join(lost) + "."
        )
    comparison = delivery.comparison or {}
    before_as_of, after_as_of = comparison.get("as_of_before"), comparison.get("as_of_after")
    if before_as_of and after_as_of and after_as_of < before_as_of:
        reasons.append(
            f"Der Stand der Lieferung ({_de_date(after_as_of)}) ist älter als der Stand der geltenden "
            f"Lieferung Nr. {current.source_import_id} ({_de_date(before_as_of)})."
        )
    missing_units = comparison.get("units_missing_count") or 0
    if missing_units:
        named = ", ".join(
            f"{name} ({number})" if name else number
            for number, name in comparison.get("units_missing", [])[:5]
        )
        more = f" und {de_int(missing_units - 5)} weitere" if missing_units > 5 else ""
        reasons.append(
            f"{de_int(missing_units)} {'Schule fehlt' if missing_units == 1 else 'Schulen fehlen'}, "
            f"die in der geltenden Lieferung Nr. {current.source_import_id} noch geliefert hatten: "
            f"{named}{more}."
        )
    return reasons


def _de_date(iso: str) -> str:
    try:
        return date.fromisoformat(iso[:10]).strftime("%d.%m.%Y")
    except ValueError:
        return iso


def notify_held(delivery: Import) -> int:
    """Mail the people who may confirm or discard a held delivery: that one is held, and a link."""
    return notify.notify(
        (
            user
            for user in User.objects.filter(is_active=True).exclude(email="")
            if may_decide(user, delivery)
        ),
        "Lieferung zurückgehalten",
        f"Eine Lieferung der Quelle „{engine.get_source(delivery.source).label}“ wurde in MISSIMO "
        "zurückgehalten und wartet auf Ihre Prüfung.",
        reverse("imports:detail", args=[delivery.pk]),
    )


def held_message(delivery: Import) -> str:
    return (
        "Zurückgehalten: Die Lieferung wurde eingelesen, ersetzt den geltenden Datenstand aber noch nicht. "
        + " ".join(delivery.held_reasons)
        + " Bitte prüfen Sie den Vergleich und bestätigen oder verwerfen Sie die Lieferung."
    )


def compare_snapshots(current: SourceSnapshot, delivery: Import) -> dict:
    """Rows added, removed and changed per field between the snapshot in force and the delivery's,
    matched on the source's record key (`_key`)."""
    old, new = data_path(current.path), data_path(delivery.snapshot_file)
    summary: dict = {
        "previous_import": current.source_import_id,
        "rows_before": current.row_count,
        "rows_after": delivery.accepted_count,
    }
    if not old.exists() or not new.exists():
        return summary
    layout = engine.get_source(delivery.source)
    summary.update(
        engine.compare_snapshots(
            old,
            new,
            as_of=getattr(layout, "as_of", ""),
            unit=tuple(getattr(layout, "delivering_unit", ())),
        )
    )
    return summary


def may_decide(user, delivery: Import) -> bool:
    """A held delivery is confirmed or discarded by the delivering agency or the coordination office."""
    if delivery.source not in policy.delivery_sources(user) or not policy.can(user, Capability.DELIVER):
        return False
    return policy.can(user, Capability.SEE_ALL_REJECTED_ROWS) or (
        user.agency_id is not None and delivery.agency_id in (None, user.agency_id)
    )


def _held(user, delivery: Import) -> Import:
    if not may_decide(user, delivery):
        raise DeliveryRefused(
            "Über diese Lieferung entscheidet die liefernde Stelle oder die Koordinierungsstelle."
        )
    locked = Import.objects.select_for_update().get(pk=delivery.pk)
    if locked.status != ImportStatus.HELD:
        raise DeliveryRefused(
            f"Die Lieferung Nr. {locked.pk} ist nicht zurückgehalten (Status „{locked.get_status_display()}“)."
        )
    return locked


@transaction.atomic
def confirm_held(user, delivery: Import, *, request=None) -> Import:
    """Put a held delivery in force after a person has looked at it."""
    locked = _held(user, delivery)
    locked.decided_by, locked.decided_at = user, timezone.now()
    _put_in_force(
        locked,
        message=(
            f"Nach Prüfung bestätigt von {user.display_name}: {de_int(locked.accepted_count)} Zeilen übernommen, "
            f"{de_int(locked.rejected_count)} abgelehnt."
        ),
    )
    record(
        user,
        AuditAction.CHANGE,
        object_type="import",
        object_id=locked.pk,
        purpose="Zurückgehaltene Lieferung bestätigt und in Kraft gesetzt",
        details={"source": locked.source, "reasons": locked.held_reasons},
        request=request,
    )
    return locked


@transaction.atomic
def discard_held(user, delivery: Import, *, request=None) -> Import:
    """Discard a held delivery: the delivery in force stays, the held snapshot file is deleted."""
    locked = _held(user, delivery)
    if locked.snapshot_file:
        data_path(locked.snapshot_file).unlink(missing_ok=True)
    locked.snapshot_file = ""
    locked.decided_by, locked.decided_at = user, timezone.now()
    _finish(
        locked,
        ImportStatus.DISCARDED,
        f"Verworfen von {user.display_name}; der bisherige Datenstand gilt weiter.",
    )
    record(
        user,
        AuditAction.CHANGE,
        object_type="import",
        object_id=locked.pk,
        purpose="Zurückgehaltene Lieferung verworfen",
        details={"source": locked.source},
        request=request,
    )
    return locked


def previous_delivery(source: str) -> Import | None:
    """The delivery that was in force before the current one and whose snapshot is still kept."""
    current = SourceSnapshot.objects.filter(source=source).first()
    earlier = Import.objects.filter(source=source, status=ImportStatus.TAKEN).exclude(snapshot_file="")
    if current is not None:
        earlier = earlier.exclude(pk=current.source_import_id).filter(
            created_at__lt=current.source_import.created_at
        )
    for candidate in earlier.order_by("-created_at", "-id"):
        if data_path(candidate.snapshot_file).exists():
            return candidate
    return None


@transaction.atomic
def restore_previous(user, source: str, *, request=None) -> Import:
    """ "Vorherige Lieferung wiederherstellen": the previous delivery (within its retention) is in force again."""
    if source not in policy.delivery_sources(user) or not policy.can(user, Capability.DELIVER):
        raise DeliveryRefused("Sie dürfen den Datenstand dieser Quelle nicht ändern.")
    previous = previous_delivery(source)
    if previous is None:
        raise DeliveryRefused(
            "Es gibt keine frühere Lieferung dieser Quelle mehr, deren Datenstand noch aufbewahrt wird."
        )
    current = SourceSnapshot.objects.select_for_update().filter(source=source).first()
    replaced = current.source_import_id if current else None
    SourceSnapshot.objects.update_or_create(
        source=source,
        defaults={
            "source_import": previous,
            "path": previous.snapshot_file,
            "sha256": previous.snapshot_sha256,
            "row_count": previous.accepted_count,
            "activated_at": timezone.now(),
        },
    )
    if replaced:
        # The replaced delivery leaves the sequence: a second "wiederherstellen" goes further back.
        Import.objects.filter(pk=replaced).update(
            status=ImportStatus.DISCARDED,
            message=f"Durch {user.display_name} zurückgenommen; wieder in Kraft ist Lieferung Nr. {previous.pk}.",
        )
    record(
        user,
        AuditAction.CHANGE,
        object_type="import",
        object_id=previous.pk,
        purpose="Vorherige Lieferung wiederhergestellt",
        details={"source": source, "replaced": replaced},
        request=request,
    )
    transaction.on_commit(lambda: announce_snapshot(previous))
    return previous


def held_deliveries(user) -> QuerySet[Import]:
    """Deliveries held for confirmation that this user may decide on."""
    held = imports_for(user).filter(status=ImportStatus.HELD)
    return held.filter(pk__in=[d.pk for d in held if may_decide(user, d)])


def _write_rejected(result, path: Path) -> None:
    """The rejected rows for the office, at most `IMPORT_REJECTED_ROWS_KEPT` of them, and a closing
    line saying how many were left out (their count is in the delivery's record)."""
    kept = bounds.rejected_rows_kept()
    left_out = result.rejected_count - kept
    if left_out <= 0:
        engine.write_rejected_csv(result, path)
        return
    engine.write_rejected_csv(dataclasses.replace(result, rejected=result.rejected[:kept]), path)
    with path.open("a", encoding="utf-8", newline="") as stream:
        stream.write(
            f"# {de_int(left_out)} weitere abgelehnte Zeilen sind in dieser Datei nicht aufgeführt "
            f"(insgesamt {de_int(result.rejected_count)} abgelehnt; höchstens {de_int(kept)} Zeilen je Datei).\r\n"
        )


def _first(items: Iterable, limit: int):
    for index, item in enumerate(items):
        if index >= limit:
            return
        yield item


# --- snapshots and mappings ----------------------------------------------------------------


@dataclass(frozen=True)
class CurrentSnapshot:
    source: str
    path: Path
    sha256: str
    row_count: int
    import_id: int


def current_snapshots() -> dict[str, CurrentSnapshot]:
    """The snapshot every source currently stands for (what a run reads)."""
    return {
        snap.source: CurrentSnapshot(
            snap.source, data_path(snap.path), snap.sha256, snap.row_count, snap.source_import_id
        )
        for snap in SourceSnapshot.objects.all()
    }


def save_mapping(user, source: str, mapping: dict[str, str]) -> ColumnMapping:
    """Remember an office's column mapping for its next deliveries of this source."""
    if user.agency_id is None:
        raise DeliveryRefused(
            "Ihrem Konto ist keine Behörde zugeordnet; eine Zuordnung kann nicht gespeichert werden."
        )
    cleaned = {
        str(k).strip(): str(v).strip() for k, v in mapping.items() if str(k).strip() and str(v).strip()
    }
    saved, _ = ColumnMapping.objects.update_or_create(
        agency_id=user.agency_id, source=source, defaults={"mapping": cleaned, "updated_by": user}
    )
    record(
        user, AuditAction.CHANGE, object_type="column_mapping", object_id=saved.pk, details={"source": source}
    )
    return saved


def mapping_for(user, source: str) -> dict[str, str]:
    if user.agency_id is None:
        return {}
    saved = ColumnMapping.objects.filter(agency_id=user.agency_id, source=source).first()
    return dict(saved.mapping) if saved else {}


# --- retention ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PurgeReport:
    source_files: int
    rejected_files: int
    snapshots: int
    current_snapshots_expired: list[str]


def purge_expired(today=None) -> PurgeReport:
    """Delete what has outlived its retention period: original files (and their rejected rows),
    superseded snapshots, and current snapshots older than the snapshot retention period.

    The deletion is logged (counts and delivery numbers, no personal data)."""
    today = today or timezone.localdate()
    source_files = rejected_files = snapshots = 0
    for delivery in Import.objects.filter(retain_until__lt=today).exclude(stored_file="", rejected_file=""):
        for attribute in ("stored_file", "rejected_file"):
            relative = getattr(delivery, attribute)
            if relative:
                data_path(relative).unlink(missing_ok=True)
                if attribute == "stored_file":
                    source_files += 1
                else:
                    rejected_files += 1
                setattr(delivery, attribute, "")
        delivery.row_errors.all().delete()
        delivery.save(update_fields=["stored_file", "rejected_file"])
    cutoff = timezone.now() - timedelta(days=settings.RETENTION_SNAPSHOTS_DAYS)
    expired_current = []
    with transaction.atomic():
        for snapshot in SourceSnapshot.objects.select_for_update().filter(activated_at__lt=cutoff):
            expired_current.append(snapshot.source)
            snapshot.delete()
    # Superseded snapshots stay for reproducing older runs until they too are past the period.
    current_paths = set(SourceSnapshot.objects.values_list("path", flat=True))
    for delivery in Import.objects.exclude(snapshot_file="").filter(finished_at__lt=cutoff):
        if delivery.snapshot_file not in current_paths:
            data_path(delivery.snapshot_file).unlink(missing_ok=True)
            Import.objects.filter(pk=delivery.pk).update(snapshot_file="")
            snapshots += 1
    report = PurgeReport(source_files, rejected_files, snapshots, expired_current)
    if source_files or rejected_files or snapshots:
        record(
            None,
            AuditAction.DELETE,
            object_type="retention",
            purpose="Löschung nach Ablauf der Aufbewahrungsfrist",
            details={
                "source_files": source_files,
                "rejected_files": rejected_files,
                "snapshots": snapshots,
                "expired_current_snapshots": expired_current,
            },
        )
    return report
