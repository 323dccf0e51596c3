"""The Immobilienkataster: sync with the objekte snapshot, need-to-know, list, export, case work."""

import csv
import datetime as dt
import io

import openpyxl
import pytest

from missimo.accounts.models import AgencyKind
from missimo.accounts.policy import Role
from missimo.audit.models import AuditAction, AuditEvent
from missimo.core import tables
from missimo.properties import services
from missimo.properties.models import Ampel, Property, PropertyEvent, ampel_for
from missimo.runs.models import Hint

pytestmark = pytest.mark.django_db(databases="__all__")
STICHTAG = dt.date(2026, 9, 15)


@pytest.fixture
def finished_run(imported_city, kim):
    from missimo.runs import services as runs

    run = runs.start_run(STICHTAG, user=kim, channel="cli")
    return runs.execute_run(run.pk)


@pytest.fixture
def bea(make_user):
    return make_user("bea", Role.BAUAUFSICHT, "Bauaufsicht", AgencyKind.BAUAUFSICHT)


@pytest.fixture
def paul(make_user):
    return make_user("paul", Role.POLIZEI, "Polizei", AgencyKind.POLIZEI)


@pytest.fixture
def alex(make_user):
    return make_user("alex", Role.ADMINISTRATION, "IT", AgencyKind.IT)


def _client(client, user):
    client.force_login(user)
    return client


def test_an_objekte_import_fills_the_register_with_coordinates_in_wgs84(imported_city):
    import duckdb

    from missimo.imports.services import current_snapshots

    snapshot = current_snapshots()["objekte"]
    rows = (
        duckdb.connect().execute("SELECT count(*) FROM read_parquet(?)", [str(snapshot.path)]).fetchone()[0]
    )
    assert Property.objects.count() == rows > 0
    prop = Property.objects.exclude(lat=None).first()
    # The synthetic city lies in the Ruhr area: UTM 32N easting ~370 km, WGS84 ~51.5 N, ~7.1 E.
    assert 50.0 < prop.lat < 53.0 and 5.5 < prop.lon < 9.5
    assert prop.address_key.startswith(prop.plz + "|")
    assert prop.in_snapshot and prop.snapshot_import_id == snapshot.import_id


def test_a_property_missing_from_a_new_delivery_is_kept_and_marked_but_its_case_work_stays(
    imported_city, kim, tmp_path, django_capture_on_commit_callbacks
):
    from missimo.imports import services as imports

    gone = Property.objects.order_by("objekt_id").first()
    gone.aktenzeichen = "63-12/2026"
    gone.save()
    lines = (imported_city / "objekte.csv").read_text(encoding="utf-8-sig").splitlines()
    kept = [line for line in lines if not line.startswith(gone.objekt_id + ";")]
    assert len(kept) == len(lines) - 1
    smaller = tmp_path / "objekte.csv"
    smaller.write_text("\n".join(kept) + "\n", encoding="utf-8")
    with open(smaller, "rb") as stream, django_capture_on_commit_callbacks(execute=True):
        imports.process_delivery(imports.store_delivery("objekte", stream, "objekte.csv", user=kim).pk)
    gone.refresh_from_db()
    assert not gone.in_snapshot and gone.aktenzeichen == "63-12/2026"
    assert Property.objects.filter(in_snapshot=True).count() == len(kept) - 1
    event = PropertyEvent.objects.get(property=gone)
    assert event.summary == "Datenstand Objekte geändert" and event.actor is None
    assert event.changes == [{"field": "im aktuellen Datenstand", "old": "ja", "new": "nein"}]


def test_an_owner_change_in_a_new_delivery_appears_in_the_history(
    imported_city, kim, tmp_path, django_capture_on_commit_callbacks
):
    from missimo.imports import services as imports

    text = (imported_city / "objekte.csv").read_text(encoding="utf-8-sig")
    prop = Property.objects.exclude(eigentuemer="").order_by("objekt_id").first()
    lines = [
        line.replace(prop.eigentuemer, "Neue Eigentümerin GmbH")
        if line.startswith(prop.objekt_id + ";")
        else line
        for line in text.splitlines()
    ]
    changed = tmp_path / "objekte.csv"
    changed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with open(changed, "rb") as stream, django_capture_on_commit_callbacks(execute=True):
        imports.process_delivery(imports.store_delivery("objekte", stream, "objekte.csv", user=kim).pk)
    event = PropertyEvent.objects.get(property=prop)
    assert {"field": "Eigentümer", "old": prop.eigentuemer, "new": "Neue Eigentümerin GmbH"} in event.changes
    assert PropertyEvent.objects.count() == 1


