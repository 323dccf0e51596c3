"""An Abgleich run as a reproducible record, its hints and its ranked properties."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class RunStatus(models.TextChoices):
    PENDING = "pending", "wartet"
    RUNNING = "running", "läuft"
    FINISHED = "finished", "abgeschlossen"
    FAILED = "failed", "fehlgeschlagen"


class Run(models.Model):
    """Stichtag, inputs with their hashes, settings, versions, timings and counts of one run."""

    stichtag = models.DateField("Stichtag")
    status = models.CharField("Status", max_length=20, choices=RunStatus.choices, default=RunStatus.PENDING)
    message = models.TextField("Meldung", blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="gestartet von",
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    channel = models.CharField("Weg", max_length=20, default="web")
    created_at = models.DateTimeField("angelegt", auto_now_add=True)
    started_at = models.DateTimeField("begonnen", null=True, blank=True)
    finished_at = models.DateTimeField("beendet", null=True, blank=True)
    progress_step = models.CharField("Schritt", max_length=200, blank=True)
    progress_percent = models.PositiveSmallIntegerField(default=0)
    inputs = models.JSONField("verwendete Datenstände", default=list)
    settings_used = models.JSONField("Einstellungen", default=dict)
    rule_versions = models.JSONField("Regelversionen", default=dict)
    software_version = models.CharField("Softwareversion", max_length=50, blank=True)
    linkage_model_sha256 = models.CharField("SHA-256 des Verknüpfungsmodells", max_length=64, blank=True)
    linkage_threshold = models.FloatField("Schwelle der Personenverknüpfung", null=True, blank=True)
    timings = models.JSONField("Laufzeiten (s)", default=dict)
    counts = models.JSONField("Zählwerte", default=dict)
    rule_statuses = models.JSONField("Ergebnis je Regel", default=list)
    # Objekt_ID -> persons with their main residence there on the Stichtag, counted as the rules
    # count them (engine.rules.RESIDENTS_SQL); the register shows these (no personal data).
    residents = models.JSONField("Bewohner je Gebäude", default=dict)
    # The review sample of the person linkage (issue #15): its strata with their populations
    # ({"strata": [...], "per_stratum": n}); the pairs are LinkReviewPair rows.
    link_review = models.JSONField("Stichprobe der Personenverknüpfung", default=dict, blank=True)
    # The estimate from the labels so far (engine.estimate_link_quality(...).as_dict()).
    link_quality = models.JSONField("geschätzte Güte der Personenverknüpfung", default=dict, blank=True)
    work_dir = models.CharField(max_length=500, blank=True)
    worker_host = models.CharField(max_length=255, blank=True)
    worker_pid = models.IntegerField(null=True, blank=True)

    class Meta:
        verbose_name = "Abgleich"
        verbose_name_plural = "Abgleiche"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Abgleich {self.pk} zum {self.stichtag:%d.%m.%Y}"

    @property
    def is_finished(self) -> bool:
        return self.status in (RunStatus.FINISHED, RunStatus.FAILED)

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class HintChange(models.TextChoices):
    """How a run saw a hint compared with the run before (ADR 0005)."""

    NEU = "neu", "neu"
    UNVERAENDERT = "unveraendert", "unverändert"
    GEAENDERT = "geaendert", "geändert"
    ENTFALLEN = "entfallen", "entfallen"


class Hint(models.Model):
    """One Prüfhinweis: a reason to look, never a finding. One row per rule and primary record
    across all runs (ADR 0005): a later run that finds it again updates this row, so its reviews,
    case, inspection and outcomes stay attached. `run` is the latest run that found it."""

    run = models.ForeignKey(
        Run, verbose_name="zuletzt gefunden im Abgleich", on_delete=models.CASCADE, related_name="hints"
    )
    first_run = models.ForeignKey(
        Run,
        verbose_name="erstmals gefunden im Abgleich",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    change = models.CharField(
        "Stand gegenüber dem vorigen Abgleich",
        max_length=20,
        choices=HintChange.choices,
        default=HintChange.NEU,
        db_index=True,
    )
    # What the latest run changed: [{"field": "amount"|"address"|"evidence", "old", "new", "added", "removed"}]
    changes = models.JSONField("Änderungen", default=list, blank=True)
    hint_id = models.CharField("Hinweis-ID", max_length=40)
    rule = models.CharField("Regel", max_length=40, db_index=True)
    rule_version = models.PositiveIntegerField("Regelversion")
    agency_kind = models.CharField("zuständige Stelle", max_length=30, db_index=True)
    primary_ref = models.CharField("Primärbeleg", max_length=200)
    evidence = models.JSONField("Belege")
    objekt_id = models.CharField("Objekt", max_length=100, blank=True, db_index=True)
    address = models.CharField("Adresse", max_length=300, blank=True)
    amount_monthly = models.DecimalField("Betrag monatlich (€)", max_digits=12, decimal_places=2, null=True)
    person_ids = models.JSONField("Personen", default=list)
    facts = models.JSONField("Fakten", default=dict)
    explanation = models.TextField("Erklärung")

    class Meta:
        verbose_name = "Hinweis"
        verbose_name_plural = "Hinweise"
        ordering = ["rule", "primary_ref"]
        constraints = [models.UniqueConstraint(fields=["run", "hint_id"], name="hint_id_unique_per_run")]

    def __str__(self) -> str:
        return f"{self.rule} {self.primary_ref}"


class HintSighting(models.Model):
    """What one run said about one hint: found as new, unchanged, changed (with the changes), or no
    longer found. The history of a hint across runs; deleted with the run's hints (retention)."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="sightings")
    hint = models.ForeignKey(Hint, on_delete=models.CASCADE, related_name="sightings")
    change = models.CharField("Stand", max_length=20, choices=HintChange.choices)
    changes = models.JSONField("Änderungen", default=list, blank=True)

    class Meta:
        verbose_name = "Stand eines Hinweises in einem Abgleich"
        verbose_name_plural = "Stände von Hinweisen in Abgleichen"
        ordering = ["-run_id"]
        constraints = [models.UniqueConstraint(fields=["run", "hint"], name="one_sighting_per_run_and_hint")]

    def __str__(self) -> str:
        return f"{self.hint_id} in {self.run_id}: {self.change}"


