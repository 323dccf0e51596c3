"""The authentication part of the Django settings, computed from the declared configuration.

`settings.py` calls :func:`authentication_settings` once; tests call it with their own
environment to see which backends and options a configuration produces. Password log-in
(argon2) always stays available for local accounts; OIDC and LDAP are optional and off by
default.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from missimo import config
from missimo.accounts.idp import parse_group_roles

AXES_BACKEND = "axes.backends.AxesStandaloneBackend"
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
LDAP_BACKEND = "missimo.accounts.backend_ldap.MissimoLDAPBackend"
OIDC_BACKEND = "missimo.accounts.backend_oidc.MissimoOIDCBackend"

_OIDC_REQUIRED = (
    "MISSIMO_OIDC_CLIENT_ID",
    "MISSIMO_OIDC_CLIENT_SECRET",
    "MISSIMO_OIDC_AUTHORIZATION_ENDPOINT",
    "MISSIMO_OIDC_TOKEN_ENDPOINT",
    "MISSIMO_OIDC_USERINFO_ENDPOINT",
)


def authentication_settings(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Django settings for log-in, lockout, second factor, OIDC and LDAP."""

    def get(name: str) -> Any:
        return config.get(name, environ)

    limit = get("MISSIMO_LOGIN_FAILURE_LIMIT")
    cooloff = get("MISSIMO_LOGIN_COOLOFF_MINUTES")
    if limit < 1:
        raise config.ConfigError("MISSIMO_LOGIN_FAILURE_LIMIT muss mindestens 1 sein.")
    if cooloff < 1:
        raise config.ConfigError("MISSIMO_LOGIN_COOLOFF_MINUTES muss mindestens 1 sein.")
    out: dict[str, Any] = {
        "MISSIMO_REQUIRE_2FA": get("MISSIMO_REQUIRE_2FA"),
        "MISSIMO_AUTH_GROUP_ROLES": parse_group_roles(get("MISSIMO_AUTH_GROUP_ROLES")),
        # django-axes: lock a user name from one source address after `limit` failures, for
        # `cooloff` minutes counted from the lockout (issue #21): failures from elsewhere do not lock
        # the user out, and failed attempts during the lockout do not extend it, so nobody can keep
        # a known user locked out.
        "AXES_FAILURE_LIMIT": limit,
        "AXES_COOLOFF_TIME": timedelta(minutes=cooloff),
        "AXES_LOCKOUT_PARAMETERS": [["username", "ip_address"]],
        "AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT": False,
        "AXES_RESET_ON_SUCCESS": True,
        "AXES_LOCKOUT_CALLABLE": "missimo.accounts.views.locked_out",
        "AXES_DISABLE_ACCESS_LOG": True,  # successful log-ins are in the audit log already
        "AXES_VERBOSE": False,
        "OIDC_ENABLED": get("MISSIMO_OIDC_ENABLED"),
        "LDAP_ENABLED": get("MISSIMO_LDAP_ENABLED"),
    }
    backends = [AXES_BACKEND]
    if out["LDAP_ENABLED"]:
        backends.append(LDAP_BACKEND)
        out.update(_ldap(get))
    backends.append(MODEL_BACKEND)
    if out["OIDC_ENABLED"]:
        backends.append(OIDC_BACKEND)
        out.update(_oidc(get))
    out["AUTHENTICATION_BACKENDS"] = backends
    return out


def _oidc(get) -> dict[str, Any]:
    missing = [name for name in _OIDC_REQUIRED if not get(name)]
    if missing:
        raise config.ConfigError(f"MISSIMO_OIDC_ENABLED=true, aber es fehlt: {', '.join(missing)}.")
    algo = get("MISSIMO_OIDC_SIGN_ALGO")
    if algo.startswith("RS") and not get("MISSIMO_OIDC_JWKS_ENDPOINT"):
        raise config.ConfigError(f"MISSIMO_OIDC_SIGN_ALGO={algo} braucht MISSIMO_OIDC_JWKS_ENDPOINT.")
    return {
        "OIDC_RP_CLIENT_ID": get("MISSIMO_OIDC_CLIENT_ID"),
        "OIDC_RP_CLIENT_SECRET": get("MISSIMO_OIDC_CLIENT_SECRET"),
        "OIDC_OP_AUTHORIZATION_ENDPOINT": get("MISSIMO_OIDC_AUTHORIZATION_ENDPOINT"),
        "OIDC_OP_TOKEN_ENDPOINT": get("MISSIMO_OIDC_TOKEN_ENDPOINT"),
        "OIDC_OP_USER_ENDPOINT": get("MISSIMO_OIDC_USERINFO_ENDPOINT"),
        "OIDC_OP_JWKS_ENDPOINT": get("MISSIMO_OIDC_JWKS_ENDPOINT") or None,
        "OIDC_RP_SIGN_ALGO": algo,
        "OIDC_RP_SCOPES": get("MISSIMO_OIDC_SCOPES"),
        "OIDC_GROUPS_CLAIM": get("MISSIMO_OIDC_GROUPS_CLAIM"),
        "OIDC_CREATE_USER": True,
        "OIDC_USE_NONCE": True,
        "OIDC_VERIFY_SSL": True,
        "OIDC_TIMEOUT": 10,
        "LOGIN_REDIRECT_URL_FAILURE": "/anmelden/",
    }


def _ldap(get) -> dict[str, Any]:
    if not get("MISSIMO_LDAP_SERVER_URI") or not get("MISSIMO_LDAP_USER_SEARCH_BASE"):
        raise config.ConfigError(
            "MISSIMO_LDAP_ENABLED=true braucht MISSIMO_LDAP_SERVER_URI und MISSIMO_LDAP_USER_SEARCH_BASE."
        )
    import ldap
    from django_auth_ldap.config import GroupOfNamesType, LDAPSearch

    out: dict[str, Any] = {
        "AUTH_LDAP_SERVER_URI": get("MISSIMO_LDAP_SERVER_URI"),
        "AUTH_LDAP_START_TLS": get("MISSIMO_LDAP_START_TLS"),
        "AUTH_LDAP_BIND_DN": get("MISSIMO_LDAP_BIND_DN"),
        "AUTH_LDAP_BIND_PASSWORD": get("MISSIMO_LDAP_BIND_PASSWORD"),
        "AUTH_LDAP_USER_SEARCH": LDAPSearch(
            get("MISSIMO_LDAP_USER_SEARCH_BASE"), ldap.SCOPE_SUBTREE, get("MISSIMO_LDAP_USER_FILTER")
        ),
        "AUTH_LDAP_USER_ATTR_MAP": {"first_name": "givenName", "last_name": "sn", "email": "mail"},
        "AUTH_LDAP_ALWAYS_UPDATE_USER": True,
        "AUTH_LDAP_CONNECTION_OPTIONS": {ldap.OPT_REFERRALS: 0},
    }
    if get("MISSIMO_LDAP_GROUP_SEARCH_BASE"):
        out["AUTH_LDAP_GROUP_SEARCH"] = LDAPSearch(
            get("MISSIMO_LDAP_GROUP_SEARCH_BASE"), ldap.SCOPE_SUBTREE, get("MISSIMO_LDAP_GROUP_FILTER")
        )
        out["AUTH_LDAP_GROUP_TYPE"] = GroupOfNamesType()
    return out
