"""Person linkage: variants link, namesakes and twins stay apart, rejected links are respected."""

import datetime as dt
import json

import duckdb
import pyarrow as pa
import pytest

from missimo.engine.addresses import link_addresses
from missimo.engine.linkage import (
    _comparisons,
    _monotone,
    build_person_records,
    explain_pair,
    link_persons,
    link_records,
    model_settings,
    prior_rule_recall,
    write_links,
)
from tests.engine.sample_population import make_population

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


def _objekte_and_addresses(con, addresses):
    con.execute(
        "CREATE OR REPLACE TABLE objekte AS SELECT * FROM (VALUES "
        "('OBJ-1', 'Kleine Sonnenstraße', '9', NULL, '44623', 'Herne'), "
        "('OBJ-2', 'Kleiner Sonnenweg', '27', NULL, '44623', 'Herne'), "
        "('OBJ-3', 'Bahnhofstraße', '1', NULL, '44653', 'Herne'), "
        "('OBJ-4', 'Bahnhfostraße', '5', NULL, '44653', 'Herne')) "
        "t(Objekt_ID, Strasse, Hausnummer, Hausnummerzusatz, PLZ, Ort)"
    )
    values = ", ".join(f"('{s}', '{h}', NULL, '{p}', '{o}')" for s, h, p, o in addresses)
    con.execute(
        f"CREATE OR REPLACE TABLE jobcenter AS SELECT * FROM (VALUES {values}) "  # noqa: S608
        "t(Strasse, Hausnummer, Hausnummerzusatz, PLZ, Ort)"
    )
    link_addresses(con, "objekte", {"jobcenter": "jobcenter"})
    return dict(con.execute("SELECT addr_key, objekt_id FROM address_link").fetchall())


def test_a_house_number_that_does_not_exist_on_an_existing_street_is_not_a_street_typo():
    links = _objekte_and_addresses(
        duckdb.connect(),
        [("Kleine Sonnenstr.", "27", "44623", "Herne"), ("Bahnhofstraße", "5", "44653", "Herne")],
    )
    assert links["44623|kleinesonnenstr|27"] is None  # not "Kleiner Sonnenweg 27"
    assert links["44653|bahnhofstr|5"] is None  # Bahnhofstraße exists: 5 is unknown there


def test_a_street_typo_still_finds_its_building():
    links = _objekte_and_addresses(duckdb.connect(), [("Kleiner Sonneweg", "27", "44623", "Herne")])
    assert links["44623|kleinersonneweg|27"] == "OBJ-2"


def test_an_address_in_another_city_is_not_moved_onto_a_building_of_the_city():
    links = _objekte_and_addresses(
        duckdb.connect(),
        [("Bahnhofstraße", "1", "45879", "Gelsenkirchen"), ("Bahnhofstraße", "1", "44655", "Herne")],
    )
    assert links["45879|bahnhofstr|1"] is None
    assert links["44655|bahnhofstr|1"] == "OBJ-3"  # a wrong PLZ of the city itself


def _pairs(con, rows, excl):
    con.execute(
        "CREATE OR REPLACE TABLE rec AS SELECT * FROM (VALUES "  # noqa: S608
        + ", ".join(f"('{u}', {g!r})" for u, g in excl.items())
        + ") t(unique_id, excl)"
    )
    con.execute("ALTER TABLE rec ADD COLUMN entity VARCHAR; ALTER TABLE rec ADD COLUMN record_key VARCHAR")
    con.execute(
        "UPDATE rec SET entity = split_part(unique_id, ':', 1), record_key = split_part(unique_id, ':', 2)"
    )
    con.execute(
        "CREATE OR REPLACE TABLE pair AS SELECT l AS unique_id_l, r AS unique_id_r, w AS match_weight, "
        "pow(2, w) / (1 + pow(2, w)) AS match_probability, FALSE AS linked, FALSE AS rejected "
        "FROM (VALUES " + ", ".join(f"('{a}', '{b}', {w})" for a, b, w in rows) + ") t(l, r, w)"
    )
    write_links(con, "rec", "pair", "lnk", 0.5)
    return dict(con.execute("SELECT entity || ':' || record_key, person_id FROM lnk").fetchall())


