"""Password check against the city's LDAP directory (django-auth-ldap), if configured.

Roles and agency come only from the directory's group DNs via `MISSIMO_AUTH_GROUP_ROLES`."""

from __future__ import annotations

from django_auth_ldap.backend import LDAPBackend

from missimo.accounts.idp import apply_groups


class MissimoLDAPBackend(LDAPBackend):
    def authenticate_ldap_user(self, ldap_user, password):
        user = super().authenticate_ldap_user(ldap_user, password)
        if user is not None:
            apply_groups(user, ldap_user.group_dns)
        return user