def test_the_end_of_a_run_brings_the_register_in_step(imported_city, kim, django_capture_on_commit_callbacks):
    from missimo.runs import services as runs

    total = Property.objects.count()
    Property.objects.all().delete()
    run = runs.start_run(STICHTAG, user=kim, channel="cli")
    assert Property.objects.count() == 0  # a run that has not finished changes nothing
    with django_capture_on_commit_callbacks(execute=True):
        assert runs.execute_run(run.pk).status == "finished"
    assert Property.objects.count() == total


def test_the_traffic_light_follows_problemdruck_against_handlungsmoeglichkeit():
    assert ampel_for("hoch", "hoch") == Ampel.ROT
    assert ampel_for("hoch", "mittel") == Ampel.ROT
    assert ampel_for("hoch", "niedrig") == Ampel.GELB
    assert ampel_for("mittel", "hoch") == Ampel.ROT
    assert ampel_for("mittel", "mittel") == Ampel.GELB
    assert ampel_for("mittel", "niedrig") == Ampel.GELB
    assert ampel_for("niedrig", "hoch") == Ampel.GRUEN
    assert ampel_for("niedrig", "niedrig") == Ampel.GRUEN
    assert ampel_for("niedrig", "niedrig", negative_entwicklung=True) == Ampel.GELB
    assert ampel_for("", "") == Ampel.OFFEN
    assert ampel_for("", "", negative_entwicklung=True) == Ampel.GELB


def test_coordination_bauaufsicht_and_police_see_every_property(finished_run, kim, bea, paul):
    total = Property.objects.count()
    for user in (kim, bea, paul):
        assert services.properties_for(user).count() == total


def test_an_agency_sees_only_the_properties_where_it_has_hints(finished_run, fabian, client):

    own = set(
        Hint.objects.filter(run=finished_run, agency_kind="familienkasse")
        .exclude(objekt_id="")
        .values_list("objekt_id", flat=True)
    )
    assert own
    seen = set(services.properties_for(fabian).values_list("objekt_id", flat=True))
    assert seen == own
    other = Property.objects.exclude(objekt_id__in=own).first()
    assert _client(client, fabian).get(f"/objekte/{other.pk}/").status_code == 404
    mine = Property.objects.get(objekt_id=sorted(own)[0])
    page = client.get(f"/objekte/{mine.pk}/")
    assert page.status_code == 200
    assert "Eigentümer" not in page.content.decode()
    assert "eigentuemer" not in dict(services.columns(fabian)) and "rang" not in dict(
        services.columns(fabian)
    )
    assert services.ListQuery.from_params({"sortierung": "rang"}, rank_allowed=False).sort == "adresse"


@pytest.mark.parametrize("who", ["dana", "alex"])
def test_data_protection_and_administration_see_no_property_pages(imported_city, who, request, client):
    user = request.getfixturevalue(who)
    prop = Property.objects.first()
    client.force_login(user)
    for url in ("/objekte/", f"/objekte/{prop.pk}/", "/objekte/export.csv", "/objekte/karte.json"):
        assert client.get(url).status_code == 404, url


def test_the_list_filters_by_ampel_category_hints_and_plz(finished_run, kim, client):
    red = Property.objects.order_by("objekt_id")[0]
    services.update_casework(
        kim, red, {"problemdruck": "hoch", "handlungsmoeglichkeit": "hoch", "kategorie_sozial": True}, 1
    )
    _client(client, kim)
    body = client.get("/objekte/?ampel=rot").content.decode()
    assert red.address in body and "Sie sehen 1 Objekte" in body
    assert "Sie sehen 1 Objekte" in client.get("/objekte/?kategorie=sozial").content.decode()
    with_hints = services.properties_for(kim).filter(hint_count__gt=0).count()
    assert with_hints > 0
    assert f"Sie sehen {with_hints} Objekte" in client.get("/objekte/?hinweise=ja").content.decode()
    plz = red.plz
    in_plz = Property.objects.filter(plz=plz).count()
    assert f"Sie sehen {in_plz} Objekte" in client.get(f"/objekte/?plz={plz}").content.decode()


