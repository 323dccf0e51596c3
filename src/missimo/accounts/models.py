from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import RegexValidator
from django.db import models

from missimo.accounts.policy import AgencyKind, Role, agency_kind_choices, role_of_group

__all__ = ["Agency", "AgencyKind", "RecoveryCode", "User"]


class Agency(models.Model):
    """A Behörde (or a single school) whose staff use MISSIMO."""

    name = models.CharField("Name", max_length=200, unique=True)
    kind = models.CharField("Art", max_length=30, choices=agency_kind_choices)
    schulnummer = models.CharField(
        "Schulnummer",
        max_length=6,
        blank=True,
        validators=[RegexValidator(r"^\d{6}$", "Die Schulnummer hat sechs Ziffern.")],
        help_text="Nur für Schulen: die sechsstellige Schulnummer NRW.",
    )

    class Meta:
        verbose_name = "Behörde"
        verbose_name_plural = "Behörden"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A civil servant using MISSIMO. Roles are groups; the agency scopes what they see."""

    agency = models.ForeignKey(
        Agency,
        verbose_name="Behörde",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )

    objects = UserManager()

    class Meta:
        verbose_name = "Benutzerin/Benutzer"
        verbose_name_plural = "Benutzerinnen/Benutzer"

    @property
    def roles(self) -> frozenset[Role]:
        """The user's roles, from group membership by the role's code (cached per instance)."""
        cached = getattr(self, "_roles_cache", None)
        if cached is None:
            names = self.groups.values_list("name", flat=True) if self.pk else []
            cached = frozenset(role for role in map(role_of_group, names) if role is not None)
            self._roles_cache = cached
        return cached

    @property
    def display_name(self) -> str:
        full = self.get_full_name()
        return full or self.username


class RecoveryCode(models.Model):
    """One one-time recovery code of the second factor, stored only as a salted SHA-256 hash.

    Shown once at enrolment (and on regeneration); each code lets its owner past the code step
    once when the authenticator app is lost."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    salt = models.CharField(max_length=32)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField("verwendet am", null=True, blank=True)

    class Meta:
        verbose_name = "Wiederherstellungscode"
        verbose_name_plural = "Wiederherstellungscodes"

    def __str__(self) -> str:
        return f"Wiederherstellungscode von {self.user_id}{' (verwendet)' if self.used_at else ''}"
