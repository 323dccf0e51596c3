"""The access matrix (missimo.accounts.access) against the running application: every URL pattern
of the project, requested as every role and anonymously, gives the status the matrix says, and no
page shows data outside the role's need-to-know."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from missimo.accounts import access, policy
from missimo.accounts.models import AgencyKind
from missimo.accounts.policy import Capability, PropertyVisibility, Role

pytestmark = pytest.mark.django_db(databases="__all__")

# The agency of each role's test user (by the role's agency kind; a new kind gets its German label).
AGENCY_NAMES = {
    AgencyKind.ORDNUNGSAMT: "Ordnungsamt",
    AgencyKind.BAUAUFSICHT: "Bauaufsicht",
    AgencyKind.SCHULE: "Gesamtschule Nord",
    AgencyKind.IT: "IT der Stadt",
}
AGENCY_OF_ROLE = {
    role: (AGENCY_NAMES.get(kind, str(AgencyKind(kind).label)), kind)
    for role in Role
    for kind in [policy.agency_kind_of(role)]
}
SCHULNUMMER = "123456"

# One hint per owning agency and hints routed to acting agencies (Schulabsentismus to the Jugendamt,
# Kindergeld without school to the Schulamt, employer clusters to the Zoll, overcrowding to the
# Wohnungsaufsicht, a pupil of the test school to its Schulleitung), each at its own property, each
# with a unique reference, a unique person name and a unique Kindergeld number (never shown to an
# acting agency).
SAMPLE_HINTS = (
    ("FK", "KG_OHNE_SCHULE", "familienkasse"),
    ("JC", "SGB2_NACH_ABMELDUNG", "jobcenter"),
    ("SA", "SCHULE_OHNE_MELDUNG", "schulamt"),
    ("ABS", "SCHULABSENTISMUS", "schulamt"),
    ("GA", "SEU_NICHT_ERSCHIENEN", "gesundheitsamt"),
    ("BA", "UEBERBELEGUNG", "bauaufsicht"),
    ("ZO", "ARBEITGEBER_HAEUFUNG", "jobcenter"),
    ("SL", "SCHULABSENTISMUS", "schulamt"),
)
# The pupil of hint "SL" attends the test school (its primary record names the Schulnummer).
SCHOOL_REFS = {"SL": f"schule:{SCHULNUMMER}/S-4711"}
OWNER = "Egon Eigentuemerzyx"
PUPIL = "Paula Schuelerinzyx"


@dataclass
class SampleHint:
    code: str
    rule: str
    agency_kind: str
    hint: object = None
    prop: object = None

    @property
    def ref(self) -> str:
        return SCHOOL_REFS.get(self.code, f"REF-{self.code}-4711")

    @property
    def secret(self) -> str:
        """A fact only the owning agency sees (a Kindergeld number)."""
        return f"KGNR{self.code}0815"

    @property
    def name(self) -> str:
        return f"Kind{self.code.title()}zyx"

    @property
    def objekt_id(self) -> str:
        return f"OBJ-{self.code}-0815"


@dataclass
class World:
    users: dict = field(default_factory=dict)
    run: object = None
    hints: list = field(default_factory=list)
    delivery: object = None
    certificate: object = None
    campaign: object = None
    case: object = None
    inspection: object = None
    visit: object = None
    photo: object = None
    # a second object of every scope that belongs to another agency (security tests)
    other: dict = field(default_factory=dict)

    def hint(self, code: str) -> SampleHint:
        return next(h for h in self.hints if h.code == code)


def build_world(make_user, *, xss: str = "") -> World:
    """Users of every role with their agencies, a finished run with the sample hints, their
    properties, a Kindergeld delivery with files, and a Schulbescheinigung."""
    from missimo.accounts.models import Agency
    from missimo.certificates import services as certificates
    from missimo.core.datadir import data_path
    from missimo.imports.models import Import, ImportStatus
    from missimo.properties.models import Property
    from missimo.runs.models import Hint, Run, RunStatus

    world = World()
    for role, (agency_name, kind) in AGENCY_OF_ROLE.items():
        if kind == AgencyKind.SCHULE:
            Agency.objects.get_or_create(
                name=agency_name, defaults={"kind": kind, "schulnummer": SCHULNUMMER}
            )
        user = make_user(f"user_{role.value}", role, agency_name, kind)
        if policy.role_can(role, Capability.ADMINISTER_ACCOUNTS):
            user.is_staff = user.is_superuser = True
            user.save(update_fields=["is_staff", "is_superuser"])
        world.users[role] = user
    now = timezone.now()
    world.run = Run.objects.create(
        stichtag=dt.date(2026, 9, 15),
        status=RunStatus.FINISHED,
        started_at=now,
        finished_at=now,
        channel="cli",
    )
    for n, (code, rule, agency_kind) in enumerate(SAMPLE_HINTS, start=1):
        sample = SampleHint(code, rule, agency_kind)
        sample.prop = Property.objects.create(
            objekt_id=sample.objekt_id,
            strasse=f"Teststraße {code}",
            hausnummer=str(n),
            plz="44100",
            ort="Musterstadt",
            eigentuemer=OWNER,
            lat=51.5 + n / 1000,
            lon=7.4,
            sort_address=f"teststrasse {code}",
        )
        sample.hint = Hint.objects.create(
            run=world.run,
            hint_id=f"H-{code}",
            rule=rule,
            rule_version=1,
            agency_kind=agency_kind,
            primary_ref=sample.ref,
            evidence=[sample.ref],
            objekt_id=sample.objekt_id,
            address=f"Teststraße {code} {n}, 44100 Musterstadt",
            amount_monthly=Decimal("255.00"),
            person_ids=[],
            facts={
                "kind_name": sample.name + xss,
                "name": sample.name + xss,
                "kind_geburtsdatum": "2015-03-01",
                "kindergeldnummer": sample.secret,
            },
            explanation=f"{sample.name}{xss} ist beim Kindergeld gemeldet, aber nicht an einer Schule.",
        )
        world.hints.append(sample)

    fk_agency = world.users[Role.FAMILIENKASSE].agency
    relative = "imports/access-test/kindergeld.csv"
    stored = data_path(relative)
    stored.parent.mkdir(parents=True, exist_ok=True)
    stored.write_text("Kindergeldnummer;Kind_Name\n123FK456789;Kind Musterfrau\n", encoding="utf-8")
    rejected = data_path("imports/access-test/abgelehnt.csv")
    rejected.write_text("Zeile;Grund\n2;Datum fehlt\n", encoding="utf-8")
    world.delivery = Import.objects.create(
        source="kindergeld",
        status=ImportStatus.TAKEN,
        agency=fk_agency,
        uploaded_by=world.users[Role.FAMILIENKASSE],
        original_filename="kindergeld.csv",
        sha256="0" * 64,
        stored_file=relative,
        rejected_file="imports/access-test/abgelehnt.csv",
        finished_at=now,
    )
    certificates.create_key(SCHULNUMMER, school_name="Gesamtschule Nord")
    first, _, last = PUPIL.partition(" ")
    world.certificate = certificates.issue_manual(
        world.users[Role.SCHULE],
        nachname=last,
        vorname=first,
        geburtsdatum=dt.date(2012, 5, 4),
        aufnahmedatum=dt.date(2024, 8, 1),
        klasse="7b",
    )
    _case_work(world, fk_agency, now)
    return world


# Objects of the case-work apps that involve the Familienkasse only (besides the coordination office).
AGENCY_SCOPES = ("campaign", "case", "inspection", "visit", "photo")


def _case_work(world: World, agency, now) -> None:
    from missimo.casework.models import Campaign, Case, CaseStatus
    from missimo.core.datadir import data_path
    from missimo.inspections.models import Inspection, Photo, Visit

    fk = world.hint("FK")
    world.campaign = Campaign.objects.create(
        name="Aktion Nord", start=dt.date(2026, 10, 1), end=dt.date(2026, 12, 31), run=world.run
    )
    world.campaign.agencies.add(agency)
    world.case = Case.objects.create(
        aktenzeichen="AZ-ACCESS-1",
        property=fk.prop,
        campaign=world.campaign,
        title="Prüffall Kindergeld",
        status=CaseStatus.IN_PRUEFUNG,
        lead_agency=agency,
    )
    world.case.hints.add(fk.hint)
    world.inspection = Inspection.objects.create(
        campaign=world.campaign, scheduled_at=now + dt.timedelta(days=7), meeting_point="Rathaus"
    )
    world.inspection.agencies.add(agency)
    world.visit = Visit.objects.create(inspection=world.inspection, case=world.case)
    relative = "inspections/access-test/foto.jpg"
    path = data_path(relative)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\xff\xd8\xff\xe0 not really a photo")
    world.photo = Photo.objects.create(
        visit=world.visit, stored_file=relative, content_type="image/jpeg", size_bytes=24, sha256="0" * 64
    )


# --- the URLconf ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str  # namespaced URL name
    pattern: URLPattern
    params: tuple[str, ...]
    converters: dict


def all_routes() -> list[Route]:
    """Every URL pattern of the project's URLconf with its namespaced name and parameters."""
    found: list[Route] = []

    def walk(patterns, namespace: str, converters: dict, params: tuple) -> None:
        for entry in patterns:
            own = dict(getattr(entry.pattern, "converters", {}) or {})
            regex_params = tuple(entry.pattern.regex.groupindex)
            names = params + tuple(p for p in regex_params if p not in params)
            if isinstance(entry, URLResolver):
                inner = (
                    f"{namespace}:{entry.namespace}"
                    if namespace and entry.namespace
                    else (entry.namespace or namespace)
                )
                walk(entry.url_patterns, inner, {**converters, **own}, names)
            else:
                # an unnamed pattern inside a namespace (the administration's redirects) is "ns:"
                name = f"{namespace}:{entry.name or ''}" if namespace else (entry.name or "")
                found.append(Route(name, entry, names, {**converters, **own}))

    walk(get_resolver().url_patterns, "", {}, ())
    return found