def test_the_list_pages_fifty_properties_at_a_time_and_keeps_the_filters_in_the_pager(
    imported_city, kim, client
):
    _client(client, kim)
    total = Property.objects.count()
    first = client.get("/objekte/?hinweise=nein")
    assert len(first.context["rows"]) == 50 and first.context["page"].paginator.count == total
    assert "?hinweise=nein&amp;sortierung=adresse&amp;seite=2" in first.content.decode()
    last = client.get(f"/objekte/?hinweise=nein&seite={first.context['page'].paginator.num_pages}")
    assert len(last.context["rows"]) == total - 50 * (first.context["page"].paginator.num_pages - 1)


def test_the_list_pages_by_the_chosen_size_and_filters_by_the_data_state(imported_city, kim, client):
    _client(client, kim)
    gone = Property.objects.order_by("objekt_id")[0]
    Property.objects.filter(pk=gone.pk).update(in_snapshot=False)
    small = client.get("/objekte/?anzahl=25")
    assert len(small.context["rows"]) == 25
    assert "anzahl=25&amp;seite=2" in small.content.decode()
    assert client.get("/objekte/?anzahl=7").context["page"].paginator.per_page == 50
    dropped = client.get("/objekte/?bestand=entfallen")
    assert [prop.pk for prop, _ in dropped.context["rows"]] == [gone.pk]
    assert "export.csv?bestand=entfallen" in dropped.content.decode()
    rows = list(
        csv.reader(
            io.StringIO(client.get("/objekte/export.csv?bestand=entfallen").content.decode("utf-8-sig")),
            delimiter=";",
        )
    )
    assert [r[0] for r in rows[1:]] == [gone.objekt_id]
    current = client.get("/objekte/?bestand=aktuell").context["page"].paginator.count
    assert current == Property.objects.count() - 1


def test_a_street_is_shown_in_one_spelling_found_in_every_spelling_and_kept_as_delivered(
    imported_city, kim, client
):
    from missimo import engine

    variants = ["Untere Dorfstr.", "UNTERE DORFSTRASSE", "Untere  Dorfstrasse", "Untere Dorfstraße"]
    props = [
        Property.objects.create(
            objekt_id=f"OBJ-DORF-{n}",
            strasse=spelling,
            hausnummer=str(n + 1),
            plz="44623",
            ort="Musterstadt",
            address_key=f"44623|{engine.street_key(spelling)}|{n + 1}",
        )
        for n, spelling in enumerate(variants)
    ]
    assert {p.address.split(" 1")[0].split(" 2")[0].split(" 3")[0].split(" 4")[0] for p in props} == {
        "Untere Dorfstraße"
    }
    found = services.listed(kim, services.ListQuery(q="Dorfstraße"))
    assert {p.pk for p in props} <= {p.pk for p in found}
    _client(client, kim)
    page = client.get(f"/objekte/{props[1].pk}/").content.decode()
    assert '<h1 class="kern-heading-large">Untere Dorfstraße 2, 44623 Musterstadt</h1>' in page
    assert "Straße laut Datenlieferung" in page and "UNTERE DORFSTRASSE" in page


def test_search_finds_a_property_by_address_and_by_aktenzeichen(imported_city, kim):
    prop = Property.objects.order_by("objekt_id")[3]
    services.update_casework(kim, prop, {"aktenzeichen": "AZ-63-4711"}, 1)
    by_number = services.listed(kim, services.ListQuery(q=f"{prop.strasse} {prop.hausnummer}"))
    assert prop in by_number
    assert list(services.listed(kim, services.ListQuery(q="63-4711"))) == [prop]


