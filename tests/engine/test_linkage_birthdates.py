# ruff: noqa: S608  (SQL built from the module's own expressions)
"""Birth dates decide for children: two child records that a typing error cannot explain are
never one person, however alike names and addresses are (issue #15, ADR 0002)."""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from missimo.engine import birthdates
from missimo.engine.linkage import explain_pair, link_persons, write_links
from tests.engine.sample_population import make_population

REF = dt.date(2026, 6, 1)


def d(s: str) -> birthdates.BirthDate:
    """``TT.MM.JJJJ`` with ``00`` for an unknown part."""
    day, month, year = (int(x) for x in s.split("."))
    return (year or None, month or None, day or None)


# --- the predicate ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("11.01.2022", "23.04.2026"),  # Emma Charlotte Klein / Emma Klein
        ("08.03.2018", "27.02.2021"),  # Lea Klein / Lena Frieda Klein
        ("25.06.2025", "02.12.2015"),  # Mia Jung / Mia Emma Jung
        ("04.01.2011", "26.01.2020"),  # Julijan Schekow / Yuliyan Jekov
        ("14.05.2016", "14.05.2021"),  # siblings born on the same day of the year, five years apart
        ("02.06.2015", "03.07.2015"),  # day and month both off: two errors
        ("00.06.2015", "01.06.2021"),  # unknown day, but six years apart
        ("01.01.2015", "17.11.2021"),  # a fictitious 01.01. still has its year
    ],
)
def test_dates_no_typing_error_explains_are_incompatible(a, b):
    assert not birthdates.compatible(d(a), d(b))
    assert birthdates.veto(d(a), d(b), REF)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("02.06.2015", "02.06.2015"),  # equal
        ("02.06.2015", "02.06.2016"),  # year off by one
        ("02.06.2015", "02.06.2019"),  # one digit of the year
        ("02.06.2019", "02.06.2020"),  # year off by one over a decade (two digits change)
        ("02.06.2015", "06.02.2015"),  # day and month swapped
        ("02.06.2015", "03.06.2015"),  # day off by one
        ("31.01.2015", "01.02.2015"),  # one day apart over a month boundary
        ("02.06.2015", "02.07.2015"),  # month off by one
        ("12.06.2015", "18.06.2015"),  # one digit of the day
        ("00.06.2015", "17.06.2015"),  # unknown day
        ("00.00.2015", "17.11.2015"),  # unknown day and month
        ("00.06.2015", "17.06.2016"),  # unknown day and the year off by one
        ("01.01.2015", "17.11.2015"),  # 01.01., the fictitious date written for an unknown one
    ],
)
def test_a_typing_error_keeps_dates_compatible(a, b):
    assert birthdates.compatible(d(a), d(b))
    assert not birthdates.veto(d(a), d(b), REF)


def test_the_rule_applies_when_a_child_is_involved_and_is_only_weighed_for_adults():
    assert birthdates.is_minor(d("02.06.2008"), REF)  # 18 on 02.06.2026, the day after REF
    assert not birthdates.is_minor(d("01.06.2008"), REF)  # 18 on REF
    assert not birthdates.is_minor(d("00.00.2008"), REF)  # unclear: the older possibility
    assert not birthdates.veto(d("04.01.1971"), d("26.01.1980"), REF)  # two adults: not vetoed here
    assert birthdates.veto(d("04.01.1990"), d("26.01.2020"), REF)  # an adult and a child


dates = st.tuples(
    st.integers(1995, 2026),
    st.one_of(st.none(), st.integers(1, 12)),
    st.one_of(st.none(), st.integers(1, 31)),
)


