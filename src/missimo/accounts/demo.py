"""The demo accounts: one per role (two for the coordination office, for the four-eyes release)."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from missimo.accounts import policy
from missimo.accounts.models import Agency, User
from missimo.accounts.policy import AgencyKind, Capability, Role
from missimo.accounts.services import create_user


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role_label: str


# username, first name, last name, role, agency name, agency kind, Schulnummer
DEMO_USERS: tuple[tuple[str, str, str, Role, str, AgencyKind, str], ...] = (
    ("koordination", "Kim", "Koordinatorin", Role.KOORDINIERUNG, "Ordnungsamt", AgencyKind.ORDNUNGSAMT, ""),
    # A second person of the coordination office: releases letters (four-eyes principle).
    ("koordination2", "Konrad", "Koordinator", Role.KOORDINIERUNG, "Ordnungsamt", AgencyKind.ORDNUNGSAMT, ""),
    (
        "familienkasse",
        "Fabian",
        "Kasse",
        Role.FAMILIENKASSE,
        "Familienkasse NRW West",
        AgencyKind.FAMILIENKASSE,
        "",
    ),
    ("jobcenter", "Jana", "Center", Role.JOBCENTER, "Jobcenter", AgencyKind.JOBCENTER, ""),
    ("schulamt", "Sam", "Schulamt", Role.SCHULAMT, "Schulamt", AgencyKind.SCHULAMT, ""),
    ("jugendamt", "Jule", "Jugend", Role.JUGENDAMT, "Jugendamt", AgencyKind.JUGENDAMT, ""),
    (
        "gesundheitsamt",
        "Gerd",
        "Gesund",
        Role.GESUNDHEITSAMT,
        "Gesundheitsamt",
        AgencyKind.GESUNDHEITSAMT,
        "",
    ),
    ("polizei", "Paula", "Polizei", Role.POLIZEI, "Polizeipräsidium", AgencyKind.POLIZEI, ""),
    (
        "bauaufsicht",
        "Bea",
        "Bau",
        Role.BAUAUFSICHT,
        "Bauaufsicht",
        AgencyKind.BAUAUFSICHT,
        "",
    ),
    ("schule", "Selin", "Schule", Role.SCHULE, "Grundschule Am Markt (Demo)", AgencyKind.SCHULE, "199001"),
    (
        "datenschutz",
        "Dana",
        "Datenschutz",
        Role.DATENSCHUTZ,
        "Datenschutzbeauftragte",
        AgencyKind.DATENSCHUTZ,
        "",
    ),
    ("admin", "Alex", "Admin", Role.ADMINISTRATION, "IT-Dienstleister", AgencyKind.IT, ""),
    # the partners of the network (issue 17)
    (
        "wohnungsaufsicht",
        "Wanda",
        "Wohnung",
        Role.WOHNUNGSAUFSICHT,
        "Wohnungsaufsicht",
        AgencyKind.WOHNUNGSAUFSICHT,
        "",
    ),
    ("zoll", "Zora", "Zoll", Role.ZOLL, "Hauptzollamt (FKS)", AgencyKind.ZOLL, ""),
    (
        "auslaenderbehoerde",
        "Aylin",
        "Ausländerbehörde",
        Role.AUSLAENDERBEHOERDE,
        "Ausländerbehörde",
        AgencyKind.AUSLAENDERBEHOERDE,
        "",
    ),
    (
        "arbeitsschutz",
        "Arne",
        "Arbeitsschutz",
        Role.ARBEITSSCHUTZ,
        "Bezirksregierung – Arbeitsschutz",
        AgencyKind.ARBEITSSCHUTZ,
        "",
    ),
    (
        "staatsanwaltschaft",
        "Stefan",
        "Staatsanwalt",
        Role.STAATSANWALTSCHAFT,
        "Staatsanwaltschaft",
        AgencyKind.STAATSANWALTSCHAFT,
        "",
    ),
    # the head of a school of the synthetic city: sees the absence hints of the school's own pupils
    # (missimo.demo sets the Schulnummer of a school with such hints once the demo city has run)
    ("schulleitung", "Sina", "Schulleitung", Role.SCHULLEITUNG, "Schulleitung (Demo)", AgencyKind.SCHULE, ""),
)


@transaction.atomic
def ensure_demo_accounts() -> list[DemoAccount]:
    """Create one account per role with a random password, once per data directory.

    The passwords are kept in `<data dir>/demo-accounts.json` (mode 0600) so that every start
    of the demo prints the same credentials; nothing secret is in the repository.
    """
    store = settings.DATA_DIR / "demo-accounts.json"
    known: dict[str, str] = json.loads(store.read_text(encoding="utf-8")) if store.exists() else {}
    accounts = []
    for username, first, last, role, agency_name, kind, schulnummer in DEMO_USERS:
        agency, _ = Agency.objects.get_or_create(
            name=agency_name, defaults={"kind": kind, "schulnummer": schulnummer}
        )
        password = known.get(username)
        user = User.objects.filter(username=username).first()
        if user is None or password is None:
            password = secrets.token_urlsafe(9)
            if user is None:
                user = create_user(
                    username, password, agency=agency, roles=[role], first_name=first, last_name=last
                )
            else:
                user.set_password(password)
                user.save(update_fields=["password"])
            if policy.role_can(role, Capability.ADMINISTER_ACCOUNTS):
                user.is_staff = True
                user.save(update_fields=["is_staff"])
            known[username] = password
        accounts.append(DemoAccount(username, password, str(role.label)))
    store.touch(mode=0o600)
    store.write_text(json.dumps(known, indent=2), encoding="utf-8")
    return accounts