def _admin_object_id(route: Route) -> str:
    """The id of an existing object of the model an administration URL is about ("1" if none)."""
    from django.contrib import admin

    for model in admin.site._registry:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}_"
        if route.name.startswith(prefix):
            pk = model._default_manager.order_by("pk").values_list("pk", flat=True).first()
            return str(pk) if pk is not None else "1"
    return "1"


def _admin_kwargs(route: Route) -> dict:
    kwargs = {}
    for param in route.params:
        if param == "app_label":
            match = re.search(r"\(\?P<app_label>([^|)]+)", route.pattern.pattern.regex.pattern)
            kwargs[param] = match.group(1) if match else "accounts"
        else:
            kwargs[param] = _admin_object_id(route)
    return kwargs


def kwargs_for(route: Route, world: World) -> dict | None:
    """Real objects for the parameters of a route (None: the test does not know this route's
    objects; then only refusals are checked)."""
    if route.name.startswith("admin:"):
        return _admin_kwargs(route)
    page = access.page_for(route.name)
    scope = page.scope if page else ""
    values = {
        "hint": {"pk": world.hint("FK").hint.pk},
        "whole_hint": {"pk": world.hint("FK").hint.pk},
        "property": {"pk": world.hint("FK").prop.pk},
        "delivery": {"pk": world.delivery.pk},
        "rejected": {"pk": world.delivery.pk},
        "certificate": {"certificate_id": world.certificate.certificate_id},
        "campaign": {"pk": world.campaign.pk},
        "case": {"pk": world.case.pk, "case_pk": world.case.pk},
        "inspection": {"pk": world.inspection.pk},
        "visit": {"pk": world.visit.pk},
        "photo": {"pk": world.photo.pk},
    }
    if scope in values:
        kwargs = {key: value for key, value in values[scope].items() if key in route.params}
        return kwargs if set(kwargs) == set(route.params) else None
    if route.name == "imports:new":
        return {"source": "kindergeld"}
    if route.params == ("fmt",):
        return {"fmt": "csv"}
    if route.name in ("runs:detail", "runs:review"):
        return {"pk": world.run.pk}
    if route.params:
        return None
    return {}