_CON = duckdb.connect()


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(dates, dates), min_size=1, max_size=60))
def test_the_sql_rule_decides_exactly_like_the_python_rule(pairs):
    con = _CON
    rows = [(k, *a, *b) for k, (a, b) in enumerate(pairs)]
    con.execute(
        "CREATE OR REPLACE TABLE p (k INTEGER, ly INTEGER, lm INTEGER, ld INTEGER, ry INTEGER, rm INTEGER, rd INTEGER)"
    )
    con.executemany("INSERT INTO p VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    got = con.execute(
        "SELECT k, " + birthdates.veto_sql(REF) + " FROM (SELECT k, struct_pack(dob_y := ly, dob_m := lm, "
        "dob_d := ld) AS l, struct_pack(dob_y := ry, dob_m := rm, dob_d := rd) AS r FROM p) ORDER BY k"
    ).fetchall()
    assert [v for _, v in got] == [birthdates.veto(a, b, REF) for a, b in pairs]


# --- clustering on given scores ---------------------------------------------------------


def _scored(con, records: dict[str, tuple[str, list[str]]], pairs: list[tuple[str, str, float]]) -> dict:
    """Records (uid -> (birth date TT.MM.JJJJ, exclusivity groups)) and scored pairs; returns person ids."""
    con.register(
        "_rec",
        pa.table(
            {
                "unique_id": list(records),
                "entity": [u.split(":")[0] for u in records],
                "record_key": [u.split(":")[1] for u in records],
                "excl": [g for _, g in records.values()],
                "dob_y": [d(b)[0] for b, _ in records.values()],
                "dob_m": [d(b)[1] for b, _ in records.values()],
                "dob_d": [d(b)[2] for b, _ in records.values()],
            }
        ),
    )
    con.execute("CREATE OR REPLACE TABLE rec AS SELECT * FROM _rec")
    con.execute(
        "CREATE OR REPLACE TABLE pair AS SELECT l AS unique_id_l, r AS unique_id_r, w AS match_weight, "
        "pow(2, w) / (1 + pow(2, w)) AS match_probability, FALSE AS linked, FALSE AS rejected FROM (VALUES "
        + ", ".join(f"('{a}', '{b}', {w})" for a, b, w in pairs)
        + ") t(l, r, w)"
    )
    write_links(con, "rec", "pair", "lnk", 0.5, reference_date=REF)
    return dict(con.execute("SELECT entity || ':' || record_key, person_id FROM lnk").fetchall())


def test_two_child_records_with_incompatible_dates_are_not_joined_however_high_their_score():
    con = duckdb.connect()
    records = {
        "kindergeld_kind:K2/1": ("11.01.2022", ["kg:K2"]),
        "melderegister:EMMA": ("23.04.2026", ["mr"]),
    }
    links = _scored(con, records, [("kindergeld_kind:K2/1", "melderegister:EMMA", 40.0)])
    assert links["kindergeld_kind:K2/1"] != links["melderegister:EMMA"]
    assert con.execute("SELECT geburtsdatum_sperre FROM pair").fetchall() == [(True,)]


def test_a_cluster_does_not_join_incompatible_child_records_through_a_third_record():
    con = duckdb.connect()
    # each neighbour is one day apart, the ends are two days (and two digits) apart
    records = {
        "melderegister:A": ("09.06.2015", ["mr"]),
        "schule:1/B": ("10.06.2015", ["schule:1"]),
        "seu:C": ("11.06.2015", ["seu:2021"]),
    }
    links = _scored(con, records, [("melderegister:A", "schule:1/B", 30.0), ("schule:1/B", "seu:C", 20.0)])
    assert links["melderegister:A"] == links["schule:1/B"]
    assert links["seu:C"] != links["melderegister:A"]


def test_adults_are_not_vetoed_by_the_hard_rule():
    con = duckdb.connect()
    records = {"melderegister:A": ("04.01.1971", ["mr"]), "jobcenter:BG/1": ("26.01.1980", ["bg:BG"])}
    links = _scored(con, records, [("melderegister:A", "jobcenter:BG/1", 30.0)])
    assert links["melderegister:A"] == links["jobcenter:BG/1"]


# --- the linkage on records -------------------------------------------------------------

