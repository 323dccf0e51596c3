"""Person linkage: variants link, namesakes and twins stay apart, rejected links are respected."""

import datetime as dt
import json

import duckdb
import pyarrow as pa
import pytest

from missimo.engine.addresses import link_addresses
from missimo.engine.linkage import build_person_records, explain_pair, link_persons, link_records
from missimo.engine.linkage_sample import make_population

ADDR = {
    "Strasse": "Bahnhofstraße",
    "Hausnummer": "12",
    "Hausnummerzusatz": "a",
    "PLZ": "44623",
    "Ort": "Herne",
}


def _melde(om, fam, vor, dob, addr=ADDR, geb=None, sex="m", nat="BG"):
    return {
        "Ordnungsmerkmal": om,
        "Familienname": fam,
        "Vornamen": vor,
        "Geburtsname": geb,
        "Geburtsdatum": dob,
        "Geschlecht": sex,
        "Staatsangehoerigkeit": nat,
        "Wohnungsstatus": "H",
        **addr,
        "Einzugsdatum": dt.date(2020, 1, 1),
        "Auszugsdatum": None,
        "Abmeldegrund": None,
        "_row": 99999,
    }


HAND_MELDE = [
    _melde("X-GEORGI", "Иванов", "Георги", "1984-03-07"),
    _melde("X-IONUT", "Popescu", "Ionuț Andrei", "1990-05-00", sex="m", nat="RO"),
    # namesakes: same name, different birth dates and addresses
    _melde("X-MEHMET1", "Yılmaz", "Mehmet", "1975-02-11", nat="TR"),
    _melde("X-MEHMET2", "Yılmaz", "Mehmet", "1988-09-23", {**ADDR, "Hausnummer": "40"}, nat="TR"),
    # twins: same surname, birth date and address
    _melde("X-TWIN-ELENA", "Dimitrova", "Elena", "2015-06-02", sex="w"),
    _melde("X-TWIN-MARIA", "Dimitrova", "Maria", "2015-06-02", sex="w"),
    # a woman whose married name is a double name
    _melde("X-SABINE", "Müller-Schmidt", "Sabine", "1979-12-30", geb="Schmidt", sex="w", nat="DE"),
]
HAND_JOBCENTER = [
    {
        "BG_Nummer": "99999BG0000001",
        "Person_Nr": 1,
        "Familienname": "Iwanow",
        "Vornamen": "Georgi",
        "Geburtsdatum": "1984-07-03",
        "Strasse": "BAHNHOFSTRASSE",
        "Hausnummer": "12 a",
        "Hausnummerzusatz": None,
        "PLZ": "44623",
        "Ort": "Herne",
        "_row": 2,
    },
    {
        "BG_Nummer": "99999BG0000002",
        "Person_Nr": 1,
        "Familienname": "Yilmaz",
        "Vornamen": "Mehmet",
        "Geburtsdatum": "1988-09-23",
        "Strasse": "Bahnhofstr.",
        "Hausnummer": "40",
        "Hausnummerzusatz": None,
        "PLZ": "44623",
        "Ort": "Herne",
        "_row": 3,
    },
    {
        "BG_Nummer": "99999BG0000003",
        "Person_Nr": 1,
        "Familienname": "Schmidt",
        "Vornamen": "Sabine",
        "Geburtsdatum": "1979-12-30",
        "Strasse": "Bahnhof-Straße",
        "Hausnummer": "12",
        "Hausnummerzusatz": "A",
        "PLZ": "44623",
        "Ort": "Herne",
        "_row": 4,
    },
]
HAND_KG = [
    {
        "Kindergeldnummer": "999FK000001",
        "Kind_Nr": k,
        "Berechtigter_Familienname": "Ivanov",
        "Berechtigter_Vornamen": "Gueorgui",
        "Berechtigter_Geburtsdatum": "1984-03-07",
        **ADDR,
        "Kind_Familienname": "Dimitrova",
        "Kind_Vornamen": vor,
        "Kind_Geburtsdatum": "2015-06-02",
        "Kind_Wohnsitz": "Inland",
        "_row": 100 + k,
    }
    for k, vor in [(1, "Elena"), (2, "Maria")]
]
HAND_SCHULE = [
    {
        "Schulnummer": "199999",
        "Schueler_ID": "S-IONUT",
        "Nachname": "POPESCU",
        "Vorname": "Andrei Ionut",
        "Geburtsdatum": "1990-05-17",
        "Geschlecht": "m",
        **ADDR,
        "_row": 2,
    },
]


