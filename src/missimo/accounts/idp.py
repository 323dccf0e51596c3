"""Groups of an identity provider (OIDC claim, LDAP group DN) → MISSIMO role and agency.

The mapping is configuration (`MISSIMO_AUTH_GROUP_ROLES`): entries `GROUP|role|Agency name`
separated by `;`. A user who logs in through OIDC or LDAP gets exactly the roles of the
groups the provider reports for them (a role not reported any more is removed at the next
log-in), and the agency of the first matching entry. Nothing here imports Django models at
module level: settings.py validates the mapping while it loads.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from missimo.accounts import signals
from missimo.accounts.policy import Role, agency_kind_of
from missimo.config import ConfigError


@dataclass(frozen=True)
class GroupRole:
    group: str
    role: Role
    agency: str


def parse_group_roles(raw: str) -> tuple[GroupRole, ...]:
    """Parse `GROUP|role|Agency; ...`; a malformed entry is a ConfigError naming it."""
    entries = []
    for chunk in raw.split(";"):
        if not chunk.strip():
            continue
        parts = [part.strip() for part in chunk.split("|")]
        if len(parts) != 3 or not all(parts):
            raise ConfigError(
                f"MISSIMO_AUTH_GROUP_ROLES: Eintrag {chunk.strip()!r} hat nicht die Form Gruppe|rolle|Behörde."
            )
        group, role_code, agency = parts
        try:
            role = Role(role_code)
        except ValueError:
            known = ", ".join(r.value for r in Role)
            raise ConfigError(
                f"MISSIMO_AUTH_GROUP_ROLES: unbekannte Rolle {role_code!r} (bekannt: {known})."
            ) from None
        entries.append(GroupRole(group, role, agency))
    return tuple(entries)


def matching(mapping: Iterable[GroupRole], idp_groups: Iterable[str]) -> list[GroupRole]:
    """The entries whose group the provider reported (compared case-insensitively, as LDAP DNs are)."""
    reported = {str(group).strip().casefold() for group in idp_groups}
    return [entry for entry in mapping if entry.group.casefold() in reported]


def apply_groups(user, idp_groups: Iterable[str], mapping: Iterable[GroupRole] | None = None, request=None):
    """Give the user exactly the roles (and the agency) the provider's groups map to; audit changes."""
    from django.conf import settings

    from missimo.accounts.models import Agency
    from missimo.accounts.services import ensure_role_groups

    entries = matching(settings.MISSIMO_AUTH_GROUP_ROLES if mapping is None else mapping, idp_groups)
    groups = ensure_role_groups()
    roles = sorted({entry.role for entry in entries}, key=lambda role: role.value)
    agency = None
    if entries:
        first = entries[0]
        agency, _ = Agency.objects.get_or_create(
            name=first.agency, defaults={"kind": agency_kind_of(first.role)}
        )
    before = (sorted(role.value for role in user.roles), user.agency_id)
    user.agency = agency
    user.save(update_fields=["agency"])
    user.groups.set([groups[role] for role in roles])
    user._roles_cache = None
    after = (sorted(role.value for role in user.roles), user.agency_id)
    if before != after:
        signals.roles_changed_by_provider.send(
            type(user), user=user, roles=after[0], agency=str(agency) if agency else "", request=request
        )
    return user