ADDR_KLEIN = {
    "Strasse": "Lindenweg",
    "Hausnummer": "7",
    "Hausnummerzusatz": None,
    "PLZ": "44625",
    "Ort": "Herne",
}
ADDR_JUNG = {
    "Strasse": "Am Kanal",
    "Hausnummer": "21",
    "Hausnummerzusatz": None,
    "PLZ": "44628",
    "Ort": "Herne",
}
ADDR_JEKOV = {
    "Strasse": "Rosenstraße",
    "Hausnummer": "3",
    "Hausnummerzusatz": "b",
    "PLZ": "44623",
    "Ort": "Herne",
}


def _melde(om, fam, vor, dob, addr, sex="w"):
    return {
        "Ordnungsmerkmal": om,
        "Familienname": fam,
        "Vornamen": vor,
        "Geburtsname": None,
        "Geburtsdatum": dob,
        "Geschlecht": sex,
        "Staatsangehoerigkeit": "DE",
        "Wohnungsstatus": "H",
        **addr,
        "Einzugsdatum": dt.date(2020, 1, 1),
        "Auszugsdatum": None,
        "Abmeldegrund": None,
        "_row": 99999,
    }


def _kg(nummer, nr, ber, kind, dob, addr):
    return {
        "Kindergeldnummer": nummer,
        "Kind_Nr": nr,
        "Berechtigter_Familienname": ber[0],
        "Berechtigter_Vornamen": ber[1],
        "Berechtigter_Geburtsdatum": ber[2],
        **addr,
        "Kind_Familienname": kind[0],
        "Kind_Vornamen": kind[1],
        "Kind_Geburtsdatum": dob,
        "Kind_Wohnsitz": "Inland",
        "_row": 9000 + nr,
    }


SABINE = ("Klein", "Sabine", "1988-05-12")
MARKUS = ("Klein", "Markus", "1986-09-30")
ANJA = ("Jung", "Anja", "1990-02-14")
PETAR = ("Jekov", "Petar", "1984-11-03")

HAND_MELDE = [
    _melde("K-SABINE", "Klein", "Sabine", "1988-05-12", ADDR_KLEIN),
    _melde("K-EMMA", "Klein", "Emma", "2026-04-23", ADDR_KLEIN),
    _melde("K-LENA", "Klein", "Lena Frieda", "2021-02-27", ADDR_KLEIN),
    _melde("K-JAN", "Klein", "Jan", "2017-10-05", ADDR_KLEIN, sex="m"),
    _melde("K-JANA", "Klein", "Jana", "2019-08-14", ADDR_KLEIN),
    _melde("J-ANJA", "Jung", "Anja", "1990-02-14", ADDR_JUNG),
    _melde("J-MIA", "Jung", "Mia Emma", "2015-12-02", ADDR_JUNG),
    # same-day twins with different first names
    _melde("J-TIM", "Jung", "Tim", "2019-03-30", ADDR_JUNG, sex="m"),
    _melde("J-TOM", "Jung", "Tom", "2019-03-30", ADDR_JUNG, sex="m"),
    _melde("Z-PETAR", "Жеков", "Петър", "1984-11-03", ADDR_JEKOV, sex="m"),
    _melde("Z-YULIYAN", "Жеков", "Юлиян", "2020-01-26", ADDR_JEKOV, sex="m"),
]
HAND_KG = [
    # the family's own claim: the children as registered, one with a typing error in the date
    _kg("214FK100001", 1, SABINE, ("Klein", "Emma"), "2026-04-23", ADDR_KLEIN),
    _kg("214FK100001", 2, SABINE, ("Klein", "Lena Frieda"), "2021-02-72", ADDR_KLEIN),  # invalid day: unknown
    _kg("214FK100001", 3, SABINE, ("Klein", "Jan"), "2017-05-10", ADDR_KLEIN),  # day and month swapped
    _kg("214FK100001", 4, SABINE, ("Klein", "Jana"), "2019-08-15", ADDR_KLEIN),  # day off by one
    # a second Kindergeldnummer at the same address claims children who do not exist
    _kg("214FK100002", 1, MARKUS, ("Klein", "Emma Charlotte"), "2022-01-11", ADDR_KLEIN),
    _kg("214FK100002", 2, MARKUS, ("Klein", "Lea"), "2018-03-08", ADDR_KLEIN),
    _kg("214FK100002", 3, MARKUS, ("Klein", "Jana"), "2016-11-28", ADDR_KLEIN),  # Jana, another date
    _kg("214FK100003", 1, ANJA, ("Jung", "Mia Emma"), "2015-12-02", ADDR_JUNG),
    _kg("214FK100003", 2, ANJA, ("Jung", "Tim"), "2019-03-30", ADDR_JUNG),
    _kg("214FK100003", 3, ANJA, ("Jung", "Tom"), "2019-03-30", ADDR_JUNG),
    _kg("214FK100004", 1, ANJA, ("Jung", "Mia"), "2025-06-25", ADDR_JUNG),
    _kg("214FK100005", 1, PETAR, ("Jekov", "Yuliyan"), "2020-01-00", ADDR_JEKOV),  # unknown day
    # transliterated namesakes of Жеков with other dates
    _kg("214FK100006", 1, PETAR, ("Schekow", "Julijan"), "2011-01-04", ADDR_JEKOV),
    _kg("214FK100007", 1, PETAR, ("Zhekov", "Yuliyan"), "2013-07-19", ADDR_JEKOV),
    # a real double claim: the father claims Mia Emma too, with her name and date
    _kg("214FK100008", 1, ("Jung", "Stefan", "1987-07-07"), ("Jung", "Mia Emma"), "2015-12-02", ADDR_JUNG),
]