def in_scope(page: access.Page, role: Role, world: World) -> bool:
    """Whether the sample object of a scoped page is within the role's need-to-know (by the policy)."""
    fk = world.hint("FK")
    spec = policy.ROLES[role]
    if page.scope == "hint":
        return sees(role, fk)
    if page.scope == "whole_hint":
        return sees(role, fk) and sees_whole(role, fk)
    if page.scope == "property":
        return spec.properties is PropertyVisibility.ALL or (
            spec.properties is PropertyVisibility.WITH_OWN_HINTS and sees(role, fk)
        )
    if page.scope in ("source", "delivery"):
        return "kindergeld" in spec.delivered_sources
    if page.scope == "rejected":  # rejected rows: the delivering agency (the Familienkasse) and coordination
        return "kindergeld" in spec.delivered_sources and (
            policy.role_can(role, Capability.SEE_ALL_REJECTED_ROWS) or role == Role.FAMILIENKASSE
        )
    if page.scope in AGENCY_SCOPES:
        return role in (Role.KOORDINIERUNG, Role.FAMILIENKASSE)
    return True


def sees(role: Role, sample: SampleHint) -> bool:
    """Whether the role's test user sees the sample hint (by the policy)."""
    return policy.role_sees_hint(role, sample.agency_kind, sample.rule, sample.ref, SCHULNUMMER)


