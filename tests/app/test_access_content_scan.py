"""Need-to-know in what pages show, not only in whether they open (issue #21): with a whole imported
city and a finished Abgleich, every page of the project answered with 200 to any role is scanned
for the record keys (BG-Nummer, Kindergeldnummer, Ordnungsmerkmal, SEU-Nummer, Schülernummer) and
the names of persons of every source that the role may not read (`RoleSpec.record_sources`)."""

from __future__ import annotations

import csv
import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from missimo import engine
from missimo.accounts import access, policy
from missimo.accounts.models import AgencyKind
from missimo.accounts.policy import Capability, Role
from tests.app.test_access_matrix import agency_of, all_routes

pytestmark = pytest.mark.django_db(databases="__all__")

# Per source: the record key (the fields joined with "/", as "Warum verknüpft?" shows it) and the
# one field that alone identifies a household or case of the agency (long enough to scan for).
IDENTIFIER = {
    "jobcenter": "BG_Nummer",
    "kindergeld": "Kindergeldnummer",
    "melderegister": "Ordnungsmerkmal",
    "seu": "SEU_ID",
}
PERSON_SOURCES = ("melderegister", "kindergeld", "schule", "jobcenter", "seu")
# The audit log, which only the data-protection officer and the coordination office read, names the
# object of every access (the record keys are what a check of an access needs).
AUDIT_PAGES = frozenset({"audit:log", "audit:export"})
HINTS_PER_ROLE = 3  # the hint pages are read for this many hints each role sees


def _rows(city, source):
    with open(city / f"{source}.csv", encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream, delimiter=";"))


def _persons(layout, row):
    for person in layout.persons:
        first, last, born = row[person.first_names], row[person.surname], row[person.birth_date]
        if first and last:
            yield (first, last, born)


def secrets_of_sources(city) -> dict[str, tuple[set[str], set[tuple[str, str, str]]]]:
    """Per person source: the keys and identifiers of its records, and its persons (first names,
    surname, birth date)."""
    out = {}
    for source in PERSON_SOURCES:
        layout = engine.SOURCES[source]
        keys, persons = set(), set()
        for row in _rows(city, source):
            keys.add("/".join(row[name] for name in layout.key))
            if source in IDENTIFIER:
                keys.add(row[IDENTIFIER[source]])
            persons.update(_persons(layout, row))
        out[source] = (keys, persons)
    return out


def forbidden_for(role: Role, secrets, visible_hints, owners) -> list[str]:
    """Keys of the sources the role may not read, and the names of persons known only from them
    (a person also in a source it reads, or named in a hint it sees, may be shown by name; a name
    that is also a property owner's is left out: owners are property data, not person records)."""
    readable = policy.ROLES[role].record_sources
    known = set().union(*(secrets[source][1] for source in readable if source in secrets), set())
    hint_text = " ".join(str(hint.facts) + hint.explanation for hint in visible_hints)
    out: set[str] = set()
    for source, (keys, persons) in secrets.items():
        if source in readable:
            continue
        out |= keys
        for first, last, _born in persons - known:
            if last not in hint_text and f"{first} {last}" not in owners:
                out |= {f"{first} {last}", f"{last}, {first}"}
    return sorted(out)


def _kwargs(route, page, role, world) -> dict | None:
    """Real objects for a route's parameters, from the role's point of view (None: skip the route)."""
    scope = page.scope
    hint = world["hint"].get(role)
    values = {
        "hint": {"pk": hint.pk} if hint else None,
        "whole_hint": {"pk": hint.pk} if hint else None,
        "property": {"pk": world["property"][role].pk} if world["property"].get(role) else None,
        "delivery": {"pk": world["delivery"].pk},
        "rejected": {"pk": world["delivery"].pk},
    }
    if scope in values:
        chosen = values[scope]
        if chosen is None or set(chosen) != set(route.params):
            return None
        return chosen
    if route.name == "imports:new":
        return {"source": world["delivery"].source}
    if route.params == ("fmt",):
        return {"fmt": "csv"}
    if route.name == "runs:detail":
        return {"pk": world["run"].pk}
    return None if route.params else {}


def test_no_page_shows_a_role_the_keys_or_names_of_records_of_sources_it_may_not_read(
    imported_city, kim, make_user
):
    from missimo.accounts.models import Agency
    from missimo.imports.models import Import
    from missimo.properties.models import Property
    from missimo.runs import services

    schulnummer = _rows(imported_city, "schule")[0]["Schulnummer"]
    users = {}
    for role in Role:
        agency_name, kind = agency_of(role)
        if kind == AgencyKind.SCHULE:
            Agency.objects.get_or_create(
                name=agency_name, defaults={"kind": kind, "schulnummer": schulnummer}
            )
        user = make_user(f"scan_{role.value}", role, agency_name, kind)
        if policy.role_can(role, Capability.ADMINISTER_ACCOUNTS):
            user.is_staff = user.is_superuser = True
            user.save(update_fields=["is_staff", "is_superuser"])
        users[role] = user
    run = services.execute_run(services.start_run(dt.date(2026, 9, 15), user=kim, channel="cli").pk)
    hints = list(run.hints.all())
    secrets = secrets_of_sources(imported_city)
    visible = {
        role: [
            hint
            for hint in hints
            if policy.role_sees_hint(role, hint.agency_kind, hint.rule, hint.primary_ref, schulnummer)
        ]
        for role in Role
    }
    # a role's sample hints: preferably ones linked to records of sources the role may not read
    samples = {}
    for role in Role:
        linked = [hint for hint in visible[role] if hint.person_ids]
        samples[role] = (linked or visible[role])[:HINTS_PER_ROLE]
    owners = {row["Eigentuemer"] for row in _rows(imported_city, "objekte")}
    deliveries = list(Import.objects.filter(source__in=PERSON_SOURCES))
    problems: list[str] = []
    scanned = 0
    for role, user in users.items():
        client = Client()
        client.force_login(user)
        forbidden = forbidden_for(role, secrets, visible[role], owners)
        assert forbidden or role == Role.KOORDINIERUNG
        own = [d for d in deliveries if d.source in policy.ROLES[role].delivered_sources]
        worlds = [
            {
                "run": run,
                "hint": {role: hint},
                "property": {
                    role: Property.objects.filter(objekt_id=hint.objekt_id).first() if hint else None
                },
                "delivery": own[0] if own else deliveries[0],
            }
            for hint in samples[role] or [None]
        ]
        seen_urls = set()
        for route in all_routes():
            page = access.page_for(route.name)
            if page is None or route.name.endswith(":") or role not in page.roles:
                continue
            if route.name in AUDIT_PAGES:
                continue  # the audit log names the records each access was about: its purpose
            for world in worlds:
                kwargs = _kwargs(route, page, role, world)
                if kwargs is None:
                    continue
                url = reverse(route.name, kwargs=kwargs)
                if url in seen_urls:
                    continue
                seen_urls.add(url)
                response = client.get(url)
                if response.status_code != 200:
                    continue
                body = (
                    b"".join(response.streaming_content)
                    if getattr(response, "streaming", False)
                    else response.content
                ).decode("utf-8", "replace")
                scanned += 1
                leaked = [value for value in forbidden if value in body]
                if leaked:
                    problems.append(f"{url} als {role.value}: {leaked[:5]} ({len(leaked)} Werte)")
    assert scanned > len(Role) * 5
    assert problems == [], "\n".join(problems)