def test_a_child_record_that_fits_two_namesakes_equally_is_linked_to_neither():
    con = duckdb.connect()
    excl = {"kg:1": ["kg:1"], "kg:2": ["kg:2"], "mr:a": ["mr"], "mr:b": ["mr"]}
    links = _pairs(
        con, [("kg:2", "mr:b", 30), ("kg:1", "kg:2", 6), ("kg:1", "mr:a", 6), ("kg:1", "mr:b", 6)], excl
    )
    assert links["kg:2"] == links["mr:b"]
    assert links["kg:1"] not in (links["mr:a"], links["mr:b"])


def test_a_clearly_better_candidate_wins_over_a_namesake():
    con = duckdb.connect()
    excl = {"kg:1": ["kg:1"], "mr:a": ["mr"], "mr:b": ["mr"]}
    links = _pairs(con, [("kg:1", "mr:a", 6), ("kg:1", "mr:b", 1)], excl)
    assert links["kg:1"] == links["mr:a"]


def test_same_named_twins_of_one_claim_each_find_a_melderegister_entry():
    con = duckdb.connect()
    excl = {"kg:1": ["kg:x"], "kg:2": ["kg:x"], "mr:a": ["mr"], "mr:b": ["mr"]}
    rows = [("kg:1", "mr:a", 40), ("kg:1", "mr:b", 40), ("kg:2", "mr:a", 40), ("kg:2", "mr:b", 40)]
    links = _pairs(con, rows, excl)
    assert {links["kg:1"], links["kg:2"]} == {links["mr:a"], links["mr:b"]}


def test_no_comparison_level_counts_more_against_a_match_than_complete_difference():
    model = {
        "comparisons": [
            {
                "comparison_levels": [
                    {"sql_condition": "a IS NULL", "is_null_level": True},
                    {"sql_condition": "a_l = a_r", "m_probability": 0.9, "u_probability": 0.01},
                    {"sql_condition": "same street", "m_probability": 1e-19, "u_probability": 0.001},
                    {"sql_condition": "ELSE", "m_probability": 0.1, "u_probability": 0.989},
                ]
            }
        ]
    }
    levels = _monotone(model)["comparisons"][0]["comparison_levels"]
    assert levels[1]["m_probability"] == 0.9
    assert levels[2]["m_probability"] / 0.001 == pytest.approx(0.1 / 0.989)


def test_the_prior_follows_the_share_of_true_pairs_the_strict_rule_finds_in_the_trained_model():
    model = model_settings()
    for comp in model["comparisons"]:
        for level in comp["comparison_levels"]:
            level["m_probability"] = {
                "alle Vornamen gleich (Reihenfolge egal)": 0.7,
                "gleich": 0.6 if comp["output_column_name"] == "familienname" else 0.9,
            }.get(level["label_for_charts"], 0.01)
    assert prior_rule_recall(model) == pytest.approx(0.7 * 0.6 * 0.9)


def test_the_prior_rule_recall_is_unknown_before_training_and_never_below_five_percent():
    assert prior_rule_recall(model_settings()) is None
    model = model_settings()
    for comp in model["comparisons"]:
        for level in comp["comparison_levels"]:
            level["m_probability"] = 0.01
    assert prior_rule_recall(model) == 0.05


def test_the_same_street_name_under_another_postcode_is_a_level_of_its_own_above_the_postcode():
    address = next(c for c in _comparisons() if c["output_column_name"] == "adresse")
    labels = [lv["label_for_charts"] for lv in address["comparison_levels"]]
    assert labels.index("gleiche Straße, andere PLZ") == labels.index("gleiche PLZ") - 1
    con = duckdb.connect()
    level = next(
        lv for lv in address["comparison_levels"] if lv["label_for_charts"] == "gleiche Straße, andere PLZ"
    )
    row = con.execute(
        f"SELECT {level['sql_condition']} FROM (SELECT 'hauptstr' AS street_name_l, 'hauptstr' AS street_name_r)"  # noqa: S608 (the model's own SQL)
    ).fetchone()
    assert row == (True,)