def sees_whole(role: Role, sample: SampleHint) -> bool:
    """Whether the role's test user sees the whole hint, not only the facts of an acting agency."""
    spec = policy.ROLES[role]
    if spec.hints is policy.HintVisibility.ALL or spec.agency_kind == sample.agency_kind:
        return True
    return policy.is_own_school_hint(sample.rule, sample.ref, SCHULNUMMER) and sees(role, sample)


def expected_status(page: access.Page, role: Role | None, world: World) -> int:
    status = page.expected(role)
    if status == access.POST_ONLY:
        return status  # a POST-only page refuses every GET before it looks at the object
    if role is not None and role in page.roles and page.scope and not in_scope(page, role, world):
        return access.NOT_FOUND
    return status


# --- what a role must never see ---------------------------------------------------------------


def forbidden_strings(role: Role | None, world: World) -> list[str]:
    """Data of hints, properties, pupils and owners outside the role's need-to-know."""
    out = []
    for sample in world.hints:
        if role is not None and sees(role, sample) and not sees_whole(role, sample):
            out += [sample.ref, sample.secret]  # an acting agency: only the facts it needs
        if role is None or not sees(role, sample):
            out += [sample.ref, sample.name, sample.secret]
            kind = policy.ROLES[role].properties if role else PropertyVisibility.NONE
            if kind is PropertyVisibility.WITH_OWN_HINTS or (
                kind is PropertyVisibility.NONE and role != Role.DATENSCHUTZ
            ):
                # (the data-protection officer reads object ids in audit entries: audit data)
                out.append(sample.objekt_id)
    if role is None or policy.Field.OWNER not in policy.ROLES[role].fields:
        out.append(OWNER)
    if role != Role.SCHULE:
        out.append(PUPIL.split()[1])
    return out


def _clients(world: World) -> dict:
    clients: dict = {None: Client()}
    for role, user in world.users.items():
        client = Client()
        client.force_login(user)
        clients[role] = client
    return clients


def test_every_url_name_of_the_project_is_in_the_access_matrix():
    missing = sorted({route.name for route in all_routes() if route.name and not access.page_for(route.name)})
    unnamed = [str(route.pattern.pattern) for route in all_routes() if not route.name.rstrip(":")]
    assert not missing, (
        "Diese URL-Namen fehlen in der Zugriffsmatrix – bitte in missimo/accounts/access.py (URL_ACCESS) "
        "mit den Rollen eintragen, die die Seite öffnen dürfen, und docs/datenschutz/zugriffsmatrix.md "
        f"neu erzeugen / These URL names are missing from the access matrix: add them to URL_ACCESS: {missing}"
    )
    assert not unnamed, f"Jede Seite braucht einen URL-Namen / every page needs a URL name: {unnamed}"


def test_the_matrix_names_no_page_that_does_not_exist():
    names = {route.name for route in all_routes()}
    stale = sorted(set(access.URL_ACCESS) - names)
    assert not stale, f"Die Zugriffsmatrix nennt Seiten, die es nicht gibt: {stale}"


