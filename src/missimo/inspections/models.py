"""Kontrollen (joint on-site inspections): the plan (when, where, who, which properties), the field
protocol per property and flat/household, photos kept in the data directory, and the findings that
flow back to each hint of the case.

Data minimisation: an inspection stores only what the visit needs. Expected persons are derived
from the hints of the case (names and birth dates the hints already carry), never copied from the
population register; nationality or origin is never stored, only whether interpreting is needed
and in which language."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from missimo.core.models import AppendOnly


class InspectionStatus(models.TextChoices):
    GEPLANT = "geplant", "geplant"
    DURCHGEFUEHRT = "durchgefuehrt", "durchgeführt"
    ABGESAGT = "abgesagt", "abgesagt"


class Inspection(models.Model):
    """One Kontrolltermin of a campaign: date and time, meeting point, team, interpreting."""

    campaign = models.ForeignKey(
        "casework.Campaign",
        verbose_name="Aktionszeitraum",
        on_delete=models.PROTECT,
        related_name="inspections",
    )
    scheduled_at = models.DateTimeField("Datum und Uhrzeit")
    meeting_point = models.CharField("Treffpunkt", max_length=300)
    agencies = models.ManyToManyField(
        "accounts.Agency", verbose_name="beteiligte Behörden", related_name="inspections"
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name="Teammitglieder (Benutzerkonten)",
        related_name="inspections",
        blank=True,
    )
    members_text = models.TextField("weitere Teammitglieder", blank=True)
    interpreter_needed = models.BooleanField("Dolmetschung benötigt", default=False)
    interpreter_language = models.CharField("Sprache der Dolmetschung", max_length=100, blank=True)
    notes = models.TextField("Hinweise zur Durchführung", blank=True)
    status = models.CharField(
        "Status", max_length=20, choices=InspectionStatus.choices, default=InspectionStatus.GEPLANT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField("angelegt", auto_now_add=True)
    version = models.PositiveIntegerField("Version", default=1)

    class Meta:
        verbose_name = "Kontrolle"
        verbose_name_plural = "Kontrollen"
        ordering = ["-scheduled_at", "-id"]

    def __str__(self) -> str:
        from django.utils import timezone

        return f"Kontrolle am {timezone.localtime(self.scheduled_at):%d.%m.%Y %H:%M} ({self.meeting_point})"


class VisitStatus(models.TextChoices):
    OFFEN = "offen", "offen"
    IN_ARBEIT = "in_arbeit", "Protokoll in Arbeit"
    ABGESCHLOSSEN = "abgeschlossen", "Protokoll abgeschlossen"


class Visit(models.Model):
    """One property (through its case) visited during an inspection, with its field protocol."""

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="visits")
    case = models.ForeignKey("casework.Case", on_delete=models.PROTECT, related_name="inspection_visits")
    position = models.PositiveSmallIntegerField("Reihenfolge", default=0)
    status = models.CharField("Status", max_length=20, choices=VisitStatus.choices, default=VisitStatus.OFFEN)
    residents_registered = models.PositiveIntegerField(
        "gemeldete Personen mit Hauptwohnsitz (Anzahl)", null=True, blank=True
    )
    completed_at = models.DateTimeField("abgeschlossen am", null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    version = models.PositiveIntegerField("Version", default=1)

    class Meta:
        verbose_name = "kontrolliertes Objekt"
        verbose_name_plural = "kontrollierte Objekte"
        ordering = ["inspection", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "case"], name="visit_case_unique_per_inspection")
        ]

    def __str__(self) -> str:
        return f"{self.case} ({self.inspection})"

    @property
    def is_completed(self) -> bool:
        return self.status == VisitStatus.ABGESCHLOSSEN


class ChildrenPresent(models.TextChoices):
    UNBEKANNT = "", "nicht erfasst"
    JA = "ja", "Kinder angetroffen"
    ANZEICHEN = "anzeichen", "keine Kinder angetroffen, aber Anzeichen für Kinder"
    NEIN = "nein", "keine Kinder und keine Anzeichen"


class Defect(models.TextChoices):
    FEUCHTIGKEIT = "feuchtigkeit", "Feuchtigkeit/Schimmel"
    BRANDSCHUTZ = "brandschutz", "Brandschutz"
    UEBERBELEGUNG = "ueberbelegung", "Überbelegung"
    MUELL = "muell", "Müll"
    SONSTIGES = "sonstiges", "Sonstiges"


class HelpNeed(models.TextChoices):
    """Help needs noticed at the door: categories, never diagnoses (issue 17: help beside enforcement)."""

    WOHNEN = "wohnen", "Wohnen"
    FAMILIE = "familie", "Familie/Kinder"
    SCHULE = "schule", "Schule/Kita"
    ARBEIT = "arbeit", "Arbeit"
    GESUNDHEIT = "gesundheit", "Gesundheit/Krankenversicherung"
    SPRACHE = "sprache", "Sprache/Integration"
    AUSBEUTUNG = "ausbeutung", "Verdacht auf Ausbeutung/Menschenhandel"


class Household(models.Model):
    """A flat or household at the property: planned from a hint, or added in the field."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="households")
    label = models.CharField("Bezeichnung", max_length=200)
    location = models.CharField("Lage der Wohnung (z. B. 2. OG links)", max_length=200, blank=True)
    hint_ids = models.JSONField("aus Hinweisen", default=list, blank=True)
    added_in_field = models.BooleanField("vor Ort ergänzt", default=False)
    persons_found = models.PositiveSmallIntegerField("Anzahl angetroffener Personen", null=True, blank=True)
    children = models.CharField(
        "Kinder",
        max_length=20,
        choices=ChildrenPresent.choices,
        default=ChildrenPresent.UNBEKANNT,
        blank=True,
    )
    defects = models.JSONField("Mängel", default=list, blank=True)
    defects_other = models.CharField("sonstiger Mangel", max_length=300, blank=True)
    help_needs = models.JSONField("Hilfebedarf", default=list, blank=True)
    notes = models.TextField("Bemerkungen", blank=True)
    version = models.PositiveIntegerField("Version", default=1)
    updated_at = models.DateTimeField("zuletzt geändert", null=True, blank=True)

    class Meta:
        verbose_name = "Wohnung/Haushalt"
        verbose_name_plural = "Wohnungen/Haushalte"
        ordering = ["visit", "id"]

    def __str__(self) -> str:
        return self.label

    @property
    def defect_labels(self) -> list[str]:
        labels = dict(Defect.choices)
        return [str(labels.get(code, code)) for code in self.defects]

    @property
    def help_need_labels(self) -> list[str]:
        labels = dict(HelpNeed.choices)
        return [str(labels.get(code, code)) for code in self.help_needs]


