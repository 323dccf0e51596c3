"""Campaigns (Aktionszeiträume) and cases (Prüffälle): the core that inspections, outcomes,
letters and reports build on. The workflow's transition table lives in casework.workflow."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from missimo.core.models import AppendOnly


class Campaign(models.Model):
    """An Aktionszeitraum: dates, participating agencies, and (through its cases) the properties
    selected from a run's ranking."""

    name = models.CharField("Bezeichnung", max_length=200)
    start = models.DateField("Beginn")
    end = models.DateField("Ende")
    description = models.TextField("Beschreibung", blank=True)
    run = models.ForeignKey(
        "runs.Run",
        verbose_name="Abgleich",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="campaigns",
    )
    agencies = models.ManyToManyField(
        "accounts.Agency", verbose_name="beteiligte Behörden", related_name="campaigns", blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField("angelegt", auto_now_add=True)

    class Meta:
        verbose_name = "Aktionszeitraum"
        verbose_name_plural = "Aktionszeiträume"
        ordering = ["-start", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gte=models.F("start")), name="campaign_end_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.start:%d.%m.%Y}–{self.end:%d.%m.%Y})"


class CaseStatus(models.TextChoices):
    NEU = "neu", "neu"
    IN_PRUEFUNG = "in_pruefung", "in Prüfung"
    KONTROLLE_GEPLANT = "kontrolle_geplant", "Kontrolle geplant"
    KONTROLLIERT = "kontrolliert", "kontrolliert"
    MASSNAHMEN = "massnahmen", "Maßnahmen"
    ABGESCHLOSSEN = "abgeschlossen", "abgeschlossen"
    VERWORFEN = "verworfen", "verworfen"


class CaseOrigin(models.TextChoices):
    KAMPAGNE = "kampagne", "aus dem Abgleich (Aktionszeitraum)"
    FAMILIENKASSE = "familienkasse", "Verdacht der Familienkasse"
    BESCHWERDE = "beschwerde", "Beschwerde aus der Nachbarschaft"
    BEHOERDE = "behoerde", "Mitteilung einer Behörde"
    SONSTIGES = "sonstiges", "sonstiger Anlass"


class Case(models.Model):
    """A Prüffall: one property (usually) in one campaign (or opened by hand), with an
    Aktenzeichen, a workflow status, the hints it rests on and the person responsible."""

    aktenzeichen = models.CharField("Aktenzeichen", max_length=50, unique=True)
    property = models.ForeignKey(
        "properties.Property",
        verbose_name="Objekt",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
    )
    campaign = models.ForeignKey(
        Campaign,
        verbose_name="Aktionszeitraum",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
    )
    origin = models.CharField(
        "Anlass", max_length=20, choices=CaseOrigin.choices, default=CaseOrigin.KAMPAGNE
    )
    title = models.CharField("Kurzbezeichnung", max_length=200, blank=True)
    description = models.TextField("Sachverhalt", blank=True)
    status = models.CharField(
        "Status", max_length=20, choices=CaseStatus.choices, default=CaseStatus.NEU, db_index=True
    )
    hints = models.ManyToManyField("runs.Hint", verbose_name="Hinweise", related_name="cases", blank=True)
    lead_agency = models.ForeignKey(
        "accounts.Agency",
        verbose_name="federführende Behörde",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="zuständig",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_cases",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField("angelegt", auto_now_add=True)
    updated_at = models.DateTimeField("zuletzt geändert", auto_now=True)
    closed_at = models.DateTimeField("abgeschlossen am", null=True, blank=True)
    due_date = models.DateField("Frist", null=True, blank=True, db_index=True)
    follow_up_date = models.DateField("Wiedervorlage", null=True, blank=True, db_index=True)
    follow_up_note = models.CharField("Notiz zur Wiedervorlage", max_length=500, blank=True)
    # Optimistic locking: every write compares and increments (no silent overwrite).
    version = models.PositiveIntegerField("Version", default=1)

    class Meta:
        verbose_name = "Prüffall"
        verbose_name_plural = "Prüffälle"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.aktenzeichen} {self.title or (self.property.address if self.property else '')}".strip()


class CaseEvent(AppendOnly):
    """One step in a case's history, append-only: who, when, what, why."""

    append_only_name = "Einträge im Fallverlauf"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    occurred_at = models.DateTimeField("Zeitpunkt", auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_name = models.CharField("von", max_length=200, blank=True)
    kind = models.CharField("Art", max_length=30, default="status")
    from_status = models.CharField("bisher", max_length=20, choices=CaseStatus.choices, blank=True)
    to_status = models.CharField("neu", max_length=20, choices=CaseStatus.choices, blank=True)
    reason = models.TextField("Begründung", blank=True)
    # Field changes of an edit or assignment: [{"field", "old", "new"}]; the case version after it.
    changes = models.JSONField("Änderungen", default=list, blank=True)
    case_version = models.PositiveIntegerField("Version danach", null=True, blank=True)

    class Meta:
        verbose_name = "Fallverlauf"
        verbose_name_plural = "Fallverlauf"
        ordering = ["-occurred_at", "-id"]

    def __str__(self) -> str:
        return f"{self.occurred_at:%d.%m.%Y %H:%M} {self.kind}"


class AktenzeichenCounter(models.Model):
    """The last sequence number handed out per year, for Aktenzeichen like MIS-2026-00042. Incremented
    with a single UPDATE ... SET last = last + 1, so two clerks never get the same number."""

    year = models.PositiveSmallIntegerField("Jahr", unique=True)
    last = models.PositiveIntegerField("zuletzt vergeben", default=0)

    class Meta:
        verbose_name = "Aktenzeichen-Zähler"
        verbose_name_plural = "Aktenzeichen-Zähler"

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class ReviewDecision(models.TextChoices):
    BESTAETIGT = "bestaetigt", "zur Kontrolle vorgeschlagen"
    VERWORFEN = "verworfen", "verworfen"
    # Recorded by the system, never chosen by a person: a later run found changed evidence for a
    # dismissed hint, so it is open again (ADR 0005).
    WIEDER_OFFEN = "offen", "wieder geöffnet (Belege geändert)"


# The decisions a person may record.
PERSON_DECISIONS = (ReviewDecision.BESTAETIGT.value, ReviewDecision.VERWORFEN.value)


class ReviewReason(models.TextChoices):
    BEKANNT = "bekannt", "bereits bekannt bzw. bearbeitet"
    VERKNUEPFUNG = "verknuepfung", "Verknüpfung falsch (nicht dieselbe Person)"
    VERALTET = "veraltet", "Daten veraltet"
    KEIN_ANLASS = "kein_anlass", "rechtlich kein Anlass"
    SONSTIGES = "sonstiges", "sonstiges (bitte erläutern)"


class HintReview(AppendOnly):
    """An agency's judgement on one hint: propose it for inspection or dismiss it with a reason.
    Append-only: the latest review of a hint is its status, earlier ones are its history."""

    append_only_name = "Sichtungen"

    hint = models.ForeignKey("runs.Hint", on_delete=models.CASCADE, related_name="reviews")
    decision = models.CharField("Entscheidung", max_length=20, choices=ReviewDecision.choices)
    reason_code = models.CharField("Grund", max_length=20, choices=ReviewReason.choices, blank=True)
    note = models.TextField("Erläuterung", blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    reviewed_by_name = models.CharField("von", max_length=200, blank=True)
    reviewed_at = models.DateTimeField("am", auto_now_add=True, db_index=True)
    agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "Sichtung eines Hinweises"
        verbose_name_plural = "Sichtungen von Hinweisen"
        ordering = ["-reviewed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.hint_id}: {self.decision}"


class HandoverKind(models.TextChoices):
    STAATSANWALTSCHAFT = "staatsanwaltschaft", "Abgabe an die Staatsanwaltschaft"
    KINDESWOHL = "kindeswohl", "Mitteilung an das Jugendamt nach § 8a SGB VIII (Kindeswohl)"


class HandoverStatus(models.TextChoices):
    BEANTRAGT = "beantragt", "beantragt (wartet auf Freigabe)"
    FREIGEGEBEN = "freigegeben", "freigegeben"
    ABGELEHNT = "abgelehnt", "abgelehnt"


class CaseHandover(models.Model):
    """A case passed to an agency outside the campaign in the four-eyes principle: handed over to the
    Staatsanwaltschaft, or a child-welfare concern (§ 8a SGB VIII) passed to the Jugendamt. One
    person requests it with a reason, a second person releases or rejects it; the receiving agency
    reads the case only after the release. Every step is in the audit log and the case's history."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="handovers")
    kind = models.CharField("Art", max_length=20, choices=HandoverKind.choices)
    to_agency = models.ForeignKey(
        "accounts.Agency", verbose_name="an", on_delete=models.PROTECT, related_name="received_handovers"
    )
    reason = models.TextField("Begründung")
    status = models.CharField(
        "Stand", max_length=20, choices=HandoverStatus.choices, default=HandoverStatus.BEANTRAGT
    )
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField("beantragt am", auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField("entschieden am", null=True, blank=True)
    decision_note = models.TextField("Vermerk zur Entscheidung", blank=True)

    class Meta:
        verbose_name = "Abgabe eines Prüffalls"
        verbose_name_plural = "Abgaben von Prüffällen"
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"{self.case.aktenzeichen}: {self.get_kind_display()} ({self.get_status_display()})"