def _append(tab: pa.Table, rows: list[dict]) -> pa.Table:
    if tab.num_rows == 0 or tab.schema.names == ["_row"]:
        return pa.Table.from_pylist(rows)
    extra = pa.Table.from_pylist(rows).select(tab.schema.names).cast(tab.schema)
    return pa.concat_tables([tab, extra])


@pytest.fixture(scope="module")
def linked(tmp_path_factory):
    pop = make_population(n_households=700, seed=11)
    pop.tables["melderegister"] = _append(pop.tables["melderegister"], HAND_MELDE)
    pop.tables["jobcenter"] = _append(pop.tables["jobcenter"], HAND_JOBCENTER)
    pop.tables["kindergeld"] = _append(pop.tables["kindergeld"], HAND_KG)
    pop.tables["schule"] = _append(pop.tables["schule"], HAND_SCHULE)
    con = duckdb.connect()
    snaps = pop.load(con)
    model_path = tmp_path_factory.mktemp("model") / "person_model.json"
    result = link_persons(con, snaps, model_path=model_path)
    return con, snaps, result, model_path


def _person(con, uid):
    entity, key = uid.split(":", 1)
    row = con.execute("SELECT person_id FROM person_link WHERE entity = ? AND record_key = ?", [entity, key])
    return row.fetchall()[0][0]


def test_every_person_record_of_every_source_gets_a_person_id(linked):
    con, _, result, _ = linked
    n_rec = con.execute("SELECT count(*) FROM person_record").fetchall()[0][0]
    assert con.execute("SELECT count(*), count(person_id) FROM person_link").fetchall()[0] == (n_rec, n_rec)
    entities = {r[0] for r in con.execute("SELECT DISTINCT entity FROM person_link").fetchall()}
    assert entities == {
        "melderegister",
        "kindergeld_berechtigter",
        "kindergeld_kind",
        "schule",
        "jobcenter",
        "seu",
    }
    assert result.n_persons < result.n_records


def test_cyrillic_german_and_french_transliterations_of_georgi_ivanov_are_one_person(linked):
    con = linked[0]
    ids = {
        _person(con, "melderegister:X-GEORGI"),
        _person(con, "jobcenter:99999BG0000001/1"),  # Iwanow, day and month swapped
        _person(con, "kindergeld_berechtigter:999FK000001"),  # Gueorgui Ivanov
    }
    assert len(ids) == 1


def test_first_names_in_other_order_and_a_00_birth_day_still_link(linked):
    con = linked[0]
    assert _person(con, "melderegister:X-IONUT") == _person(con, "schule:199999/S-IONUT")


def test_namesakes_with_different_birth_dates_are_not_linked(linked):
    con = linked[0]
    assert _person(con, "melderegister:X-MEHMET1") != _person(con, "melderegister:X-MEHMET2")
    assert _person(con, "jobcenter:99999BG0000002/1") == _person(con, "melderegister:X-MEHMET2")
    assert _person(con, "jobcenter:99999BG0000002/1") != _person(con, "melderegister:X-MEHMET1")


def test_twins_stay_two_persons_and_each_keeps_their_own_kindergeld_record(linked):
    con = linked[0]
    elena, maria = _person(con, "melderegister:X-TWIN-ELENA"), _person(con, "melderegister:X-TWIN-MARIA")
    assert elena != maria
    assert _person(con, "kindergeld_kind:999FK000001/1") == elena
    assert _person(con, "kindergeld_kind:999FK000001/2") == maria


def test_birth_name_links_a_double_name_to_the_maiden_name(linked):
    con = linked[0]
    assert _person(con, "melderegister:X-SABINE") == _person(con, "jobcenter:99999BG0000003/1")