def _append(tab: pa.Table, rows: list[dict]) -> pa.Table:
    extra = pa.Table.from_pylist(rows).select(tab.schema.names).cast(tab.schema)
    return pa.concat_tables([tab, extra])


@pytest.fixture(scope="module")
def linked():
    pop = make_population(n_households=500, seed=5, stichtag=REF)
    pop.tables["melderegister"] = _append(pop.tables["melderegister"], HAND_MELDE)
    pop.tables["kindergeld"] = _append(pop.tables["kindergeld"], HAND_KG)
    con = duckdb.connect()
    snaps = pop.load(con)
    result = link_persons(con, snaps, reference_date=REF)
    ids = dict(con.execute("SELECT entity || ':' || record_key, person_id FROM person_link").fetchall())
    return con, result, ids


@pytest.mark.parametrize(
    ("claim", "registered"),
    [
        ("kindergeld_kind:214FK100002/1", "melderegister:K-EMMA"),  # Emma Charlotte 2022 / Emma 2026
        ("kindergeld_kind:214FK100002/2", "melderegister:K-LENA"),  # Lea 2018 / Lena Frieda 2021
        ("kindergeld_kind:214FK100002/3", "melderegister:K-JANA"),  # Jana 2016 / Jana 2019
        ("kindergeld_kind:214FK100004/1", "melderegister:J-MIA"),  # Mia 2025 / Mia Emma 2015
        ("kindergeld_kind:214FK100006/1", "melderegister:Z-YULIYAN"),  # Julijan Schekow 2011 / Жеков 2020
        ("kindergeld_kind:214FK100007/1", "melderegister:Z-YULIYAN"),  # Yuliyan Zhekov 2013 / Жеков 2020
        ("kindergeld_kind:214FK100006/1", "kindergeld_kind:214FK100007/1"),  # the two namesakes
        ("kindergeld_kind:214FK100002/1", "kindergeld_kind:214FK100001/1"),  # the two Emma claims
    ],
)
def test_invented_or_namesake_children_are_never_joined_with_a_registered_child(linked, claim, registered):
    _, _, ids = linked
    assert ids[claim] != ids[registered]


def test_siblings_with_similar_names_stay_apart(linked):
    _, _, ids = linked
    assert ids["melderegister:K-JAN"] != ids["melderegister:K-JANA"]
    assert ids["melderegister:K-LENA"] != ids["kindergeld_kind:214FK100002/2"]  # Lea


