"""Which log-in methods a configuration produces: password (always), OIDC and LDAP (optional),
lockout thresholds, and the mapping of the identity provider's groups to roles and agencies."""

from __future__ import annotations

from datetime import timedelta

import pytest

from missimo.accounts.auth_settings import (
    AXES_BACKEND,
    LDAP_BACKEND,
    MODEL_BACKEND,
    OIDC_BACKEND,
    authentication_settings,
)
from missimo.accounts.idp import GroupRole, parse_group_roles
from missimo.accounts.policy import Role
from missimo.config import ConfigError

OIDC = {
    "MISSIMO_OIDC_ENABLED": "true",
    "MISSIMO_OIDC_CLIENT_ID": "missimo",
    "MISSIMO_OIDC_CLIENT_SECRET": "geheim",
    "MISSIMO_OIDC_AUTHORIZATION_ENDPOINT": "https://idp.stadt.de/auth",
    "MISSIMO_OIDC_TOKEN_ENDPOINT": "https://idp.stadt.de/token",
    "MISSIMO_OIDC_USERINFO_ENDPOINT": "https://idp.stadt.de/userinfo",
    "MISSIMO_OIDC_JWKS_ENDPOINT": "https://idp.stadt.de/certs",
}
LDAP = {
    "MISSIMO_LDAP_ENABLED": "true",
    "MISSIMO_LDAP_SERVER_URI": "ldaps://ldap.stadt.de",
    "MISSIMO_LDAP_BIND_DN": "cn=missimo,ou=dienste,dc=stadt,dc=de",
    "MISSIMO_LDAP_BIND_PASSWORD": "geheim",
    "MISSIMO_LDAP_USER_SEARCH_BASE": "ou=people,dc=stadt,dc=de",
    "MISSIMO_LDAP_GROUP_SEARCH_BASE": "ou=groups,dc=stadt,dc=de",
}


def test_by_default_only_local_passwords_log_in_behind_the_lockout():
    result = authentication_settings({})
    assert result["AUTHENTICATION_BACKENDS"] == [AXES_BACKEND, MODEL_BACKEND]
    assert result["OIDC_ENABLED"] is False
    assert result["LDAP_ENABLED"] is False
    assert not any(key.startswith(("OIDC_RP", "AUTH_LDAP")) for key in result)


def test_the_lockout_threshold_and_cool_off_come_from_the_declared_settings():
    result = authentication_settings(
        {"MISSIMO_LOGIN_FAILURE_LIMIT": "7", "MISSIMO_LOGIN_COOLOFF_MINUTES": "45"}
    )
    assert result["AXES_FAILURE_LIMIT"] == 7
    assert result["AXES_COOLOFF_TIME"] == timedelta(minutes=45)
    assert result["AXES_LOCKOUT_PARAMETERS"] == [["username", "ip_address"]]  # issue #21
    assert result["AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT"] is False
    assert result["AXES_RESET_ON_SUCCESS"] is True


def test_the_defaults_are_five_failures_and_thirty_minutes():
    result = authentication_settings({})
    assert (result["AXES_FAILURE_LIMIT"], result["AXES_COOLOFF_TIME"]) == (5, timedelta(minutes=30))


@pytest.mark.parametrize("name", ["MISSIMO_LOGIN_FAILURE_LIMIT", "MISSIMO_LOGIN_COOLOFF_MINUTES"])
def test_a_lockout_setting_below_one_is_refused(name):
    with pytest.raises(ConfigError, match=name):
        authentication_settings({name: "0"})


def test_oidc_adds_its_backend_after_the_password_login_with_the_providers_endpoints():
    result = authentication_settings(OIDC)
    assert result["AUTHENTICATION_BACKENDS"] == [AXES_BACKEND, MODEL_BACKEND, OIDC_BACKEND]
    assert result["OIDC_RP_CLIENT_ID"] == "missimo"
    assert result["OIDC_RP_CLIENT_SECRET"] == "geheim"
    assert result["OIDC_OP_AUTHORIZATION_ENDPOINT"] == "https://idp.stadt.de/auth"
    assert result["OIDC_OP_TOKEN_ENDPOINT"] == "https://idp.stadt.de/token"
    assert result["OIDC_OP_USER_ENDPOINT"] == "https://idp.stadt.de/userinfo"
    assert result["OIDC_OP_JWKS_ENDPOINT"] == "https://idp.stadt.de/certs"
    assert result["OIDC_RP_SIGN_ALGO"] == "RS256"
    assert result["OIDC_USE_NONCE"] is True
    assert result["OIDC_VERIFY_SSL"] is True


def test_oidc_without_its_endpoints_stops_with_a_message_naming_what_is_missing():
    incomplete = {**OIDC, "MISSIMO_OIDC_CLIENT_ID": ""}
    with pytest.raises(ConfigError, match="MISSIMO_OIDC_CLIENT_ID"):
        authentication_settings(incomplete)


def test_rs256_needs_the_providers_keys():
    with pytest.raises(ConfigError, match="JWKS"):
        authentication_settings({**OIDC, "MISSIMO_OIDC_JWKS_ENDPOINT": ""})


