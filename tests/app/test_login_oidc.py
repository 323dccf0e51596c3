"""OpenID Connect log-in against a real provider (issue #21): the test starts an OpenID Connect
provider (the `oidc-provider-mock` package: discovery, registered clients with secrets, RS256-signed
ID tokens, JWKS, userinfo) on the loopback address and runs the authorisation-code flow through
MISSIMO's callback: the provider's groups claim gives the role and agency, a change of groups
changes the roles at the next log-in, and a log-in the provider refuses (a disabled account) or a
forged callback does not open a session."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.auth.decorators import login_not_required
from django.urls import path

from missimo.accounts.auth_settings import authentication_settings
from missimo.accounts.policy import Role
from missimo.urls import urlpatterns as project_urlpatterns

pytestmark = [pytest.mark.django_db(databases="__all__"), pytest.mark.urls(__name__)]

CALLBACK = "http://testserver/anmelden/oidc/callback/"
GROUP_FK = "missimo-familienkasse"
GROUP_JC = "missimo-jobcenter"


def _oidc_urls():
    """The callback and start URLs that missimo.accounts.urls adds when OIDC is enabled at start-up."""
    from mozilla_django_oidc import views as oidc_views

    return [
        path(
            "anmelden/oidc/callback/",
            login_not_required(oidc_views.OIDCAuthenticationCallbackView.as_view()),
            name="oidc_authentication_callback",
        ),
        path(
            "anmelden/oidc/start/",
            login_not_required(oidc_views.OIDCAuthenticationRequestView.as_view()),
            name="oidc_authentication_init",
        ),
    ]


urlpatterns = [*_oidc_urls(), *project_urlpatterns]


@pytest.fixture(scope="module")
def provider():
    from oidc_provider_mock import run_server_in_thread

    with run_server_in_thread(require_client_registration=True, require_nonce=True) as server:
        base = f"http://localhost:{server.server_port}"
        discovery = requests.get(f"{base}/.well-known/openid-configuration", timeout=10).json()
        client = requests.post(
            discovery.get("registration_endpoint", f"{base}/oauth2/clients"),
            json={"redirect_uris": [CALLBACK], "token_endpoint_auth_method": "client_secret_post"},
            timeout=10,
        ).json()
        yield {"base": base, "discovery": discovery, "client": client}


@pytest.fixture
def oidc(provider, settings):
    """The application configured for the provider as a city would (from the declared settings)."""
    discovery = provider["discovery"]
    environ = {
        "MISSIMO_OIDC_ENABLED": "true",
        "MISSIMO_OIDC_CLIENT_ID": provider["client"]["client_id"],
        "MISSIMO_OIDC_CLIENT_SECRET": provider["client"]["client_secret"],
        "MISSIMO_OIDC_AUTHORIZATION_ENDPOINT": discovery["authorization_endpoint"],
        "MISSIMO_OIDC_TOKEN_ENDPOINT": discovery["token_endpoint"],
        "MISSIMO_OIDC_USERINFO_ENDPOINT": discovery["userinfo_endpoint"],
        "MISSIMO_OIDC_JWKS_ENDPOINT": discovery["jwks_uri"],
        "MISSIMO_OIDC_SIGN_ALGO": "RS256",
        "MISSIMO_AUTH_GROUP_ROLES": f"{GROUP_FK}|familienkasse|Familienkasse Herne; "
        f"{GROUP_JC}|jobcenter|Jobcenter Herne",
    }
    for name, value in authentication_settings(environ).items():
        setattr(settings, name, value)
    return provider


def set_user(provider, sub: str, groups: list[str], **claims) -> None:
    """The provider's directory: the account and its groups (as an administrator keeps them there)."""
    body = {"preferred_username": sub, "groups": groups, "email": f"{sub}@stadt.test", **claims}
    response = requests.put(f"{provider['base']}/users/{sub}", json=body, timeout=10)
    assert response.status_code == 204


