"""The Immobilienkataster: every building of the `objekte` snapshot with the case work the
departments agree on (categories, Problemdruck, Handlungsmöglichkeit, Ampel, goal, measures)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from missimo.core.models import AppendOnly
from missimo.engine import street_label


class Level(models.TextChoices):
    NIEDRIG = "niedrig", "niedrig"
    MITTEL = "mittel", "mittel"
    HOCH = "hoch", "hoch"


class Ampel(models.TextChoices):
    ROT = "rot", "rot – vorrangig handeln"
    GELB = "gelb", "gelb – beobachten und vorbereiten"
    GRUEN = "gruen", "grün – kein akuter Handlungsbedarf"
    OFFEN = "offen", "nicht bewertet"


# Rows: Problemdruck; columns: Handlungsmöglichkeit. Documented in docs/handbuch/immobilienkataster.md.
AMPEL_MATRIX: dict[str, dict[str, str]] = {
    Level.HOCH: {Level.NIEDRIG: Ampel.GELB, Level.MITTEL: Ampel.ROT, Level.HOCH: Ampel.ROT},
    Level.MITTEL: {Level.NIEDRIG: Ampel.GELB, Level.MITTEL: Ampel.GELB, Level.HOCH: Ampel.ROT},
    Level.NIEDRIG: {Level.NIEDRIG: Ampel.GRUEN, Level.MITTEL: Ampel.GRUEN, Level.HOCH: Ampel.GRUEN},
}
AMPEL_ORDER = {Ampel.ROT: 0, Ampel.GELB: 1, Ampel.GRUEN: 2, Ampel.OFFEN: 3}


def ampel_for(problemdruck: str, handlungsmoeglichkeit: str, negative_entwicklung: bool = False) -> str:
    """The traffic light of a property: Problemdruck against Handlungsmöglichkeit (see AMPEL_MATRIX);
    a threatening negative development lifts green to yellow. Unassessed: "offen"."""
    if not problemdruck or not handlungsmoeglichkeit:
        return Ampel.GELB if negative_entwicklung else Ampel.OFFEN
    colour = AMPEL_MATRIX[problemdruck][handlungsmoeglichkeit]
    if colour == Ampel.GRUEN and negative_entwicklung:
        return Ampel.GELB
    return colour


class Category(models.TextChoices):
    BAU = "bau", "bauordnungsrechtlich"
    UMWELT = "umwelt", "umweltrechtlich"
    WOHNUNG = "wohnung", "wohnungsaufsichtsrechtlich"
    SOZIAL = "sozial", "sozial"
    # Worker accommodation (gemeinsamer Runderlass vom 20.10.2022): inspected with the Arbeitsschutz.
    BESCHAEFTIGTE = "beschaeftigte", "Unterkunft für Beschäftigte"


CATEGORY_FIELDS = {
    Category.BAU: "kategorie_bau",
    Category.UMWELT: "kategorie_umwelt",
    Category.WOHNUNG: "kategorie_wohnung",
    Category.SOZIAL: "kategorie_sozial",
    Category.BESCHAEFTIGTE: "kategorie_beschaeftigte",
}


class Owner(models.Model):
    """An owner (person or company) with a postal address: the addressee of orders under the
    Wohnraumstärkungsgesetz and of letters; all the owner's properties point here."""

    class Kind(models.TextChoices):
        PERSON = "person", "natürliche Person"
        FIRMA = "firma", "Unternehmen/Gesellschaft"

    name = models.CharField("Name", max_length=300)
    kind = models.CharField("Art", max_length=10, choices=Kind.choices, default=Kind.PERSON)
    strasse = models.CharField("Straße und Hausnummer", max_length=200, blank=True)
    plz = models.CharField("PLZ", max_length=10, blank=True)
    ort = models.CharField("Ort", max_length=100, blank=True)
    created_at = models.DateTimeField("angelegt", auto_now_add=True)

    class Meta:
        verbose_name = "Eigentümer"
        verbose_name_plural = "Eigentümer"
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["name", "strasse", "plz"], name="owner_unique_by_address")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def address_block(self) -> list[str]:
        """The lines of a postal address block (DIN 5008 order: name, street, PLZ Ort)."""
        return [line for line in (self.name, self.strasse, f"{self.plz} {self.ort}".strip()) if line]


