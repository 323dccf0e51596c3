"""Log-in through the city's OpenID Connect provider (mozilla-django-oidc), if configured.

Users are matched by their user name (`preferred_username`, else `sub`); their roles and agency
come only from the provider's groups claim via `MISSIMO_AUTH_GROUP_ROLES`."""

from __future__ import annotations

import logging

import requests
from django.conf import settings
from django.core.exceptions import PermissionDenied
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from missimo.accounts.idp import apply_groups


def username_of(claims: dict) -> str:
    return str(claims.get("preferred_username") or claims.get("sub") or "")[:150]


def groups_of(claims: dict) -> list[str]:
    groups = claims.get(settings.OIDC_GROUPS_CLAIM) or []
    if isinstance(groups, str):
        groups = [groups]
    return [str(group) for group in groups]


logger = logging.getLogger(__name__)


class MissimoOIDCBackend(OIDCAuthenticationBackend):
    def get_token(self, payload):
        """The provider's tokens for the code of the callback. A code the provider refuses (made up,
        used twice, expired) is a failed log-in, not a server error: Django's `authenticate` turns
        PermissionDenied into "no user", and the callback sends the browser to the log-in page."""
        try:
            return super().get_token(payload)
        except requests.HTTPError as exc:
            logger.warning("OIDC token request refused: %s", exc)
            raise PermissionDenied("Anmeldung beim Identitätsanbieter abgelehnt") from None

    def verify_claims(self, claims):
        return bool(username_of(claims))

    def filter_users_by_claims(self, claims):
        return self.UserModel.objects.filter(username=username_of(claims))

    def _fill(self, user, claims):
        user.first_name = str(claims.get("given_name", ""))[:150]
        user.last_name = str(claims.get("family_name", ""))[:150]
        user.email = str(claims.get("email", ""))[:254]
        user.save()
        return apply_groups(user, groups_of(claims), request=self.request)

    def create_user(self, claims):
        user = self.UserModel(username=username_of(claims))
        user.set_unusable_password()
        return self._fill(user, claims)

    def update_user(self, user, claims):
        return self._fill(user, claims)
