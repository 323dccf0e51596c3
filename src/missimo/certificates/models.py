"""Signing keys of schools and the Schulbescheinigungen issued with them (kept for revocation and
audit)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models


class SigningKey(models.Model):
    """One Ed25519 key of one school. The private key is stored encrypted (with a key derived from
    the server's SECRET_KEY) and never leaves the server; the public key is published."""

    kid = models.CharField("Schlüssel-ID", max_length=40, unique=True)
    schulnummer = models.CharField("Schulnummer", max_length=6, db_index=True)
    school_name = models.CharField("Schule", max_length=200)
    public_key = models.CharField("öffentlicher Schlüssel (Ed25519, base64url)", max_length=64)
    private_key_encrypted = models.BinaryField("privater Schlüssel (verschlüsselt)", editable=False)
    valid_from = models.DateField("gültig ab")
    valid_until = models.DateField("gültig bis", null=True, blank=True)
    created_at = models.DateTimeField("angelegt am", auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "Signaturschlüssel"
        verbose_name_plural = "Signaturschlüssel"
        ordering = ["schulnummer", "-valid_from", "-id"]

    def __str__(self) -> str:
        return f"{self.kid} ({self.school_name})"

    @property
    def is_active(self) -> bool:
        return self.valid_until is None


class Origin(models.TextChoices):
    SNAPSHOT = "snapshot", "aktueller Datenstand der Schulen"
    MANUAL = "manual", "von der Schule eingegeben"


class Certificate(models.Model):
    """One issued Schulbescheinigung."""

    certificate_id = models.CharField("Bescheinigungsnummer", max_length=24, unique=True)
    key = models.ForeignKey(SigningKey, on_delete=models.PROTECT, related_name="certificates")
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    schulnummer = models.CharField("Schulnummer", max_length=6, db_index=True)
    school_name = models.CharField("Schule", max_length=200)
    schueler_id = models.CharField("Schüler-ID", max_length=100, blank=True)
    nachname = models.CharField("Nachname", max_length=200)
    vorname = models.CharField("Vorname", max_length=200)
    geburtsdatum = models.DateField("Geburtsdatum")
    klasse = models.CharField("Klasse", max_length=50, blank=True)
    aufnahmedatum = models.DateField("Aufnahmedatum")
    origin = models.CharField("Grundlage", max_length=20, choices=Origin.choices)
    schuljahr = models.CharField("Schuljahr", max_length=7)
    issued_on = models.DateField("ausgestellt am")
    valid_until = models.DateField("gültig bis")
    token = models.TextField("QR-Inhalt (signiert)")
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_from = models.DateField("widerrufen ab", null=True, blank=True)
    revoked_reason = models.CharField("Grund des Widerrufs", max_length=300, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "Schulbescheinigung"
        verbose_name_plural = "Schulbescheinigungen"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Schulbescheinigung {self.certificate_id}"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_from is not None


class School(models.Model):
    """A school of the city (the school register): Schulnummer, name, school form and contact.
    A delivery of the `schule` source adds the schools it names and records their delivery."""

    class Form(models.TextChoices):
        GRUNDSCHULE = "grundschule", "Grundschule"
        HAUPTSCHULE = "hauptschule", "Hauptschule"
        REALSCHULE = "realschule", "Realschule"
        SEKUNDARSCHULE = "sekundarschule", "Sekundarschule"
        GESAMTSCHULE = "gesamtschule", "Gesamtschule"
        GYMNASIUM = "gymnasium", "Gymnasium"
        FOERDERSCHULE = "foerderschule", "Förderschule"
        BERUFSKOLLEG = "berufskolleg", "Berufskolleg"
        SONSTIGE = "sonstige", "sonstige Schulform"

    schulnummer = models.CharField(
        "Schulnummer",
        max_length=6,
        unique=True,
        validators=[RegexValidator(r"^\d{6}$", "Die Schulnummer hat sechs Ziffern.")],
    )
    name = models.CharField("Name", max_length=200)
    schulform = models.CharField("Schulform", max_length=20, choices=Form.choices, blank=True)
    contact_person = models.CharField("Ansprechperson", max_length=200, blank=True)
    phone = models.CharField("Telefon", max_length=50, blank=True)
    email = models.EmailField("E-Mail", blank=True)
    strasse = models.CharField("Straße und Hausnummer", max_length=200, blank=True)
    plz = models.CharField("PLZ", max_length=10, blank=True)
    ort = models.CharField("Ort", max_length=100, blank=True)
    # From the deliveries (kept up to date by record_school_deliveries, not by the form).
    in_current_delivery = models.BooleanField("in der geltenden Lieferung", default=False)
    last_delivered_at = models.DateTimeField("zuletzt geliefert", null=True, blank=True)
    last_pupils = models.PositiveIntegerField(
        "Schülerinnen und Schüler (letzte Lieferung)", null=True, blank=True
    )

    class Meta:
        verbose_name = "Schule"
        verbose_name_plural = "Schulen"
        ordering = ["name", "schulnummer"]

    def __str__(self) -> str:
        return f"{self.name} ({self.schulnummer})"


class SchoolDelivery(models.Model):
    """That a delivery of the `schule` source in force named a school (with how many pupils): the
    register's last delivery and the committee report's participation per year follow from these."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="deliveries")
    import_id = models.IntegerField("Lieferung")
    delivered_at = models.DateTimeField("geliefert am")
    pupils = models.PositiveIntegerField("Schülerinnen und Schüler")

    class Meta:
        verbose_name = "Lieferung einer Schule"
        verbose_name_plural = "Lieferungen der Schulen"
        ordering = ["-delivered_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["school", "import_id"], name="school_delivery_once_per_import")
        ]

    def __str__(self) -> str:
        return f"{self.school.schulnummer}: Lieferung {self.import_id}"