class Property(models.Model):
    """One building (Objekt) of the register: snapshot data plus the agreed case work."""

    # --- from the objekte snapshot (overwritten at every sync) ---
    objekt_id = models.CharField("Objekt-ID", max_length=100, unique=True)
    strasse = models.CharField("Straße", max_length=200)
    hausnummer = models.CharField("Hausnummer", max_length=20)
    hausnummerzusatz = models.CharField("Hausnummerzusatz", max_length=20, blank=True)
    plz = models.CharField("PLZ", max_length=5, db_index=True)
    ort = models.CharField("Ort", max_length=100)
    wohneinheiten = models.PositiveIntegerField("Wohneinheiten", null=True, blank=True)
    wohnflaeche_m2 = models.FloatField("Wohnfläche (m²)", null=True, blank=True)
    eigentuemer = models.CharField("Eigentümer (laut Datenstand)", max_length=300, blank=True)
    baujahr = models.PositiveSmallIntegerField("Baujahr", null=True, blank=True)
    utm_ost = models.FloatField("UTM Ost", null=True, blank=True)
    utm_nord = models.FloatField("UTM Nord", null=True, blank=True)
    lat = models.FloatField("Breite (WGS84)", null=True, blank=True)
    lon = models.FloatField("Länge (WGS84)", null=True, blank=True)
    address_key = models.CharField("Adressschlüssel", max_length=300, blank=True, db_index=True)
    sort_address = models.CharField(max_length=300, blank=True, db_index=True)
    in_snapshot = models.BooleanField("im aktuellen Datenstand", default=True)
    snapshot_import_id = models.IntegerField("aus Lieferung", null=True, blank=True)
    synced_at = models.DateTimeField("abgeglichen am", null=True, blank=True)

    # --- case work (kept across syncs) ---
    kategorie_bau = models.BooleanField("bauordnungsrechtlich", default=False)
    kategorie_umwelt = models.BooleanField("umweltrechtlich", default=False)
    kategorie_wohnung = models.BooleanField("wohnungsaufsichtsrechtlich", default=False)
    kategorie_sozial = models.BooleanField("sozial", default=False)
    kategorie_beschaeftigte = models.BooleanField("Unterkunft für Beschäftigte", default=False)
    arbeitgeber = models.CharField(
        "Arbeitgeber (Unterkunft für Beschäftigte)",
        max_length=300,
        blank=True,
        help_text="Das Unternehmen, das die Beschäftigten hier unterbringt (oder für das sie arbeiten).",
    )
    problemdruck = models.CharField("Problemdruck", max_length=10, choices=Level.choices, blank=True)
    handlungsmoeglichkeit = models.CharField(
        "Handlungsmöglichkeit", max_length=10, choices=Level.choices, blank=True
    )
    negative_entwicklung = models.BooleanField("negative Entwicklung droht", default=False)
    ampel = models.CharField("Ampel", max_length=10, choices=Ampel.choices, default=Ampel.OFFEN)
    ampel_order = models.PositiveSmallIntegerField(default=AMPEL_ORDER[Ampel.OFFEN], db_index=True)
    ziel = models.TextField("strategisches Ziel (ämterübergreifend abgestimmt)", blank=True)
    beschwerdelage = models.TextField("Beschwerdelage", blank=True)
    beschwerden_anzahl = models.PositiveIntegerField("Anzahl Beschwerden", default=0)
    aktenzeichen = models.CharField("Aktenzeichen", max_length=100, blank=True, db_index=True)
    eigentuemer_notiz = models.TextField("Notiz zum Eigentümer", blank=True)
    owner = models.ForeignKey(
        Owner,
        verbose_name="Eigentümer (Datensatz)",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="properties",
    )
    version = models.PositiveIntegerField("Version", default=1)
    updated_at = models.DateTimeField("zuletzt geändert", null=True, blank=True)

    class Meta:
        verbose_name = "Objekt"
        verbose_name_plural = "Objekte"
        ordering = ["sort_address", "objekt_id"]

    def __str__(self) -> str:
        return self.address

    @property
    def street(self) -> str:
        """The street in one spelling ("Dorfstr.", "DORFSTRASSE" -> "Dorfstraße"); `strasse`
        keeps the spelling of the delivery (shown as delivered in the property's data)."""
        return street_label(self.strasse)

    @property
    def address(self) -> str:
        number = f"{self.hausnummer}{self.hausnummerzusatz}"
        return f"{self.street} {number}, {self.plz} {self.ort}".strip()

    @property
    def categories(self) -> list[str]:
        return [str(code) for code, field in CATEGORY_FIELDS.items() if getattr(self, field)]

    @property
    def category_labels(self) -> list[str]:
        return [str(Category(code).label) for code in self.categories]

    def refresh_ampel(self) -> None:
        self.ampel = ampel_for(self.problemdruck, self.handlungsmoeglichkeit, self.negative_entwicklung)
        self.ampel_order = AMPEL_ORDER[Ampel(self.ampel)]


