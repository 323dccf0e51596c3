"""The demo city: accounts for every role, a synthetic city with its Abgleich, and case work on it
(campaigns, reviews, inspections, outcomes, measures and letters; see missimo.demo_casework)."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from missimo.accounts.models import Agency, AgencyKind, User
from missimo.accounts.roles import Role
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
        "Bauaufsicht/Wohnungsaufsicht",
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
            if role == Role.ADMINISTRATION:
                user.is_staff = True
                user.save(update_fields=["is_staff"])
            known[username] = password
        accounts.append(DemoAccount(username, password, str(role.label)))
    store.touch(mode=0o600)
    store.write_text(json.dumps(known, indent=2), encoding="utf-8")
    return accounts


DEMO_RESIDENTS = 4000
DEMO_SEED = 2026


def ensure_demo_city(echo=print) -> None:
    """Generate a synthetic city, import its six exports and run the Abgleich, once per data directory."""
    import datetime as dt

    from django.utils import timezone

    from missimo.imports import services as imports
    from missimo.imports.models import ImportStatus
    from missimo.runs import services as runs
    from missimo.runs.models import RunStatus
    from missimo.synth import generate

    if runs.latest_run() is not None:
        return
    stichtag: dt.date = timezone.localdate()
    city_dir = settings.DATA_DIR / "demo-stadt"
    if not (city_dir / "objekte.csv").exists():
        echo(f"Synthetische Stadt mit {DEMO_RESIDENTS} Einwohnerinnen und Einwohnern wird erzeugt …")
        generate(residents=DEMO_RESIDENTS, seed=DEMO_SEED, stichtag=stichtag, out_dir=city_dir)
    coordination = User.objects.get(username="koordination")
    for source in ("objekte", "melderegister", "kindergeld", "schule", "jobcenter", "seu"):
        with open(city_dir / f"{source}.csv", "rb") as stream:
            delivery = imports.store_delivery(
                source, stream, f"{source}.csv", user=coordination, channel="demo"
            )
        delivery = imports.process_delivery(delivery.pk)
        if delivery.status not in (ImportStatus.TAKEN, ImportStatus.UNCHANGED):
            raise RuntimeError(f"Demo-Lieferung {source} nicht übernommen: {delivery.message}")
        echo(f"  {source}: {delivery.message}")
    echo("Abgleich läuft …")
    run = runs.start_run(stichtag, user=coordination, channel="demo")
    run = runs.execute_run(run.pk)
    if run.status != RunStatus.FINISHED:
        raise RuntimeError(f"Demo-Abgleich fehlgeschlagen: {run.message}")
    echo(f"  {run.message}")


def prepare_demo(echo=print) -> list[DemoAccount]:
    from missimo.demo_casework import ensure_demo_casework

    accounts = ensure_demo_accounts()
    ensure_demo_city(echo)
    ensure_demo_casework(echo)
    return accounts
