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
    from missimo.runs import services as runs
    from missimo.synth import generate

    if runs.latest_run() is not None:
        return
    stichtag: dt.date = timezone.localdate()
    city_dir = settings.DATA_DIR / "demo-stadt"
    if not (city_dir / "objekte.csv").exists():
        echo(f"Synthetische Stadt mit {DEMO_RESIDENTS} Einwohnerinnen und Einwohnern wird erzeugt …")
        generate(residents=DEMO_RESIDENTS, seed=DEMO_SEED, stichtag=stichtag, out_dir=city_dir)
        name_city(city_dir, settings.CITY_NAME)
    coordination = User.objects.get(username="koordination")
    # The property register first: the other deliveries' addresses are linked onto its buildings.
    for source in sorted(SOURCES, key=lambda name: name != "objekte"):
        _deliver(source, city_dir / f"{source}.csv", coordination, echo)
    # Two monthly runs, so that the demo shows hints across runs (ADR 0005): last month's Abgleich,
    # then this month's after a new Kindergeld delivery in which some payments stopped (entfallen),
    # some amounts changed (geändert) and a new claim came in (neu).
    previous_month = stichtag - dt.timedelta(days=30)
    echo("Abgleich des Vormonats läuft …")
    first = _run(previous_month, coordination, echo)
    second_delivery = city_dir / "kindergeld_folgemonat.csv"
    _next_month_kindergeld(city_dir / "kindergeld.csv", second_delivery, first)
    _deliver("kindergeld", second_delivery, coordination, echo)
    echo("Abgleich des laufenden Monats läuft …")
    second = _run(stichtag, coordination, echo)
    counts = second.counts
    echo(
        f"  gegenüber dem Vormonat: {counts.get('hints_neu', 0)} neu, {counts.get('hints_unveraendert', 0)} "
        f"unverändert, {counts.get('hints_geaendert', 0)} geändert, {counts.get('hints_entfallen', 0)} entfallen"
    )


def name_city(city_dir, name: str) -> None:
    """The generator's city (Herne, with its street names and postcodes) carries the name of the
    city the application is set up for (MISSIMO_CITY_NAME): the header and the addresses agree.
    Neighbouring towns (Bochum, Gelsenkirchen, …) keep their names."""
    import re

    from missimo.synth.city import CITY

    if not name or name == CITY:
        return
    word = re.compile(rf"\b{re.escape(CITY)}\b")
    for path in sorted(city_dir.rglob("*.csv")):
        text = path.read_bytes().decode("utf-8")
        renamed = word.sub(name, text)
        if renamed != text:
            path.write_bytes(renamed.encode("utf-8"))


def _deliver(source: str, path, user, echo) -> None:
    from missimo.imports import services as imports
    from missimo.imports.models import ImportStatus

    with open(path, "rb") as stream:
        delivery = imports.store_delivery(source, stream, path.name, user=user, channel="demo")
    delivery = imports.process_delivery(delivery.pk)
    if delivery.status not in (ImportStatus.TAKEN, ImportStatus.UNCHANGED):
        raise RuntimeError(f"Demo-Lieferung {source} nicht übernommen: {delivery.message}")
    echo(f"  {source}: {delivery.message}")


def _run(stichtag, user, echo):
    from missimo.runs import services as runs
    from missimo.runs.models import RunStatus

    run = runs.execute_run(runs.start_run(stichtag, user=user, channel="demo").pk)
    if run.status != RunStatus.FINISHED:
        raise RuntimeError(f"Demo-Abgleich fehlgeschlagen: {run.message}")
    echo(f"  {run.message}")
    return run


# How many Kindergeld hints of last month's run the next month's delivery changes, per kind of change.
DEMO_STOPPED = 3
DEMO_CHANGED = 3


def _next_month_kindergeld(source_file, target_file, run) -> None:
    """This month's Kindergeld export: last month's, with the payments of a few hints stopped (their
    rows are gone), the amount of a few others raised by 5 €, and one new claim for a child the
    Melderegister does not know."""
    import csv
    from decimal import Decimal

    keys = sorted(
        {
            ref.partition(":")[2]
            for ref in run.hints.filter(primary_ref__startswith="kindergeld:").values_list(
                "primary_ref", flat=True
            )
        }
    )
    stopped = set(keys[:DEMO_STOPPED])
    changed = set(keys[DEMO_STOPPED : DEMO_STOPPED + DEMO_CHANGED])
    with open(source_file, encoding="utf-8-sig", newline="") as stream:
        reader = csv.DictReader(stream, delimiter=";")
        fields = list(reader.fieldnames or [])
        rows = list(reader)

    def key(row) -> str:
        return f"{row['Kindergeldnummer'].strip().upper()}/{int(row['Kind_Nr'])}"

    kept = []
    for row in rows:
        if key(row) in stopped:
            continue
        if key(row) in changed:
            amount = Decimal(row["Monatsbetrag"].replace(".", "").replace(",", ".")) + 5
            row["Monatsbetrag"] = f"{amount:.2f}".replace(".", ",")
        kept.append(row)
    template = next((dict(row) for row in kept if key(row) in changed), None)
    if template is not None:
        # A new claim at the same address for a child the Melderegister does not know.
        used = {row["Kindergeldnummer"].strip().upper() for row in rows}
        number = next(f"999FK{n:06d}" for n in range(1, 10**6) if f"999FK{n:06d}" not in used)
        year = template["Kind_Geburtsdatum"].strip()[-4:]
        template.update(
            {
                "Kindergeldnummer": number,
                "Kind_Nr": "1",
                "Berechtigter_Familienname": "Neumann",
                "Berechtigter_Vornamen": "Clara",
                "Kind_Familienname": "Neumann",
                "Kind_Vornamen": "Zoe Amalia",
                "Kind_Geburtsdatum": f"02.01.{year}",
            }
        )
        kept.append(template)
    with open(target_file, "w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=fields, delimiter=";")
        writer.writeheader()
        writer.writerows(kept)


def ensure_demo_school_head(echo=print) -> None:
    """Give the demo Schulleitung the Schulnummer of the school with the most absence hints in the
    latest run (the synthetic city's school numbers are random), once."""
    from collections import Counter

    from missimo.accounts.models import Agency
    from missimo.runs import services as runs

    agency = Agency.objects.filter(name="Schulleitung (Demo)").first()
    run = runs.latest_run()
    if agency is None or agency.schulnummer or run is None:
        return
    refs = run.hints.filter(rule="SCHULABSENTISMUS", primary_ref__startswith="schule:").values_list(
        "primary_ref", flat=True
    )
    numbers = Counter(ref.partition(":")[2].partition("/")[0] for ref in refs)
    if numbers:
        agency.schulnummer = numbers.most_common(1)[0][0]
        agency.save(update_fields=["schulnummer"])
        echo(f"  Schulleitung (Demo): Schulnummer {agency.schulnummer}")


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
    from missimo.demo_casework import ensure_demo_casework, ensure_demo_network

    accounts = ensure_demo_accounts()
    ensure_demo_city(echo)
    ensure_demo_school(echo)
    ensure_demo_school_head(echo)
    ensure_demo_casework(echo)
    ensure_demo_network(echo)
    return accounts