class Measure(models.Model):
    """A procedure step or measure at a property: date, agency, kind, text, and a deadline where the
    step sets one (Anhörung, Anordnung, Frist ...)."""

    class Kind(models.TextChoices):
        VERFAHREN = "verfahren", "Verfahren"
        BEGEHUNG = "begehung", "Begehung/Kontrolle"
        ANHOERUNG = "anhoerung", "Anhörung"
        ANORDNUNG = "anordnung", "Anordnung/Verfügung"
        FRIST = "frist", "Frist gesetzt"
        ZWANGSGELD = "zwangsgeld", "Zwangsgeld angedroht/festgesetzt"
        UNBEWOHNBAR = "unbewohnbar", "Unbewohnbarkeitserklärung"
        RAEUMUNG = "raeumung", "Räumung"
        GESPRAECH = "gespraech", "Gespräch mit Eigentümer"
        SONSTIGES = "sonstiges", "sonstige Maßnahme"

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="measures")
    date = models.DateField("Datum")
    agency = models.CharField("Stelle", max_length=200)
    kind = models.CharField("Art", max_length=20, choices=Kind.choices)
    text = models.TextField("Beschreibung")
    deadline = models.DateField("Frist bis", null=True, blank=True)
    # The Lenkungskreis (steering group) decides on measures; the quarter report counts its decisions.
    steering_decision = models.CharField(
        "Beschluss des Lenkungskreises",
        max_length=12,
        choices=[("", "nicht vorgelegt"), ("beschlossen", "beschlossen"), ("abgelehnt", "abgelehnt")],
        blank=True,
    )
    steering_date = models.DateField("Sitzung des Lenkungskreises", null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("erfasst am", auto_now_add=True)

    class Meta:
        verbose_name = "Verfahren/Maßnahme"
        verbose_name_plural = "Verfahren und Maßnahmen"
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"{self.date:%d.%m.%Y} {self.get_kind_display()}"


class PropertyEvent(AppendOnly):
    """One change of a property, append-only: who, when, what changed (old → new)."""

    append_only_name = "Einträge im Verlauf"

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="events")
    occurred_at = models.DateTimeField("Zeitpunkt", auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_name = models.CharField("von", max_length=200, blank=True)
    summary = models.CharField("Vorgang", max_length=300)
    changes = models.JSONField("Änderungen", default=list)

    class Meta:
        verbose_name = "Änderung"
        verbose_name_plural = "Verlauf"
        ordering = ["-occurred_at", "-id"]

    def __str__(self) -> str:
        return f"{self.occurred_at:%d.%m.%Y %H:%M} {self.summary}"


class Complaint(models.Model):
    """One complaint about a property: dated, with its source and subject (the complaint log)."""

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="complaints")
    received_on = models.DateField("eingegangen am")
    source = models.CharField("Quelle (z. B. Nachbarschaft, Polizei, Bürgertelefon)", max_length=200)
    subject = models.TextField("Gegenstand")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("erfasst am", auto_now_add=True)

    class Meta:
        verbose_name = "Beschwerde"
        verbose_name_plural = "Beschwerden"
        ordering = ["-received_on", "-id"]

    def __str__(self) -> str:
        return f"{self.received_on:%d.%m.%Y} {self.source}"