def test_the_trained_model_is_saved_as_splink_settings_json(linked):
    model = json.loads(linked[3].read_text(encoding="utf-8"))
    assert {c["output_column_name"] for c in model["comparisons"]} == {
        "vorname",
        "familienname",
        "geburtsdatum",
        "adresse",
        "geschlecht",
    }
    assert "Staatsangehoerigkeit" not in json.dumps(model)


def test_nationality_is_never_part_of_the_records_compared(linked):
    con = linked[0]
    cols = [c[0].lower() for c in con.execute("DESCRIBE person_record").fetchall()]
    assert not any("staat" in c or "nation" in c for c in cols)


def test_warum_verknuepft_explains_a_link_field_by_field(linked):
    con, _, _, model_path = linked
    exp = explain_pair(con, "melderegister:X-GEORGI", "jobcenter:99999BG0000001/1", model_path)
    assert exp is not None and exp.linked
    by_field = {f["comparison"]: f for f in exp.fields}
    assert by_field["geburtsdatum"]["level"] == "Tag und Monat vertauscht"
    assert by_field["familienname"]["agrees"] and by_field["familienname"]["weight"] > 0
    assert exp.left["familienname"] in ("Иванов", "Iwanow")
    total = exp.prior_weight + sum(f["weight"] for f in exp.fields)
    assert total == pytest.approx(exp.match_weight, abs=1e-6)


def test_rejected_links_stay_apart_even_through_a_third_record(linked):
    con, _, _, model_path = linked
    rejected = [("melderegister", "X-GEORGI", "jobcenter", "99999BG0000001/1")]
    link_records(
        con,
        trained_model=model_path,
        rejected=rejected,
        link_table="person_link_rej",
        pair_table="person_pair_rej",
    )
    rows = dict(
        con.execute(
            "SELECT entity || ':' || record_key, person_id FROM person_link_rej WHERE record_key IN "
            "('X-GEORGI', '99999BG0000001/1', '999FK000001')"
        ).fetchall()
    )
    assert rows["melderegister:X-GEORGI"] != rows["jobcenter:99999BG0000001/1"]
    exp = explain_pair(
        con, "melderegister:X-GEORGI", "jobcenter:99999BG0000001/1", model_path, pair_table="person_pair_rej"
    )
    assert exp is not None and exp.rejected and not exp.linked


def test_addresses_of_the_sources_land_on_their_buildings(linked):
    con, snaps, _, _ = linked
    con.execute(
        "CREATE TABLE objekte AS SELECT * FROM (VALUES "
        "('OBJ-1', 'Bahnhofstr.', '12', 'a', '44623', 'Herne'), "
        "('OBJ-2', 'Bahnhofstraße', '40', NULL, '44623', 'Herne')) "
        "t(Objekt_ID, Strasse, Hausnummer, Hausnummerzusatz, PLZ, Ort)"
    )
    counts = link_addresses(con, "objekte", snaps)
    assert counts["matched"] >= 2
    row = con.execute(
        "SELECT objekt_id, score, label FROM address_link WHERE addr_key = '44623|bahnhofstr|12a'"
    )
    assert row.fetchall()[0] == ("OBJ-1", 1.0, "Bahnhofstraße 12a, 44623 Herne")
    unmatched = con.execute("SELECT count(*) FROM address_link WHERE objekt_id IS NULL").fetchall()[0][0]
    cands = con.execute("SELECT count(DISTINCT addr_key) FROM address_candidate").fetchall()[0][0]
    assert unmatched > 0 and cands == unmatched


def test_person_records_can_be_built_from_parquet_snapshots(tmp_path):
    pop = make_population(n_households=20, seed=3)
    con = duckdb.connect()
    snaps = pop.load(con)
    paths = {}
    for name, table in snaps.items():
        if con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]:  # noqa: S608
            paths[name] = str(tmp_path / f"{name}.parquet")
            con.execute(f"COPY {table} TO '{paths[name]}' (FORMAT parquet)")
    build_person_records(con, paths, table="from_parquet")
    assert con.execute("SELECT count(*) FROM from_parquet").fetchall()[0][0] == pop.truth.num_rows