def test_ldap_checks_passwords_before_local_accounts_with_the_configured_search():
    import ldap
    from django_auth_ldap.config import GroupOfNamesType

    result = authentication_settings(LDAP)
    assert result["AUTHENTICATION_BACKENDS"] == [AXES_BACKEND, LDAP_BACKEND, MODEL_BACKEND]
    assert result["AUTH_LDAP_SERVER_URI"] == "ldaps://ldap.stadt.de"
    assert result["AUTH_LDAP_BIND_DN"] == "cn=missimo,ou=dienste,dc=stadt,dc=de"
    search = result["AUTH_LDAP_USER_SEARCH"]
    assert (search.base_dn, search.scope, search.filterstr) == (
        "ou=people,dc=stadt,dc=de",
        ldap.SCOPE_SUBTREE,
        "(uid=%(user)s)",
    )
    assert result["AUTH_LDAP_GROUP_SEARCH"].base_dn == "ou=groups,dc=stadt,dc=de"
    assert isinstance(result["AUTH_LDAP_GROUP_TYPE"], GroupOfNamesType)


def test_ldap_without_a_server_stops_with_a_message():
    with pytest.raises(ConfigError, match="MISSIMO_LDAP_SERVER_URI"):
        authentication_settings({**LDAP, "MISSIMO_LDAP_SERVER_URI": ""})


def test_oidc_and_ldap_can_be_offered_together():
    result = authentication_settings({**OIDC, **LDAP})
    assert result["AUTHENTICATION_BACKENDS"] == [AXES_BACKEND, LDAP_BACKEND, MODEL_BACKEND, OIDC_BACKEND]


def test_the_backends_of_the_running_application_are_the_default_ones(settings):
    assert settings.AUTHENTICATION_BACKENDS[0] == AXES_BACKEND
    assert MODEL_BACKEND in settings.AUTHENTICATION_BACKENDS


# --- groups → roles and agency -------------------------------------------------------------


def test_the_group_mapping_is_read_from_group_role_agency_entries():
    mapping = parse_group_roles(
        "missimo-fk|familienkasse|Familienkasse Musterstadt; "
        "cn=ds,ou=groups,dc=stadt,dc=de|datenschutz|Datenschutz"
    )
    assert mapping == (
        GroupRole("missimo-fk", Role.FAMILIENKASSE, "Familienkasse Musterstadt"),
        GroupRole("cn=ds,ou=groups,dc=stadt,dc=de", Role.DATENSCHUTZ, "Datenschutz"),
    )


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("missimo-fk|kasse|Familienkasse", "unbekannte Rolle 'kasse'"),
        ("missimo-fk|familienkasse", "Gruppe|rolle|Behörde"),
    ],
)
def test_a_malformed_group_mapping_stops_with_a_german_message(raw, message):
    with pytest.raises(ConfigError, match=message):
        authentication_settings({"MISSIMO_AUTH_GROUP_ROLES": raw})


@pytest.mark.django_db(databases="__all__")
def test_a_provider_login_gets_exactly_the_roles_and_agency_of_its_groups(kim):
    from missimo.accounts.idp import apply_groups
    from missimo.audit.models import AuditAction, AuditEvent

    mapping = parse_group_roles("fk|familienkasse|Familienkasse Nord; ds|datenschutz|Datenschutz")
    apply_groups(kim, ["FK", "andere-gruppe"], mapping)
    kim.refresh_from_db()
    assert kim.roles == {Role.FAMILIENKASSE}
    assert kim.agency.name == "Familienkasse Nord"
    assert kim.agency.kind == "familienkasse"
    event = AuditEvent.objects.filter(action=AuditAction.CHANGE, object_type="user").latest("sequence")
    assert event.details == {"roles": ["familienkasse"], "agency": "Familienkasse Nord"}
    apply_groups(kim, [], mapping)
    kim.refresh_from_db()
    assert kim.roles == frozenset()
    assert kim.agency is None


@pytest.mark.django_db(databases="__all__")
def test_an_oidc_login_creates_the_user_from_the_claims_with_the_mapped_role(settings):
    from missimo.accounts.backend_oidc import MissimoOIDCBackend

    for key, value in authentication_settings(OIDC).items():
        if key.startswith("OIDC"):
            setattr(settings, key, value)
    settings.MISSIMO_AUTH_GROUP_ROLES = parse_group_roles(
        "/missimo/jobcenter|jobcenter|Jobcenter Musterstadt"
    )
    backend = MissimoOIDCBackend()
    backend.request = None
    claims = {
        "sub": "a1b2",
        "preferred_username": "jana.jobcenter",
        "given_name": "Jana",
        "family_name": "Jobcenter",
        "email": "jana@stadt.de",
        "groups": ["/missimo/jobcenter"],
    }
    assert backend.verify_claims(claims)
    user = backend.create_user(claims)
    assert (user.username, user.first_name, user.agency.name) == (
        "jana.jobcenter",
        "Jana",
        "Jobcenter Musterstadt",
    )
    assert user.roles == {Role.JOBCENTER}
    assert not user.has_usable_password()
    assert list(backend.filter_users_by_claims(claims)) == [user]
