"""The demo city: accounts for every role, a synthetic city with its Abgleich, and case work on it
(campaigns, reviews, inspections, outcomes, measures and letters; see missimo.demo_casework)."""

from __future__ import annotations

from django.conf import settings

from missimo.accounts.demo import DemoAccount, ensure_demo_accounts
from missimo.accounts.models import User

__all__ = ["DemoAccount", "ensure_demo_accounts", "ensure_demo_city", "ensure_demo_school", "prepare_demo"]


DEMO_RESIDENTS = 4000
DEMO_SEED = 2026


def ensure_demo_city(echo=print) -> None:
    """Generate a synthetic city, import its six exports and run the Abgleich, once per data directory."""
    import datetime as dt

    from django.utils import timezone

    from missimo.engine import SOURCES
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
    # The property register first: the other deliveries' addresses are linked onto its buildings.
    for source in sorted(SOURCES, key=lambda name: name != "objekte"):
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


DEMO_SCHOOL_USER = "schule"


def ensure_demo_school(echo=print) -> None:
    """The demo school is a school of the synthetic city: its Schulnummer is the one of the primary
    school with the most pupils in the current `schule` delivery (so that searching finds pupils),
    and it has a signing key from the start (so that it can issue Schulbescheinigungen)."""
    from missimo import engine
    from missimo.certificates import services as certificates
    from missimo.imports import services as imports

    user = User.objects.filter(username=DEMO_SCHOOL_USER).select_related("agency").first()
    snapshot = imports.current_snapshots().get("schule")
    if user is None or user.agency is None or snapshot is None or not snapshot.path.exists():
        return
    schools = engine.schools_with_pupils(snapshot.path)
    if not schools:
        return
    agency = user.agency
    if agency.schulnummer not in {number for number, _, _ in schools}:
        number, name, pupils = schools[0]
        agency.schulnummer = number
        agency.save(update_fields=["schulnummer"])
        echo(f"  Demo-Schule: {name} (Schulnummer {number}, {pupils} Schülerinnen und Schüler)")
    if certificates.active_key(agency.schulnummer) is None:
        name = next(name for number, name, _ in schools if number == agency.schulnummer)
        key = certificates.create_key(agency.schulnummer, school_name=name)
        echo(f"  Signaturschlüssel {key.kid} für {name} angelegt")


def prepare_demo(echo=print) -> list[DemoAccount]:
    from missimo.demo_casework import ensure_demo_casework

    accounts = ensure_demo_accounts()
    ensure_demo_city(echo)
    ensure_demo_school(echo)
    ensure_demo_casework(echo)
    return accounts