class Presence(models.TextChoices):
    UNBEKANNT = "unbekannt", "unbekannt"
    ANGETROFFEN = "angetroffen", "angetroffen"
    NICHT_ANGETROFFEN = "nicht_angetroffen", "nicht angetroffen"


class ExpectedPerson(models.Model):
    """A person the hints of the case place in this household (name and birth date as the hint
    carries them; no register extract)."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="persons")
    person_ref = models.CharField("Personenkennung aus dem Abgleich", max_length=250, blank=True)
    name = models.CharField("Name", max_length=300, blank=True)
    birth_date = models.DateField("Geburtsdatum", null=True, blank=True)
    role = models.CharField("laut Hinweis", max_length=100, blank=True)
    hint_ids = models.JSONField("Hinweise", default=list)
    presence = models.CharField(
        "vor Ort", max_length=20, choices=Presence.choices, default=Presence.UNBEKANNT
    )

    class Meta:
        verbose_name = "erwartete Person"
        verbose_name_plural = "erwartete Personen"
        ordering = ["household", "id"]

    def __str__(self) -> str:
        return self.name or self.role or f"Person {self.pk}"


class ProtocolChange(AppendOnly):
    """One saved change of a field protocol, append-only. `change_id` (chosen by the tablet) makes a
    retried save idempotent."""

    append_only_name = "Protokolländerungen"

    change_id = models.CharField(max_length=64, unique=True)
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="changes")
    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    field = models.CharField("Feld", max_length=100)
    old_value = models.JSONField("bisher", null=True)
    new_value = models.JSONField("neu", null=True)
    version_after = models.PositiveIntegerField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    occurred_at = models.DateTimeField("Zeitpunkt", auto_now_add=True)

    class Meta:
        verbose_name = "Protokolländerung"
        verbose_name_plural = "Protokolländerungen"
        ordering = ["-occurred_at", "-id"]

    def __str__(self) -> str:
        return f"{self.occurred_at:%d.%m.%Y %H:%M} {self.field}"


class Photo(models.Model):
    """A photo taken on site, stored in the data directory (never web-served directly)."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="photos")
    household = models.ForeignKey(
        Household, on_delete=models.SET_NULL, null=True, blank=True, related_name="photos"
    )
    caption = models.CharField("Beschreibung", max_length=300, blank=True)
    stored_file = models.CharField(max_length=500)
    content_type = models.CharField(max_length=50)
    size_bytes = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField("hochgeladen am", auto_now_add=True)

    class Meta:
        verbose_name = "Foto"
        verbose_name_plural = "Fotos"
        ordering = ["visit", "id"]

    def __str__(self) -> str:
        return self.caption or f"Foto {self.pk}"