def test_every_page_answers_every_role_as_the_matrix_says_and_shows_nothing_outside_its_scope(make_user):
    world = build_world(make_user)
    clients = _clients(world)
    problems: list[str] = []
    for route in all_routes():
        page = access.page_for(route.name)
        if page is None or route.name.endswith(":"):
            continue  # (unnamed patterns of the administration cannot be reversed)
        kwargs = kwargs_for(route, world)
        known = kwargs is not None
        url = reverse(route.name, kwargs=kwargs or _placeholder_kwargs(route))
        for role, client in clients.items():
            response = client.get(url)
            status = response.status_code
            want = expected_status(page, role, world)
            if status >= 500:
                problems.append(f"{route.name} als {role}: {status}")
                continue
            refused = role is None or role not in page.roles
            if ((known and page.exact) or refused) and status != want:
                problems.append(f"{route.name} ({url}) als {role}: {status}, laut Matrix {want}")
            to_admin_login = response.get("Location", "").startswith("/verwaltung/")
            if role is not None and refused and page is access.ADMIN_PAGE and not to_admin_login:
                problems.append(f"{route.name} als {role}: nicht zur Anmeldung der Verwaltung")
            if status == 200 and not getattr(response, "streaming", False):
                content = response.content.decode("utf-8", "replace")
                leaked = [text for text in forbidden_strings(role, world) if text in content]
                if leaked:
                    problems.append(f"{route.name} als {role} zeigt Daten außerhalb des Bedarfs: {leaked}")
            if page.forms and refused:
                posted = client.post(url, {})
                want_post = 302 if role is None or page is access.ADMIN_PAGE else page.others
                if page.public:
                    want_post = posted.status_code if posted.status_code < 500 else 200
                if posted.status_code != want_post:
                    problems.append(
                        f"POST {route.name} als {role}: {posted.status_code}, erwartet {want_post}"
                    )
    assert problems == [], "\n".join(problems)


def _placeholder_kwargs(route: Route) -> dict:
    out = {}
    for param in route.params:
        converter = route.converters.get(param)
        out[param] = 1 if converter is not None and converter.regex == "[0-9]+" else "x"
    return out


def test_the_administration_sees_no_hint_of_any_agency_in_the_administration_pages(make_user):
    world = build_world(make_user)
    client = Client()
    client.force_login(world.users[Role.ADMINISTRATION])
    for url in ("/verwaltung/", "/verwaltung/accounts/user/", "/verwaltung/accounts/agency/"):
        response = client.get(url)
        assert response.status_code == 200
        for sample in world.hints:
            assert sample.ref not in response.text and sample.name not in response.text


def test_the_familienkasse_sees_only_familienkasse_hints(make_user):
    world = build_world(make_user)
    client = Client()
    client.force_login(world.users[Role.FAMILIENKASSE])
    text = client.get(reverse("runs:hints")).text
    assert world.hint("FK").ref in text
    for code in ("JC", "SA", "ABS", "GA", "BA", "ZO", "SL"):
        assert world.hint(code).ref not in text


def test_the_jugendamt_sees_school_absence_but_not_the_other_school_hints(make_user):
    world = build_world(make_user)
    client = Client()
    client.force_login(world.users[Role.JUGENDAMT])
    text = client.get(reverse("runs:hints")).text
    assert world.hint("ABS").name in text
    assert world.hint("ABS").ref not in text  # the Schulamt's record number stays with the Schulamt
    assert world.hint("SA").name not in text


def test_the_data_protection_officer_opens_only_audit_fairness_and_aggregate_report_pages():
    allowed = sorted(name for name, page in access.URL_ACCESS.items() if Role.DATENSCHUTZ in page.roles)
    everybody = {name for name, page in access.URL_ACCESS.items() if page.roles == access.ALL_ROLES}
    assert set(allowed) - everybody == {
        "privacy:fairness",
        "privacy:art15",
        "audit:log",
        "audit:export",
        "audit:verify",
        "reports:report",  # aggregate figures only (committee and annual report)
        "reports:report_export",
    }


def test_the_generated_matrix_is_the_one_in_the_documentation():
    doc = (Path(__file__).parents[2] / "docs" / "datenschutz" / "zugriffsmatrix.md").read_text(
        encoding="utf-8"
    )
    assert access.url_table_markdown() in doc, (
        "docs/datenschutz/zugriffsmatrix.md ist veraltet: Tabelle mit "
        "`missimo.accounts.access.write_documentation()` neu erzeugen"
    )
    assert access.role_table_markdown() in doc
    assert access.capability_table_markdown() in doc