def test_same_day_twins_with_different_first_names_each_keep_their_own_claim(linked):
    _, _, ids = linked
    assert ids["melderegister:J-TIM"] != ids["melderegister:J-TOM"]
    assert ids["kindergeld_kind:214FK100003/2"] == ids["melderegister:J-TIM"]
    assert ids["kindergeld_kind:214FK100003/3"] == ids["melderegister:J-TOM"]


@pytest.mark.parametrize(
    ("claim", "registered"),
    [
        ("kindergeld_kind:214FK100001/1", "melderegister:K-EMMA"),  # same date
        ("kindergeld_kind:214FK100001/2", "melderegister:K-LENA"),  # impossible day, read as unknown
        ("kindergeld_kind:214FK100001/3", "melderegister:K-JAN"),  # day and month swapped
        ("kindergeld_kind:214FK100001/4", "melderegister:K-JANA"),  # day off by one
        ("kindergeld_kind:214FK100003/1", "melderegister:J-MIA"),
        ("kindergeld_kind:214FK100005/1", "melderegister:Z-YULIYAN"),  # 00 day, Cyrillic register entry
    ],
)
def test_a_typing_error_in_the_birth_date_still_joins_the_child(linked, claim, registered):
    _, _, ids = linked
    assert ids[claim] == ids[registered]


def test_no_linked_pair_and_no_cluster_holds_a_child_with_an_incompatible_birth_date(linked):
    con, _, _ = linked
    bad = con.execute(
        f"""
        SELECT count(*) FROM person_link a JOIN person_link b
          ON a.person_id = b.person_id AND a.entity || a.record_key < b.entity || b.record_key
        JOIN person_record l ON l.entity = a.entity AND l.record_key = a.record_key
        JOIN person_record r ON r.entity = b.entity AND r.record_key = b.record_key
        WHERE {birthdates.veto_sql(REF)}
        """
    ).fetchall()[0][0]
    assert bad == 0
    assert con.execute(
        "SELECT count(*) FROM person_pair WHERE linked AND geburtsdatum_sperre"
    ).fetchall() == [(0,)]


def test_warum_verknuepft_names_the_birth_date_rule_for_a_pair_alike_in_all_but_the_date(linked):
    con, result, _ = linked
    # same name, same address, same Kindergeld entitled person's household: only the date differs
    exp = explain_pair(con, "kindergeld_kind:214FK100002/3", "melderegister:K-JANA", result.model)
    assert exp is not None
    assert exp.birth_date_veto and not exp.linked
    assert exp.match_probability > 0.5  # the score alone would have joined them


INVENTED = [
    "214FK100002/1",
    "214FK100002/2",
    "214FK100002/3",
    "214FK100004/1",
    "214FK100006/1",
    "214FK100007/1",
]


def test_the_invented_children_have_no_melderegister_entry_so_kg_kind_nicht_gemeldet_applies(linked):
    # KG_KIND_NICHT_GEMELDET fires for a Kindergeld child whose person has no Melderegister record
    con, _, _ = linked
    registered = con.execute(
        """
        SELECT k.record_key FROM person_link k JOIN person_link m
          ON m.person_id = k.person_id AND m.entity = 'melderegister'
        WHERE k.entity = 'kindergeld_kind' AND k.record_key IN (SELECT unnest(?))
        """,
        [INVENTED],
    ).fetchall()
    assert registered == []


def test_only_the_real_double_claim_joins_kindergeld_children_of_two_kindergeldnummern(linked):
    # KG_DOPPELBEZUG fires for a person with Kindergeld child records under two Kindergeldnummern
    con, _, ids = linked
    doubles = con.execute(
        """
        SELECT person_id, list(record_key ORDER BY record_key) FROM person_link
        WHERE entity = 'kindergeld_kind' AND record_key LIKE '214FK1%'
        GROUP BY person_id HAVING count(DISTINCT split_part(record_key, '/', 1)) > 1
        """
    ).fetchall()
    assert doubles == [(ids["melderegister:J-MIA"], ["214FK100003/1", "214FK100008/1"])]