def log_in(client, sub: str, *, action: str = "allow"):
    """The authorisation-code flow: MISSIMO sends the browser to the provider, the user logs in
    there (the provider's form), the provider sends the browser back to MISSIMO's callback."""
    start = client.get("/anmelden/oidc/start/")
    assert start.status_code == 302
    authorize = start["Location"]
    query = parse_qs(urlsplit(authorize).query)
    assert query["client_id"] == [client_id_of(client)] and query["nonce"] and query["state"]
    at_provider = requests.post(
        authorize, data={"sub": sub, "action": action}, allow_redirects=False, timeout=10
    )
    assert at_provider.status_code in (302, 303)
    back = urlsplit(at_provider.headers["Location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == CALLBACK
    response = client.get(back.path, parse_qs(back.query))
    return response, client.session.get("_auth_user_id")


def client_id_of(client) -> str:
    from django.conf import settings

    return settings.OIDC_RP_CLIENT_ID


def _user(username):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username)


def test_a_provider_user_logs_in_and_gets_the_role_and_agency_of_the_group(client, oidc):
    set_user(oidc, "f.kasse", [GROUP_FK, "andere-gruppe"], given_name="Frieda", family_name="Kassenberg")
    response, user_id = log_in(client, "f.kasse")
    assert response.status_code == 302 and user_id
    user = _user("f.kasse")
    assert str(user.pk) == user_id
    assert user.roles == {Role.FAMILIENKASSE}
    assert user.agency.name == "Familienkasse Herne"
    assert (user.first_name, user.last_name, user.email) == ("Frieda", "Kassenberg", "f.kasse@stadt.test")
    assert not user.has_usable_password()


def test_a_change_of_groups_at_the_provider_changes_the_roles_at_the_next_log_in(client, oidc):
    set_user(oidc, "g.wechsel", [GROUP_FK])
    log_in(client, "g.wechsel")
    assert _user("g.wechsel").roles == {Role.FAMILIENKASSE}
    client.logout()

    set_user(oidc, "g.wechsel", [GROUP_JC])
    _, user_id = log_in(client, "g.wechsel")
    assert user_id
    user = _user("g.wechsel")
    assert user.roles == {Role.JOBCENTER} and user.agency.name == "Jobcenter Herne"
    client.logout()

    set_user(oidc, "g.wechsel", [])  # removed from every group of MISSIMO
    log_in(client, "g.wechsel")
    assert _user("g.wechsel").roles == set()


def test_a_log_in_the_provider_refuses_opens_no_session(client, oidc):
    """A disabled account: the provider does not issue a code but answers `access_denied`."""
    set_user(oidc, "d.gesperrt", [GROUP_FK])
    response, user_id = log_in(client, "d.gesperrt", action="deny")
    assert user_id is None
    assert response.status_code == 302 and response["Location"].startswith("/anmelden/")
    from django.contrib.auth import get_user_model

    assert not get_user_model().objects.filter(username="d.gesperrt").exists()


def test_a_callback_with_a_made_up_code_or_a_foreign_state_opens_no_session(client, oidc):
    set_user(oidc, "m.angriff", [GROUP_FK])
    start = client.get("/anmelden/oidc/start/")
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
    made_up = client.get("/anmelden/oidc/callback/", {"code": "erfunden", "state": state})
    assert made_up.status_code == 302 and client.session.get("_auth_user_id") is None

    # a real code for the attacker's own browser session does not log in another browser
    from django.test import Client

    attacker = Client()
    attacker.get("/anmelden/oidc/start/")
    other = client.get("/anmelden/oidc/start/")
    authorize = other["Location"]
    at_provider = requests.post(authorize, data={"sub": "m.angriff"}, allow_redirects=False, timeout=10)
    back = urlsplit(at_provider.headers["Location"])
    forged = attacker.get(back.path, parse_qs(back.query))
    assert attacker.session.get("_auth_user_id") is None
    assert forged.status_code in (302, 400)