def _household(con):
    """A family that moved: the Kindergeld claim still has the old address, the Melderegister
    entry of the entitled person both; the child's entry only the new one."""
    records = {
        "melderegister:P": (["melderegister"], ["old", "new"]),
        "melderegister:C": (["melderegister"], ["new"]),
        "melderegister:Q": (["melderegister"], ["y"]),
        "melderegister:D": (["melderegister"], ["z"]),
        "kindergeld_berechtigter:1": (["kg:1"], ["old"]),
        "kindergeld_kind:1/1": (["kg:1"], ["old"]),
        "kindergeld_berechtigter:2": (["kg:2"], ["w"]),
        "kindergeld_kind:2/1": (["kg:2"], ["w"]),
    }
    con.register(
        "_rec",
        pa.table(
            {
                "unique_id": list(records),
                "entity": [u.split(":")[0] for u in records],
                "record_key": [u.split(":")[1] for u in records],
                "excl": [e for e, _ in records.values()],
                "addr_keys": [a for _, a in records.values()],
            }
        ),
    )
    con.execute("CREATE OR REPLACE TABLE rec AS SELECT * FROM _rec")
    # (left, right, match weight, address weight, address level): the level of a former address
    levels = next(c for c in _comparisons() if c["output_column_name"] == "adresse")["comparison_levels"]
    labels = [lv["label_for_charts"] for lv in levels if not lv.get("is_null_level")]
    former = len(labels) - 1 - labels.index("eine frühere Anschrift gleich")
    rows = [
        ("kindergeld_berechtigter:1", "melderegister:P", 20.0, 12.0, former),
        ("kindergeld_berechtigter:2", "melderegister:Q", 20.0, 12.0, former),
        ("kindergeld_kind:1/1", "melderegister:C", -1.0, -5.0, 0),
        ("kindergeld_kind:2/1", "melderegister:D", -1.0, -5.0, 0),
    ]
    con.execute(
        "CREATE OR REPLACE TABLE pair AS SELECT l AS unique_id_l, r AS unique_id_r, w AS match_weight, "  # noqa: S608
        "pow(2, w) / (1 + pow(2, w)) AS match_probability, wa AS w_adresse, CAST(g AS INTEGER) AS gamma_adresse, "
        "FALSE AS linked, FALSE AS rejected FROM (VALUES "
        + ", ".join(f"('{a}', '{b}', {w}, {wa}, {g})" for a, b, w, wa, g in rows)
        + ") t(l, r, w, wa, g)"
    )


def _person_ids(con):
    return dict(con.execute("SELECT entity || ':' || record_key, person_id FROM lnk").fetchall())


def test_a_kindergeld_child_is_found_at_the_registered_address_of_its_entitled_person():
    con = duckdb.connect()
    _household(con)
    write_links(con, "rec", "pair", "lnk", 0.5)
    links = _person_ids(con)
    assert links["kindergeld_kind:1/1"] == links["melderegister:C"]  # C lives where P is registered
    assert links["kindergeld_kind:2/1"] != links["melderegister:D"]  # D does not
    w, via = con.execute(
        "SELECT match_weight, adresse_ueber FROM pair WHERE unique_id_l = 'kindergeld_kind:1/1'"
    ).fetchall()[0]
    assert (w, via) == (pytest.approx(-1.0 + 5.0 + 12.0), "melderegister:P")


def test_the_household_address_is_not_used_when_the_entitled_persons_link_is_rejected():
    con = duckdb.connect()
    _household(con)
    write_links(con, "rec", "pair", "lnk", 0.5)
    write_links(con, "rec", "pair", "lnk", 0.5, [("kindergeld_berechtigter", "1", "melderegister", "P")])
    links = _person_ids(con)
    assert links["kindergeld_kind:1/1"] != links["melderegister:C"]
    w, via = con.execute(
        "SELECT match_weight, adresse_ueber FROM pair WHERE unique_id_l = 'kindergeld_kind:1/1'"
    ).fetchall()[0]
    assert (w, via) == (-1.0, None)