class RankedProperty(models.Model):
    """A property with at least one hint, in the order inspections should visit them."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="ranking")
    rank = models.PositiveIntegerField("Rang")
    objekt_id = models.CharField("Objekt", max_length=100)
    address = models.CharField("Adresse", max_length=300, blank=True)
    score = models.DecimalField("Punktzahl", max_digits=10, decimal_places=2)
    hint_count = models.PositiveIntegerField("Hinweise")
    rules = models.JSONField("Regeln")
    agencies = models.JSONField("Stellen")
    persons = models.PositiveIntegerField("Personen")
    amount_monthly = models.DecimalField("Betrag monatlich (€)", max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = "priorisiertes Objekt"
        verbose_name_plural = "priorisierte Objekte"
        ordering = ["run", "rank"]
        constraints = [models.UniqueConstraint(fields=["run", "rank"], name="rank_unique_per_run")]

    def __str__(self) -> str:
        return f"{self.rank}. {self.address or self.objekt_id}"


class RejectedLink(models.Model):
    """A case worker's judgement "nicht dieselbe Person": these two records are never linked again."""

    uid_left = models.CharField("Datensatz 1", max_length=250)
    uid_right = models.CharField("Datensatz 2", max_length=250)
    reason = models.TextField("Begründung")
    rejected_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    rejected_at = models.DateTimeField("abgelehnt am", auto_now_add=True)
    hint = models.ForeignKey(Hint, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = "abgelehnte Verknüpfung"
        verbose_name_plural = "abgelehnte Verknüpfungen"
        constraints = [
            models.UniqueConstraint(fields=["uid_left", "uid_right"], name="rejected_link_unique_pair")
        ]

    def __str__(self) -> str:
        return f"{self.uid_left} ≠ {self.uid_right}"

    def as_engine_pair(self) -> tuple[str, str, str, str]:
        left_entity, _, left_key = self.uid_left.partition(":")
        right_entity, _, right_key = self.uid_right.partition(":")
        return (left_entity, left_key, right_entity, right_key)


class ReviewLabel(models.TextChoices):
    SAME = "gleich", "gleiche Person"
    DIFFERENT = "verschieden", "verschiedene Personen"
    UNCLEAR = "unklar", "unklar"


class LinkReviewPair(models.Model):
    """One pair of person records drawn during a run for measuring the linkage's precision (issue
    #15). `comparison` holds only what the comparison page shows (both records' display fields and
    the field weights); it is emptied when the pair is labelled. Stratum, probability, record ids and
    label serve the estimate until the retention period ends (MISSIMO_RETENTION_LINK_REVIEW_DAYS),
    then the row is deleted; the estimate stays on the run."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="review_pairs")
    position = models.PositiveIntegerField("Nr.")
    stratum = models.CharField("Schicht", max_length=10)
    linked = models.BooleanField("verknüpft")
    uid_left = models.CharField("Datensatz 1", max_length=250)
    uid_right = models.CharField("Datensatz 2", max_length=250)
    probability = models.FloatField("Wahrscheinlichkeit derselben Person")
    comparison = models.JSONField("Vergleich", default=dict, blank=True)
    label = models.CharField("Beurteilung", max_length=20, choices=ReviewLabel.choices, blank=True)
    labelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    labelled_at = models.DateTimeField("beurteilt am", null=True, blank=True)
    created_at = models.DateTimeField("gezogen am", auto_now_add=True)

    class Meta:
        verbose_name = "Paar der Stichprobe zur Verknüpfungsgüte"
        verbose_name_plural = "Paare der Stichprobe zur Verknüpfungsgüte"
        ordering = ["run", "position"]
        constraints = [
            models.UniqueConstraint(fields=["run", "position"], name="link_review_pair_position_unique")
        ]

    def __str__(self) -> str:
        return f"{self.uid_left} / {self.uid_right}"