class Finding(models.TextChoices):
    BESTAETIGT = "bestaetigt", "bestätigt vor Ort"
    NICHT_BESTAETIGT = "nicht_bestaetigt", "nicht bestätigt"
    NICHT_FESTSTELLBAR = "nicht_feststellbar", "nicht feststellbar"


class InspectionFinding(models.Model):
    """What the inspection found about one hint of the case (set when the protocol is completed)."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="findings")
    case = models.ForeignKey("casework.Case", on_delete=models.CASCADE, related_name="inspection_findings")
    hint = models.ForeignKey("runs.Hint", on_delete=models.PROTECT, related_name="inspection_findings")
    finding = models.CharField("Ergebnis", max_length=30, choices=Finding.choices)
    note = models.TextField("Bemerkung", blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField("erfasst am", auto_now_add=True)

    class Meta:
        verbose_name = "Kontrollergebnis"
        verbose_name_plural = "Kontrollergebnisse"
        ordering = ["case", "hint__rule", "id"]
        constraints = [
            models.UniqueConstraint(fields=["visit", "hint"], name="finding_unique_per_visit_hint")
        ]

    def __str__(self) -> str:
        return f"{self.hint} – {self.get_finding_display()}"


class SupportService(models.Model):
    """A support service of the city a case can be referred to (configurable in the administration)."""

    name = models.CharField("Name", max_length=200, unique=True)
    provider = models.CharField("Träger/Stelle", max_length=200, blank=True)
    help_needs = models.JSONField("passt zu Hilfebedarf", default=list, blank=True)
    contact = models.CharField("Kontakt", max_length=300, blank=True)
    active = models.BooleanField("angeboten", default=True)

    class Meta:
        verbose_name = "Hilfsangebot"
        verbose_name_plural = "Hilfsangebote"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ReferralStatus(models.TextChoices):
    VORGESCHLAGEN = "vorgeschlagen", "vorgeschlagen"
    VERMITTELT = "vermittelt", "vermittelt (Kontakt hergestellt)"
    ANGENOMMEN = "angenommen", "Hilfe angenommen"
    ABGELEHNT = "abgelehnt", "Hilfe abgelehnt"
    ABGESCHLOSSEN = "abgeschlossen", "abgeschlossen"


# Allowed moves of a referral (a referral ends accepted-and-closed or declined).
REFERRAL_MOVES = {
    ReferralStatus.VORGESCHLAGEN: {ReferralStatus.VERMITTELT, ReferralStatus.ABGELEHNT},
    ReferralStatus.VERMITTELT: {ReferralStatus.ANGENOMMEN, ReferralStatus.ABGELEHNT},
    ReferralStatus.ANGENOMMEN: {ReferralStatus.ABGESCHLOSSEN},
    ReferralStatus.ABGELEHNT: set(),
    ReferralStatus.ABGESCHLOSSEN: set(),
}


class Referral(models.Model):
    """A referral of a household of a case to a support service, with the person's consent."""

    case = models.ForeignKey("casework.Case", on_delete=models.CASCADE, related_name="referrals")
    household = models.ForeignKey(
        Household, on_delete=models.SET_NULL, null=True, blank=True, related_name="referrals"
    )
    service = models.ForeignKey(SupportService, on_delete=models.PROTECT, related_name="referrals")
    help_need = models.CharField("Hilfebedarf", max_length=20, choices=HelpNeed.choices)
    consent = models.BooleanField("Einwilligung der betroffenen Person liegt vor", default=False)
    status = models.CharField(
        "Stand", max_length=20, choices=ReferralStatus.choices, default=ReferralStatus.VORGESCHLAGEN
    )
    result = models.TextField("Ergebnis", blank=True)
    agency = models.ForeignKey("accounts.Agency", on_delete=models.SET_NULL, null=True, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("angelegt", auto_now_add=True)
    updated_at = models.DateTimeField("zuletzt geändert", auto_now=True)

    class Meta:
        verbose_name = "Vermittlung"
        verbose_name_plural = "Vermittlungen"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.service} ({self.get_status_display()})"
