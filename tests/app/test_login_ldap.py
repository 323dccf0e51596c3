"""LDAP log-in against a real directory (issue #21): the test starts slapd from the distribution on
the loopback address with a generated configuration laid out like an Active Directory (users with
`sAMAccountName` and `userAccountControl`, groups with `member`), logs in through the log-in page,
and checks the group-to-role mapping and that a disabled or removed directory account is refused."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from missimo.accounts.auth_settings import authentication_settings
from missimo.accounts.policy import Role
from missimo.audit.models import AuditEvent

pytestmark = pytest.mark.django_db(databases="__all__")

SLAPD = shutil.which("slapd") or "/usr/sbin/slapd"
BASE = "dc=stadt,dc=test"
ADMIN_DN = f"cn=admin,{BASE}"
ADMIN_PASSWORD = "verzeichnis-admin-geheim"
SERVICE_DN = f"cn=missimo-dienst,ou=dienste,{BASE}"
SERVICE_PASSWORD = "dienstkonto-geheim"
USER_PASSWORD = "Verzeichnis-Passwort-2026"
GROUP_FK = f"CN=MISSIMO-Familienkasse,OU=Gruppen,{BASE}"
GROUP_JC = f"cn=missimo-jobcenter,ou=gruppen,{BASE}"
# Active Directory: log-in name sAMAccountName; bit 2 of userAccountControl = account disabled
# (matched with the directory's bitwise rule 1.2.840.113556.1.4.803, as against an AD).
AD_FILTER = "(&(objectClass=user)(sAMAccountName=%(user)s)(!(userAccountControl:1.2.840.113556.1.4.803:=2)))"

# A minimal Active-Directory-like schema: OpenLDAP's msuser.schema is informational only.
AD_SCHEMA = """
attributetype ( 1.3.6.1.4.1.55555.1.1 NAME 'sAMAccountName'
  EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.55555.1.2 NAME 'userAccountControl'
  EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
objectclass ( 1.3.6.1.4.1.55555.2.1 NAME 'user' SUP inetOrgPerson STRUCTURAL
  MAY ( sAMAccountName $ userAccountControl ) )
objectclass ( 1.3.6.1.4.1.55555.2.2 NAME 'group' SUP top STRUCTURAL
  MUST cn MAY ( member $ description ) )
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Directory:
    """A running slapd with an Active-Directory-like tree, and python-ldap to change it."""

    def __init__(self, uri: str, process: subprocess.Popen):
        self.uri = uri
        self.process = process

    def connect(self):
        import ldap

        connection = ldap.initialize(self.uri)
        connection.simple_bind_s(ADMIN_DN, ADMIN_PASSWORD)
        return connection

    def add(self, dn: str, attributes: dict) -> None:
        from ldap import modlist

        encoded = {
            key: [v.encode() for v in (value if isinstance(value, list) else [value])]
            for key, value in attributes.items()
        }
        self.connect().add_s(dn, modlist.addModlist(encoded))

    def add_user(self, account: str, given: str, surname: str, *, control: int = 512) -> str:
        dn = f"CN={given} {surname},OU=Benutzer,{BASE}"
        self.add(
            dn,
            {
                "objectClass": ["top", "user"],
                "cn": f"{given} {surname}",
                "sn": surname,
                "givenName": given,
                "mail": f"{account}@stadt.test",
                "sAMAccountName": account,
                "userAccountControl": str(control),
                "userPassword": USER_PASSWORD,
            },
        )
        return dn

    def set(self, dn: str, attribute: str, values: list[str]) -> None:
        import ldap

        self.connect().modify_s(dn, [(ldap.MOD_REPLACE, attribute, [v.encode() for v in values])])

    def delete(self, dn: str) -> None:
        self.connect().delete_s(dn)


@pytest.fixture(scope="module")
def directory(tmp_path_factory):
    if not Path(SLAPD).exists():
        pytest.skip("slapd fehlt: `scripts/system-deps` installiert die Pakete slapd und ldap-utils")
    import ldap

    root = tmp_path_factory.mktemp("slapd")
    (root / "db").mkdir()
    (root / "ad.schema").write_text(AD_SCHEMA, encoding="ascii")
    (root / "slapd.conf").write_text(
        "\n".join(
            [
                "include /etc/ldap/schema/core.schema",
                "include /etc/ldap/schema/cosine.schema",
                "include /etc/ldap/schema/inetorgperson.schema",
                f"include {root / 'ad.schema'}",
                "modulepath /usr/lib/ldap",
                "moduleload back_mdb",
                f"pidfile {root / 'slapd.pid'}",
                "database mdb",
                "maxsize 16777216",
                f'suffix "{BASE}"',
                f'rootdn "{ADMIN_DN}"',
                f"rootpw {ADMIN_PASSWORD}",
                f"directory {root / 'db'}",
                # the service account may search; users may bind (compare their password) only
                "access to attrs=userPassword by anonymous auth by * none",
                f'access to * by dn.exact="{SERVICE_DN}" read by self read by * none',
                "",
            ]
        ),
        encoding="ascii",
    )
    uri = f"ldap://127.0.0.1:{_free_port()}"
    process = subprocess.Popen(
        [SLAPD, "-d", "0", "-f", str(root / "slapd.conf"), "-h", uri + "/"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    server = Directory(uri, process)
    deadline = time.monotonic() + 30  # waiting for the server to listen, not an assertion on time
    while True:
        try:
            server.connect()
            break
        except ldap.SERVER_DOWN:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"slapd startet nicht: {process.stderr.read().decode()}") from None
            time.sleep(0.1)
    server.add(BASE, {"objectClass": ["top", "dcObject", "organization"], "dc": "stadt", "o": "Stadt"})
    for unit in ("Benutzer", "Gruppen", "dienste"):
        server.add(f"OU={unit},{BASE}", {"objectClass": ["top", "organizationalUnit"], "ou": unit})
    server.add(
        SERVICE_DN,
        {
            "objectClass": ["top", "person"],
            "cn": "missimo-dienst",
            "sn": "Dienst",
            "userPassword": SERVICE_PASSWORD,
        },
    )
    server.add(
        GROUP_FK, {"objectClass": ["top", "group"], "cn": "MISSIMO-Familienkasse", "member": SERVICE_DN}
    )
    server.add(GROUP_JC, {"objectClass": ["top", "group"], "cn": "missimo-jobcenter", "member": SERVICE_DN})
    yield server
    process.terminate()
    process.wait()


@pytest.fixture
def ldap_login(directory, settings):
    """The application configured for the directory as a city would (from the declared settings)."""
    environ = {
        "MISSIMO_LDAP_ENABLED": "true",
        "MISSIMO_LDAP_SERVER_URI": directory.uri,
        "MISSIMO_LDAP_BIND_DN": SERVICE_DN,
        "MISSIMO_LDAP_BIND_PASSWORD": SERVICE_PASSWORD,
        "MISSIMO_LDAP_USER_SEARCH_BASE": f"OU=Benutzer,{BASE}",
        "MISSIMO_LDAP_USER_FILTER": AD_FILTER,
        "MISSIMO_LDAP_GROUP_SEARCH_BASE": f"OU=Gruppen,{BASE}",
        "MISSIMO_LDAP_GROUP_FILTER": "(objectClass=group)",
        "MISSIMO_AUTH_GROUP_ROLES": f"{GROUP_FK}|familienkasse|Familienkasse Herne; "
        f"{GROUP_JC}|jobcenter|Jobcenter Herne",
    }
    for name, value in authentication_settings(environ).items():
        setattr(settings, name, value)
    return directory


def _log_in(client, username: str, password: str = USER_PASSWORD):
    response = client.post("/anmelden/", {"username": username, "password": password})
    return response, client.session.get("_auth_user_id")


def _user(username):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username)


def test_a_directory_user_logs_in_with_the_directory_password_and_gets_the_role_of_the_group(
    client, ldap_login
):
    dn = ldap_login.add_user("f.kasse", "Frieda", "Kassenberg")
    ldap_login.set(GROUP_FK, "member", [SERVICE_DN, dn])

    response, user_id = _log_in(client, "f.kasse")
    assert response.status_code == 302 and user_id
    user = _user("f.kasse")
    assert str(user.pk) == user_id
    assert user.roles == {Role.FAMILIENKASSE}
    assert user.agency.name == "Familienkasse Herne"
    assert (user.first_name, user.last_name, user.email) == ("Frieda", "Kassenberg", "f.kasse@stadt.test")
    assert not user.has_usable_password()  # the password stays in the directory
    assert AuditEvent.objects.filter(actor_username="f.kasse").exists()


def test_a_wrong_directory_password_is_refused(client, ldap_login):
    dn = ldap_login.add_user("w.falsch", "Wanda", "Falsch")
    ldap_login.set(GROUP_FK, "member", [SERVICE_DN, dn])
    response, user_id = _log_in(client, "w.falsch", "nicht-das-Passwort")
    assert user_id is None and response.status_code == 200


def test_a_change_of_groups_in_the_directory_changes_the_roles_at_the_next_log_in(client, ldap_login):
    dn = ldap_login.add_user("g.wechsel", "Gerd", "Wechsler")
    ldap_login.set(GROUP_FK, "member", [SERVICE_DN, dn])
    _log_in(client, "g.wechsel")
    assert _user("g.wechsel").roles == {Role.FAMILIENKASSE}
    client.logout()

    ldap_login.set(GROUP_FK, "member", [SERVICE_DN])
    ldap_login.set(GROUP_JC, "member", [SERVICE_DN, dn])
    _, user_id = _log_in(client, "g.wechsel")
    assert user_id
    user = _user("g.wechsel")
    assert user.roles == {Role.JOBCENTER}
    assert user.agency.name == "Jobcenter Herne"
    client.logout()

    ldap_login.set(GROUP_JC, "member", [SERVICE_DN])  # in no group of MISSIMO any more
    _log_in(client, "g.wechsel")
    assert _user("g.wechsel").roles == set()


def test_a_disabled_directory_account_is_refused_even_with_the_right_password(client, ldap_login):
    dn = ldap_login.add_user("d.gesperrt", "Dora", "Gesperrt")
    ldap_login.set(GROUP_FK, "member", [SERVICE_DN, dn])
    _, user_id = _log_in(client, "d.gesperrt")
    assert user_id
    client.logout()

    ldap_login.set(dn, "userAccountControl", ["514"])  # ACCOUNTDISABLE, as an AD administrator sets it
    response, user_id = _log_in(client, "d.gesperrt")
    assert user_id is None and response.status_code == 200


def test_a_removed_directory_account_is_refused_though_its_missimo_account_remains(client, ldap_login):
    dn = ldap_login.add_user("e.entfernt", "Emil", "Entfernt")
    ldap_login.set(GROUP_FK, "member", [SERVICE_DN, dn])
    _, user_id = _log_in(client, "e.entfernt")
    assert user_id
    client.logout()

    ldap_login.set(GROUP_FK, "member", [SERVICE_DN])
    ldap_login.delete(dn)
    response, user_id = _log_in(client, "e.entfernt")
    assert user_id is None and response.status_code == 200
    assert _user("e.entfernt").is_active  # the local account is left; without the directory it is useless