def test_sorting_by_rank_puts_the_first_ranked_property_first(finished_run, kim):
    first = finished_run.ranking.order_by("rank").first()
    listed = list(services.listed(kim, services.ListQuery(sort="rang"))[:3])
    assert listed[0].objekt_id == first.objekt_id and listed[0].rank == 1
    by_hints = list(services.listed(kim, services.ListQuery(sort="hinweise"))[:5])
    assert [p.hint_count for p in by_hints] == sorted((p.hint_count for p in by_hints), reverse=True)
    services.update_casework(
        kim,
        Property.objects.order_by("-objekt_id")[0],
        {"problemdruck": "hoch", "handlungsmoeglichkeit": "hoch"},
        1,
    )
    assert services.listed(kim, services.ListQuery(sort="ampel"))[0].ampel == Ampel.ROT


def test_the_csv_export_holds_exactly_the_listed_rows_in_the_listed_order(finished_run, kim, client):
    query = "hinweise=ja&sortierung=rang"
    _client(client, kim)
    response = client.get(f"/objekte/export.csv?{query}")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    shown = list(services.listed(kim, services.ListQuery(hinweise="ja", sort="rang")))
    assert rows[0] == [label for _, label in services.columns(kim)]
    assert [r[0] for r in rows[1:]] == [p.objekt_id for p in shown]
    page = client.get(f"/objekte/?{query}").content.decode()
    positions = [page.index(p.address) for p in shown[:10]]
    assert positions == sorted(positions)
    assert (
        AuditEvent.objects.using("audit")
        .filter(action=AuditAction.EXPORT, object_type="property_list")
        .exists()
    )


def test_the_xlsx_export_equals_the_csv_export(finished_run, kim, client):
    _client(client, kim)
    csv_rows = list(
        csv.reader(
            io.StringIO(client.get("/objekte/export.csv?plz=").content.decode("utf-8-sig")), delimiter=";"
        )
    )
    book = openpyxl.load_workbook(io.BytesIO(client.get("/objekte/export.xlsx").content))
    xlsx_rows = [
        ["" if v is None else str(v) for v in row] for row in book.active.iter_rows(values_only=True)
    ]
    assert xlsx_rows == csv_rows


def test_cells_starting_like_a_formula_are_escaped_in_both_exports(imported_city, kim, client):
    prop = Property.objects.order_by("objekt_id")[0]
    services.update_casework(kim, prop, {"aktenzeichen": '=HYPERLINK("http://x")'}, 1)
    Property.objects.filter(pk=prop.pk).update(eigentuemer="@SUM(A1)")
    _client(client, kim)
    text = client.get("/objekte/export.csv?q=HYPERLINK").content.decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "'@SUM(A1)" in text
    book = openpyxl.load_workbook(io.BytesIO(client.get("/objekte/export.xlsx?q=HYPERLINK").content))
    values = [v for row in book.active.iter_rows(min_row=2, values_only=True) for v in row]
    assert '\'=HYPERLINK("http://x")' in values and "'@SUM(A1)" in values
    assert tables.escape_cell("-1") == "'-1" and tables.escape_cell(-1) == -1


def test_the_map_data_is_scoped_like_the_list(finished_run, fabian, kim, client):
    _client(client, fabian)
    markers = client.get("/objekte/karte.json").json()["markers"]
    assert {m["id"] for m in markers} == set(
        services.properties_for(fabian).exclude(lat=None).values_list("pk", flat=True)
    )
    client.force_login(kim)
    assert len(client.get("/objekte/karte.json?ampel=rot").json()["markers"]) == 0


def test_the_map_shows_at_most_its_limit_in_list_order_and_says_how_many_there_are(imported_city, kim):
    listed = services.listed(kim, services.ListQuery(sort="adresse"))
    markers, total = services.markers(listed, limit=5)
    assert [m["id"] for m in markers] == [p.pk for p in listed.exclude(lat=None)[:5]]
    assert total == listed.exclude(lat=None).count() > 5
    assert services.markers(listed, limit=10_000)[1] == total


