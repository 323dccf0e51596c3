"""The roles of MISSIMO. Roles are Django groups (data an administrator can edit); the code
refers to them only through this enumeration."""

from django.db import models


class Role(models.TextChoices):
    KOORDINIERUNG = "koordinierung", "Koordinierungsstelle (Ordnungsamt)"
    FAMILIENKASSE = "familienkasse", "Familienkasse"
    JOBCENTER = "jobcenter", "Jobcenter"
    SCHULAMT = "schulamt", "Schulamt"
    JUGENDAMT = "jugendamt", "Jugendamt"
    GESUNDHEITSAMT = "gesundheitsamt", "Gesundheitsamt"
    POLIZEI = "polizei", "Polizei"
    BAUAUFSICHT = "bauaufsicht", "Bauaufsicht/Wohnungsaufsicht"
    SCHULE = "schule", "Schule"
    DATENSCHUTZ = "datenschutz", "Datenschutzbeauftragte"
    ADMINISTRATION = "administration", "Administration"

    @property
    def group_name(self) -> str:
        return str(self.label)


# Roles whose members see personal data of citizens in their daily work (need-to-know is
# narrowed further per agency by later features). Administration and data protection do not.
ROLES_WITH_PERSONAL_DATA = frozenset(
    {
        Role.KOORDINIERUNG,
        Role.FAMILIENKASSE,
        Role.JOBCENTER,
        Role.SCHULAMT,
        Role.JUGENDAMT,
        Role.GESUNDHEITSAMT,
        Role.POLIZEI,
        Role.BAUAUFSICHT,
        Role.SCHULE,
    }
)
