"""Deliveries of agency exports (imports), the current snapshot of each source, and the column
mappings offices use for their variant layouts."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from missimo.engine import SOURCES


def source_choices() -> list[tuple[str, str]]:
    """The sources a delivery can be of, from the engine's source descriptors (a callable, so that
    a seventh source needs no migration here)."""
    return [(layout.name, layout.label) for layout in SOURCES.values()]


class ImportStatus(models.TextChoices):
    PENDING = "pending", "wartet"
    RUNNING = "running", "läuft"
    TAKEN = "taken", "übernommen"
    UNCHANGED = "unchanged", "unverändert (identische Datei)"
    REFUSED = "refused", "abgelehnt"
    FAILED = "failed", "fehlgeschlagen"
    # Implausible against the delivery in force (far fewer rows, columns missing): read and stored,
    # but not in force until a person of the agency or the coordination office confirms it.
    HELD = "held", "zurückgehalten (zu prüfen)"
    DISCARDED = "discarded", "verworfen (nicht übernommen)"


FINISHED = (
    ImportStatus.TAKEN,
    ImportStatus.UNCHANGED,
    ImportStatus.REFUSED,
    ImportStatus.FAILED,
    ImportStatus.HELD,
    ImportStatus.DISCARDED,
)


class Import(models.Model):
    """One delivered file and what became of it."""

    source = models.CharField("Quelle", max_length=20, choices=source_choices, db_index=True)
    status = models.CharField(
        "Status", max_length=20, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    message = models.TextField("Meldung", blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="geliefert von",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    agency = models.ForeignKey(
        "accounts.Agency",
        verbose_name="Behörde",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    channel = models.CharField("Weg", max_length=20, default="web")  # "web" or "cli"
    created_at = models.DateTimeField("geliefert am", auto_now_add=True)
    started_at = models.DateTimeField("begonnen", null=True, blank=True)
    finished_at = models.DateTimeField("beendet", null=True, blank=True)
    original_filename = models.CharField("Dateiname", max_length=255)
    size_bytes = models.BigIntegerField("Größe (Bytes)", default=0)
    sha256 = models.CharField("SHA-256", max_length=64, db_index=True)
    stored_file = models.CharField("gespeicherte Datei", max_length=500, blank=True)
    file_format = models.CharField("Format", max_length=10, blank=True)
    encoding = models.CharField("Zeichenkodierung", max_length=40, blank=True)
    delimiter = models.CharField("Trennzeichen", max_length=10, blank=True)
    data_rows = models.IntegerField("Datenzeilen", default=0)
    accepted_count = models.IntegerField("übernommen", default=0)
    rejected_count = models.IntegerField("abgelehnt", default=0)
    blank_rows = models.IntegerField("Leerzeilen", default=0)
    extra_columns = models.JSONField("zusätzliche Spalten", default=list, blank=True)
    warnings = models.JSONField("Hinweise", default=list, blank=True)
    mapping_used = models.JSONField("verwendete Spaltenzuordnung", default=dict, blank=True)
    rejected_file = models.CharField("Datei der abgelehnten Zeilen", max_length=500, blank=True)
    snapshot_file = models.CharField("Snapshot", max_length=500, blank=True)
    snapshot_sha256 = models.CharField("SHA-256 des Snapshots", max_length=64, blank=True)
    progress_done = models.BigIntegerField(default=0)
    progress_total = models.BigIntegerField(default=0)
    worker_host = models.CharField(max_length=255, blank=True)
    worker_pid = models.IntegerField(null=True, blank=True)
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name="identisch mit",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    retain_until = models.DateField("aufbewahren bis", null=True, blank=True)
    missing_columns = models.JSONField("fehlende optionale Spalten", default=list, blank=True)
    held_reasons = models.JSONField("Gründe der Zurückhaltung", default=list, blank=True)
    # Against the delivery in force when it was read: {"previous_import", "rows_before", "rows_after",
    # "added", "removed", "changed": {field: count}}
    comparison = models.JSONField("Vergleich mit dem geltenden Datenstand", default=dict, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="entschieden von",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField("entschieden am", null=True, blank=True)

    class Meta:
        verbose_name = "Datenlieferung"
        verbose_name_plural = "Datenlieferungen"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Import {self.pk} ({self.get_source_display()}, {self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None

    @property
    def progress_percent(self) -> int:
        if self.is_finished:
            return 100
        if not self.progress_total:
            return 0
        return min(99, int(100 * self.progress_done / self.progress_total))


class ImportRowError(models.Model):
    """One error of one rejected row (kept with the import for display; the complete list is in
    the rejected-rows file)."""

    source_import = models.ForeignKey(Import, on_delete=models.CASCADE, related_name="row_errors")
    row = models.IntegerField("Zeile")
    column = models.CharField("Spalte", max_length=100, blank=True)
    value = models.TextField("Wert", blank=True)
    message = models.TextField("Fehler")

    class Meta:
        ordering = ["row", "id"]

    def __str__(self) -> str:
        return f"Zeile {self.row}: {self.message}"


class SourceSnapshot(models.Model):
    """The current snapshot of one source: the only thing a run reads. Replaced atomically."""

    source = models.CharField("Quelle", max_length=20, choices=source_choices, unique=True)
    source_import = models.ForeignKey(Import, on_delete=models.PROTECT, related_name="+")
    path = models.CharField("Datei", max_length=500)
    sha256 = models.CharField("SHA-256", max_length=64)
    row_count = models.IntegerField("Zeilen")
    activated_at = models.DateTimeField("gültig seit")

    class Meta:
        verbose_name = "aktueller Datenstand"
        verbose_name_plural = "aktuelle Datenstände"

    def __str__(self) -> str:
        return f"{self.get_source_display()}: Import {self.source_import_id}"


class ColumnMapping(models.Model):
    """How one office's variant layout maps onto the contract's fields; reused for its next deliveries."""

    agency = models.ForeignKey("accounts.Agency", on_delete=models.CASCADE, related_name="column_mappings")
    source = models.CharField("Quelle", max_length=20, choices=source_choices)
    mapping = models.JSONField("Zuordnung (Spalte der Datei → Feld)")
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "Spaltenzuordnung"
        verbose_name_plural = "Spaltenzuordnungen"
        constraints = [
            models.UniqueConstraint(fields=["agency", "source"], name="one_mapping_per_agency_source")
        ]

    def __str__(self) -> str:
        return f"{self.agency}: {self.get_source_display()}"