def test_a_property_page_shows_residents_hints_with_why_linked_and_is_audited(finished_run, fabian, client):

    hint = Hint.objects.filter(run=finished_run, agency_kind="familienkasse").exclude(objekt_id="").first()
    prop = Property.objects.get(objekt_id=hint.objekt_id)
    _client(client, fabian)
    response = client.get(f"/objekte/{prop.pk}/")
    body = response.content.decode()
    assert hint.explanation in body
    assert f"/hinweise/{hint.pk}/verknuepfung/" in body or not hint.person_ids
    assert "Gemeldete Personen mit Hauptwohnsitz" in body
    assert response.context["residents"] is not None and response.context["residents"] >= 0
    other = Hint.objects.filter(run=finished_run, objekt_id=prop.objekt_id).exclude(
        agency_kind="familienkasse"
    )
    for foreign in other:
        assert foreign.explanation not in body
    event = AuditEvent.objects.using("audit").filter(object_type="property", object_id=prop.objekt_id).last()
    assert event.action == AuditAction.READ and event.purpose and hint.hint_id in event.details["hints"]


def test_the_register_counts_residents_as_the_overcrowding_rule_counts_them(finished_run):
    overcrowded = Hint.objects.filter(run=finished_run, rule="UEBERBELEGUNG")
    assert overcrowded.exists()
    for hint in overcrowded:
        prop = Property.objects.get(objekt_id=hint.objekt_id)
        assert services.residents_count(prop) == hint.facts["personen"]
    # Buildings without a hint are counted the same way; a building nobody lives in counts 0.
    assert sum(services.residents_count(p) for p in Property.objects.all()) == sum(
        finished_run.residents.values()
    )


def test_residents_are_unknown_before_the_first_run(imported_city):
    assert services.residents_count(Property.objects.first()) is None


def test_editing_case_work_is_for_coordination_and_bauaufsicht_only(finished_run, paul, bea, client):
    prop = Property.objects.first()
    _client(client, paul)
    assert client.get(f"/objekte/{prop.pk}/bearbeiten/").status_code == 404
    assert client.post(f"/objekte/{prop.pk}/massnahmen/", {}).status_code == 404
    client.force_login(bea)
    response = client.post(
        f"/objekte/{prop.pk}/bearbeiten/",
        {
            "kategorien": ["bau", "wohnung"],
            "problemdruck": "hoch",
            "handlungsmoeglichkeit": "mittel",
            "aktenzeichen": "63/1",
            "version": 1,
        },
    )
    assert response.status_code == 302
    prop.refresh_from_db()
    assert prop.ampel == Ampel.ROT and prop.kategorie_bau and prop.kategorie_wohnung and prop.version == 2


def test_a_stale_form_gets_a_german_conflict_message_and_overwrites_nothing(imported_city, kim, bea, client):
    prop = Property.objects.first()
    services.update_casework(bea, prop, {"ziel": "Sanierung durch Eigentümer"}, 1)
    _client(client, kim)
    response = client.post(f"/objekte/{prop.pk}/bearbeiten/", {"ziel": "Abriss", "version": 1})
    assert response.status_code == 409
    assert "Jemand anderes hat dieses Objekt geändert" in response.content.decode()
    prop.refresh_from_db()
    assert prop.ziel == "Sanierung durch Eigentümer" and prop.version == 2
    with pytest.raises(services.CaseworkConflict):
        services.update_casework(kim, prop, {"ziel": "Abriss"}, 1)


def test_every_change_leaves_a_history_row_and_an_audit_entry(imported_city, kim, client):
    prop = Property.objects.first()
    services.update_casework(kim, prop, {"beschwerden_anzahl": 3, "beschwerdelage": "Müll im Hof"}, 1)
    _client(client, kim)
    response = client.post(
        f"/objekte/{prop.pk}/massnahmen/",
        {"date": "01.10.2026", "agency": "Bauaufsicht", "kind": "begehung", "text": "Begehung mit Polizei"},
    )
    assert response.status_code == 302
    events = list(PropertyEvent.objects.filter(property=prop).order_by("id"))
    assert [e.summary for e in events] == ["Fallbearbeitung geändert", "Begehung/Kontrolle erfasst"]
    assert {"field": "Anzahl Beschwerden", "old": 0, "new": 3} in events[0].changes
    assert events[0].actor_name.startswith("Kim Koordinatorin")
    audit = AuditEvent.objects.using("audit")
    assert audit.filter(action=AuditAction.CHANGE, object_type="property", object_id=prop.objekt_id).exists()
    assert audit.filter(action=AuditAction.CREATE, object_type="property_measure").exists()
    page = client.get(f"/objekte/{prop.pk}/").content.decode()
    assert "Begehung mit Polizei" in page and "Müll im Hof" in page and "01.10.2026" in page
    with pytest.raises(PermissionError):
        events[0].save()


