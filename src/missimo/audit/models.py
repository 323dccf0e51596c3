"""The append-only audit event store.

Events live in their own database alias (see routers.py). Each event carries the SHA-256 of
its canonical content chained to the previous event's hash, so that any change or deletion
of an entry is detected by `missimo audit verify`, and a MAC under a secret key that is not in the
database (missimo.audit.keys), so that recomputing the hashes is detected as well. Database
triggers refuse UPDATE and DELETE of entries and any move of the chain head but one step forward.
"""

from __future__ import annotations

from django.db import models

from missimo.core.models import AppendOnly


class AuditAction(models.TextChoices):
    READ = "read", "Lesen"
    EXPORT = "export", "Export"
    CREATE = "create", "Anlegen"
    CHANGE = "change", "Ändern"
    DELETE = "delete", "Löschen"
    RELEASE = "release", "Freigabe/Übermittlung"
    LOGIN = "login", "Anmeldung"
    LOGOUT = "logout", "Abmeldung"
    LOGIN_FAILED = "login_failed", "Fehlgeschlagene Anmeldung"
    LOCKOUT = "lockout", "Kontosperre nach Fehlversuchen"
    SYSTEM = "system", "Systemvorgang"


class AuditEvent(AppendOnly):
    """One thing somebody did. Never updated, never deleted by the application."""

    append_only_name = "Protokolleinträge"

    sequence = models.BigAutoField(primary_key=True)
    occurred_at = models.DateTimeField("Zeitpunkt", db_index=True)
    actor_id = models.BigIntegerField("Benutzer-ID", null=True, blank=True)
    actor_username = models.CharField("Benutzername", max_length=150, blank=True)
    actor_roles = models.CharField("Rollen", max_length=500, blank=True)
    actor_agency = models.CharField("Behörde", max_length=200, blank=True)
    action = models.CharField("Vorgang", max_length=20, choices=AuditAction.choices, db_index=True)
    object_type = models.CharField("Objektart", max_length=100, blank=True, db_index=True)
    object_id = models.CharField("Objekt-ID", max_length=200, blank=True, db_index=True)
    purpose = models.CharField("Zweck", max_length=500, blank=True)
    details = models.JSONField("Einzelheiten", default=dict, blank=True)
    ip_address = models.GenericIPAddressField("IP-Adresse", null=True, blank=True)
    previous_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, unique=True)
    # HMAC-SHA256 under the audit key (not in the database) of the previous entry's MAC and this
    # entry's hash: rewriting entries and recomputing the SHA-256 chain does not produce these.
    entry_mac = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        verbose_name = "Protokolleintrag"
        verbose_name_plural = "Protokolleinträge"
        ordering = ["sequence"]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.occurred_at:%d.%m.%Y %H:%M} {self.actor_username} {self.action}"


class AuditChainHead(models.Model):
    """A single row holding the hash of the newest event; locked while an event is appended."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_sequence = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64)
    last_mac = models.CharField(max_length=64, blank=True, default="")
    # HMAC of (last_sequence, last_hash, last_mac): the head cannot be moved without the key
    head_mac = models.CharField(max_length=64, blank=True, default="")

    def __str__(self) -> str:
        return f"Kettenende {self.last_sequence}"
