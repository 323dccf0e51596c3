"""Outcomes, measures and letters: what came of a hint, per agency.

- `Outcome`: one agency's finding on one hint (Missbrauch bestätigt / Fehler/Irrtum / kein Befund),
  as the UK National Fraud Initiative records outcomes. One current outcome per hint and agency;
  every correction keeps the previous values in `OutcomeRevision` (append-only) and is audited.
- `AgencyMeasure`: a measure an agency took because of a hint (Kindergeld eingestellt,
  Rückforderung, ...), with the monthly amount stopped, the amount reclaimed and the projected
  savings until the child's 18th birthday (computed by `outcomes.savings`, stored for reporting).
  A measure recorded in error is withdrawn (`withdrawn_at`), never deleted; reports count only
  `AgencyMeasure.objects.active()`.
- `LetterTemplate` / `Letter` / `LetterEvent`: Schreiben to another agency with four-eyes
  approval by a second person of the coordination office.

Reports read these through `missimo.outcomes.services` (money_stopped, reclaimed, projected_savings,
outcome_counts, measure_counts); the model and field names here are kept stable for them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from missimo.core.models import AppendOnly


class OutcomeResult(models.TextChoices):
    MISSBRAUCH = "missbrauch", "Missbrauch bestätigt"
    FEHLER = "fehler", "Fehler/Irrtum"
    KEIN_BEFUND = "kein_befund", "kein Befund"


class Outcome(models.Model):
    """The current finding of one agency on one hint (unique per hint and agency), or on a case that
    has no hint (a case opened from a tip-off or another office: `hint` empty, unique per case and
    agency)."""

    hint = models.ForeignKey(
        "runs.Hint",
        verbose_name="Hinweis",
        on_delete=models.CASCADE,
        related_name="outcomes",
        null=True,
        blank=True,
    )
    case = models.ForeignKey(
        "casework.Case",
        verbose_name="Prüffall",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="outcomes",
    )
    agency = models.ForeignKey(
        "accounts.Agency", verbose_name="Behörde", on_delete=models.PROTECT, related_name="outcomes"
    )
    result = models.CharField("Ergebnis", max_length=20, choices=OutcomeResult.choices, db_index=True)
    decided_on = models.DateField("festgestellt am", db_index=True)
    note = models.TextField("Vermerk", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_by_name = models.CharField("erfasst von", max_length=200, blank=True)
    created_at = models.DateTimeField("erfasst am", auto_now_add=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_by_name = models.CharField("zuletzt geändert von", max_length=200, blank=True)
    updated_at = models.DateTimeField("zuletzt geändert", auto_now=True)
    # Optimistic locking: every correction compares and increments.
    version = models.PositiveIntegerField("Version", default=1)

    class Meta:
        verbose_name = "Ergebnis"
        verbose_name_plural = "Ergebnisse"
        ordering = ["-decided_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["hint", "agency"], name="outcome_one_per_hint_and_agency"),
            models.UniqueConstraint(
                fields=["case", "agency"],
                condition=models.Q(hint__isnull=True),
                name="outcome_one_per_case_without_hint_and_agency",
            ),
        ]

    def __str__(self) -> str:
        on = self.hint_id if self.hint_id is not None else f"Fall {self.case_id}"
        return f"{on} {self.agency_id}: {self.get_result_display()}"


class OutcomeRevision(AppendOnly):
    """An earlier state of an outcome, written before every correction. Append-only."""

    append_only_name = "Frühere Fassungen"

    outcome = models.ForeignKey(Outcome, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField("Version")
    result = models.CharField("Ergebnis", max_length=20, choices=OutcomeResult.choices)
    decided_on = models.DateField("festgestellt am")
    note = models.TextField("Vermerk", blank=True)
    recorded_by_name = models.CharField("erfasst von", max_length=200, blank=True)
    replaced_at = models.DateTimeField("ersetzt am", auto_now_add=True)
    replaced_by_name = models.CharField("ersetzt von", max_length=200, blank=True)

    class Meta:
        verbose_name = "frühere Fassung eines Ergebnisses"
        verbose_name_plural = "frühere Fassungen von Ergebnissen"
        ordering = ["-version", "-id"]

    def __str__(self) -> str:
        return f"{self.outcome_id} v{self.version}"


class MeasureKind(models.TextChoices):
    KINDERGELD_EINGESTELLT = "kindergeld_eingestellt", "Kindergeld eingestellt"
    RUECKFORDERUNG = "rueckforderung", "Rückforderung"
    ABMELDUNG = "abmeldung", "Abmeldung von Amts wegen"
    SCHULPFLICHT = "schulpflicht", "Schulpflichtmaßnahme"
    SEU_NACHGEHOLT = "seu_nachgeholt", "SEU nachgeholt"
    WOHNUNGSAUFSICHT = "wohnungsaufsicht", "Verfahren der Wohnungsaufsicht"
    ANZEIGE = "anzeige", "Anzeige / Steuerstrafverfahren"
    BUERGERGELD_EINGESTELLT = "buergergeld_eingestellt", "Bürgergeld eingestellt"
    BUERGERGELD_GEMINDERT = "buergergeld_gemindert", "Bürgergeld gemindert"
    BUERGERGELD_ZURUECKGEFORDERT = "buergergeld_zurueck", "Bürgergeld zurückgefordert"
    MAENGELBESEITIGUNG = "maengelbeseitigung", "Mängelbeseitigungsanordnung"
    NUTZUNGSUNTERSAGUNG = "nutzungsuntersagung", "Nutzungsuntersagung"
    UNBEWOHNBARKEIT = "unbewohnbarkeit", "Unbewohnbarkeitserklärung"
    SCHULPFLICHTVERFAHREN = "schulpflichtverfahren", "Schulpflichtverfahren"
    BUSSGELDVERFAHREN = "bussgeldverfahren", "Bußgeldverfahren"


M = MeasureKind
# The measure types each kind of agency records (data, not code paths: a new agency kind gets an
# entry here). An agency kind without an entry records the general ones.
MEASURES_OF_AGENCY_KIND: dict[str, tuple[str, ...]] = {
    "familienkasse": (M.KINDERGELD_EINGESTELLT, M.RUECKFORDERUNG, M.ANZEIGE),
    "jobcenter": (
        M.BUERGERGELD_EINGESTELLT,
        M.BUERGERGELD_GEMINDERT,
        M.BUERGERGELD_ZURUECKGEFORDERT,
        M.ANZEIGE,
    ),
    "einwohnermeldeamt": (M.ABMELDUNG,),
    "bauaufsicht": (M.MAENGELBESEITIGUNG, M.NUTZUNGSUNTERSAGUNG, M.UNBEWOHNBARKEIT, M.WOHNUNGSAUFSICHT),
    "schulamt": (M.SCHULPFLICHTVERFAHREN, M.SCHULPFLICHT),
    "schule": (M.SCHULPFLICHT,),
    "gesundheitsamt": (M.SEU_NACHGEHOLT,),
    "ordnungsamt": (M.BUSSGELDVERFAHREN, M.ABMELDUNG, M.ANZEIGE),
    "polizei": (M.ANZEIGE,),
}
GENERAL_MEASURES: tuple[str, ...] = (M.ANZEIGE,)
# Measures that stop a monthly payment: the projected savings are computed for them.
STOPPED_PAYMENTS: tuple[str, ...] = (M.KINDERGELD_EINGESTELLT, M.BUERGERGELD_EINGESTELLT)
# Measures that claim money back: the amount is required.
RECLAIMS: tuple[str, ...] = (M.RUECKFORDERUNG, M.BUERGERGELD_ZURUECKGEFORDERT)


def measure_kinds_for(agency_kind: str | None) -> list[tuple[str, str]]:
    """(value, label) of the measures an agency of this kind may record."""
    allowed = MEASURES_OF_AGENCY_KIND.get(agency_kind or "", GENERAL_MEASURES)
    return [(value, label) for value, label in MeasureKind.choices if value in allowed]


class MeasureQuerySet(models.QuerySet):
    def active(self) -> MeasureQuerySet:
        """Measures not withdrawn: the ones that count."""
        return self.filter(withdrawn_at__isnull=True)


class AgencyMeasure(models.Model):
    """A measure one agency took because of one hint.

    `monthly_amount` (€/Monat) is the payment stopped (Kindergeld eingestellt; defaults from
    Hint.amount_monthly); `reclaimed_amount` (€) the amount claimed back (required for a
    Rückforderung). `projected_months` and `projected_savings` are computed by
    `outcomes.savings.projected_savings` from `taken_on`, `child_birth_date` (from
    Hint.facts["kind_geburtsdatum"]) and `monthly_amount`; None when not computable."""

    hint = models.ForeignKey(
        "runs.Hint", verbose_name="Hinweis", on_delete=models.CASCADE, related_name="agency_measures"
    )
    case = models.ForeignKey(
        "casework.Case",
        verbose_name="Prüffall",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="agency_measures",
    )
    agency = models.ForeignKey(
        "accounts.Agency", verbose_name="Behörde", on_delete=models.PROTECT, related_name="measures_taken"
    )
    kind = models.CharField("Maßnahme", max_length=30, choices=MeasureKind.choices, db_index=True)
    taken_on = models.DateField("Datum", db_index=True)
    monthly_amount = models.DecimalField(
        "eingestellter Betrag (€/Monat)", max_digits=12, decimal_places=2, null=True, blank=True
    )
    reclaimed_amount = models.DecimalField(
        "Rückforderungsbetrag (€)", max_digits=12, decimal_places=2, null=True, blank=True
    )
    child_birth_date = models.DateField("Geburtsdatum des Kindes", null=True, blank=True)
    projected_months = models.PositiveIntegerField("Monate bis zum 18. Geburtstag", null=True, blank=True)
    projected_savings = models.DecimalField(
        "prognostizierte Einsparung (€)", max_digits=14, decimal_places=2, null=True, blank=True
    )
    note = models.TextField("Vermerk", blank=True)
    # When the agency looks at the measure again (Anhörung, Zahlungsfrist, Verfahrensstand).
    follow_up_date = models.DateField("Wiedervorlage", null=True, blank=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_by_name = models.CharField("erfasst von", max_length=200, blank=True)
    created_at = models.DateTimeField("erfasst am", auto_now_add=True)
    withdrawn_at = models.DateTimeField("zurückgenommen am", null=True, blank=True)
    withdrawn_by_name = models.CharField("zurückgenommen von", max_length=200, blank=True)
    withdrawn_reason = models.TextField("Grund der Rücknahme", blank=True)
    version = models.PositiveIntegerField("Version", default=1)

    objects = MeasureQuerySet.as_manager()

    class Meta:
        verbose_name = "Maßnahme einer Behörde"
        verbose_name_plural = "Maßnahmen der Behörden"
        ordering = ["-taken_on", "-id"]

    def __str__(self) -> str:
        return f"{self.taken_on:%d.%m.%Y} {self.get_kind_display()}"


class LetterTemplate(models.Model):
    """An editable letter template. Placeholders in curly braces ({aktenzeichen}, {adresse},
    {hinweise}, {empfaenger}, {datum}) are substituted as plain text by
    `outcomes.letters.fill` — never executed as a Django template."""

    name = models.CharField("Bezeichnung", max_length=200, unique=True)
    subject = models.CharField("Betreff", max_length=300)
    body = models.TextField("Text")
    # An agency kind, or defaults.OWNER_KIND for a letter to a property's owner; empty: any recipient.
    recipient_kind = models.CharField(
        "übliche Empfängerin (Art der Behörde oder Eigentümer)", max_length=30, blank=True
    )
    active = models.BooleanField("aktiv", default=True)
    updated_by_name = models.CharField("zuletzt geändert von", max_length=200, blank=True)
    updated_at = models.DateTimeField("zuletzt geändert", auto_now=True)
    version = models.PositiveIntegerField("Version", default=1)

    class Meta:
        verbose_name = "Vorlage für Schreiben"
        verbose_name_plural = "Vorlagen für Schreiben"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class LetterStatus(models.TextChoices):
    ENTWURF = "entwurf", "Entwurf"
    ZUR_FREIGABE = "zur_freigabe", "zur Freigabe"
    FREIGEGEBEN = "freigegeben", "freigegeben"
    ZURUECKGEWIESEN = "zurueckgewiesen", "zurückgewiesen"
    VERSANDT = "versandt", "versandt"


class Letter(models.Model):
    """A Schreiben for a case to a recipient agency. Subject and body are the filled template
    (plain text, editable while a draft); released only by a second person of the coordination
    office (four-eyes), the PDF exists only after that release."""

    case = models.ForeignKey(
        "casework.Case", verbose_name="Prüffall", on_delete=models.PROTECT, related_name="letters"
    )
    recipient = models.ForeignKey(
        "accounts.Agency",
        verbose_name="Empfängerin",
        on_delete=models.PROTECT,
        related_name="letters",
        null=True,
        blank=True,
    )
    # A letter to the owner of the case's property (Anhörung, Anordnung ...): sent by post to the
    # owner record's address; no agency reads it. Exactly one of recipient and owner is set.
    owner = models.ForeignKey(
        "properties.Owner",
        verbose_name="Eigentümer",
        on_delete=models.PROTECT,
        related_name="letters",
        null=True,
        blank=True,
    )
    template = models.ForeignKey(
        LetterTemplate,
        verbose_name="Vorlage",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="letters",
    )
    subject = models.CharField("Betreff", max_length=300)
    body = models.TextField("Text")
    status = models.CharField(
        "Status", max_length=20, choices=LetterStatus.choices, default=LetterStatus.ENTWURF, db_index=True
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="verfasst von", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("angelegt", auto_now_add=True)
    updated_at = models.DateTimeField("zuletzt geändert", auto_now=True)
    submitted_at = models.DateTimeField("zur Freigabe gegeben", null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="freigegeben von",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField("freigegeben am", null=True, blank=True, db_index=True)
    rejection_reason = models.TextField("Grund der Zurückweisung", blank=True)
    sent_at = models.DateTimeField("versandt am", null=True, blank=True)
    # By when the recipient is asked to answer: a follow-up for the author once it is overdue.
    reply_due = models.DateField("Antwort erwartet bis", null=True, blank=True, db_index=True)
    version = models.PositiveIntegerField("Version", default=1)

    class Meta:
        verbose_name = "Schreiben"
        verbose_name_plural = "Schreiben"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(recipient__isnull=False, owner__isnull=True)
                | models.Q(recipient__isnull=True, owner__isnull=False),
                name="letter_to_an_agency_or_an_owner",
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject} ({self.get_status_display()})"

    @property
    def recipient_name(self) -> str:
        if self.owner_id:
            return f"{self.owner.name} (Eigentümer)"
        return self.recipient.name if self.recipient_id else ""

    @property
    def address_block(self) -> list[str]:
        """The lines of the letter's address field (DIN 5008: name, street, PLZ Ort)."""
        if self.owner_id:
            return self.owner.address_block
        return [self.recipient.name] if self.recipient_id else []

    @property
    def released(self) -> bool:
        return self.status in (LetterStatus.FREIGEGEBEN, LetterStatus.VERSANDT)


class LetterEvent(AppendOnly):
    """One step of a letter (drafted, edited, submitted, approved, rejected, sent). Append-only."""

    append_only_name = "Einträge im Verlauf"

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="events")
    occurred_at = models.DateTimeField("Zeitpunkt", auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_name = models.CharField("von", max_length=200, blank=True)
    from_status = models.CharField("bisher", max_length=20, choices=LetterStatus.choices, blank=True)
    to_status = models.CharField("neu", max_length=20, choices=LetterStatus.choices, blank=True)
    note = models.TextField("Vermerk", blank=True)

    class Meta:
        verbose_name = "Verlauf eines Schreibens"
        verbose_name_plural = "Verlauf von Schreiben"
        ordering = ["-occurred_at", "-id"]

    def __str__(self) -> str:
        return f"{self.occurred_at:%d.%m.%Y %H:%M} {self.to_status}"