def test_the_plz_filter_offers_the_postcodes_of_the_visible_properties(client, kim):
    from missimo.properties.models import Property
    from missimo.properties.services import plz_choices

    for n, plz in enumerate(("44623", "44625", "44623")):
        Property.objects.create(
            objekt_id=f"OBJ-PLZ-{n}", strasse="Teststraße", hausnummer=str(n), plz=plz, ort="Herne"
        )
    assert plz_choices(kim) == ["44623", "44625"]
    client.force_login(kim)
    page = client.get("/objekte/").content.decode()
    assert '<option value="44625"' in page


# --- the map: a real background by default, addresses instead of UTM numbers -------------------


def test_the_default_background_is_the_federal_web_map_with_its_attribution():
    from missimo import config

    url = config.get("MISSIMO_MAP_TILE_URL", {})
    assert url.startswith("https://sgx.geodatenzentrum.de/wmts_basemapde/") and "{z}/{y}/{x}" in url
    assert "basemap.de / BKG" in config.get("MISSIMO_MAP_TILE_ATTRIBUTION", {})
    own = "https://karten.stadt.de/{z}/{x}/{y}.png"
    assert config.get("MISSIMO_MAP_TILE_URL", {"MISSIMO_MAP_TILE_URL": own}) == own
    assert config.get("MISSIMO_MAP_TILE_URL", {"MISSIMO_MAP_TILE_URL": "aus"}) == ""
    with pytest.raises(config.ConfigError, match="URL template"):
        config.get("MISSIMO_MAP_TILE_URL", {"MISSIMO_MAP_TILE_URL": "karten.stadt.de"})


def test_the_map_carries_the_tile_url_its_attribution_and_a_place_for_the_offline_message(
    imported_city, kim, client, settings
):
    from missimo import config

    settings.MAP_TILE_URL = config.BASEMAP_DE_TILES
    settings.MAP_TILE_ATTRIBUTION = config.BASEMAP_DE_ATTRIBUTION
    prop = Property.objects.exclude(lat=None).first()
    text = _client(client, kim).get(f"/objekte/{prop.pk}/").content.decode()
    assert 'data-tiles="https://sgx.geodatenzentrum.de/wmts_basemapde/' in text
    assert "© basemap.de / BKG" in text and 'data-tile-message="objekt-karte-offline"' in text


@pytest.mark.parametrize(
    ("url", "host", "attribution"),
    [
        (None, "https://sgx.geodatenzentrum.de", "© basemap.de / BKG"),
        ("https://karten.stadt.de/{z}/{x}/{y}.png", "https://karten.stadt.de", ""),
    ],
)
def test_the_content_security_policy_allows_exactly_the_tile_host(url, host, attribution):
    import os
    import subprocess
    import sys

    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SECURE_CSP['img-src']); print(repr(s.MAP_TILE_ATTRIBUTION))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("MISSIMO_MAP_TILE")}
    env["DJANGO_SETTINGS_MODULE"] = "missimo.settings"
    if url:
        env["MISSIMO_MAP_TILE_URL"] = url
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    csp, shown = out.stdout.splitlines()
    assert host in csp and "geodatenzentrum" not in csp.replace(host, "") if url else host in csp
    assert (attribution in shown) if attribution else shown == "''"


def test_a_property_page_shows_the_address_and_wgs84_never_utm_numbers(imported_city, kim, client):
    prop = Property.objects.exclude(lat=None).exclude(utm_ost=None).first()
    text = _client(client, kim).get(f"/objekte/{prop.pk}/").content.decode()
    assert f"<strong>Adresse:</strong> {prop.address}" in text
    assert f"{prop.lat:.5f}".replace(".", ",") + "° N" in text
    assert "UTM" not in text and f"{prop.utm_ost:.1f}" not in text
