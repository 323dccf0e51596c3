# ruff: noqa: S608  (SQL built from the module's own expressions)
"""KG_DOPPELBEZUG only on a sure join (issue #15 point 3): both claims must be linked to the
child clearly above the threshold and with a margin over every other candidate."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from missimo.engine.linkage import link_persons
from missimo.engine.rules import SURE_MARGIN_BITS, SURE_PROBABILITY, _sure_kg_sql, evaluate
from tests.engine.sample_population import make_population
from tests.engine.test_linkage_birthdates import HAND_KG, HAND_MELDE, REF, _append, _kg
from tests.engine.test_rules import S, family, refs, run
from tests.engine.test_rules_city import City

KG = "kindergeld:214FK123456/1"
OTHER = "kindergeld:301FK654321/1"


def _pairs(con: duckdb.DuckDBPyConnection, rows: list[tuple[str, str, float, bool]]) -> None:
    """A hand-made ``person_pair``: (unique id, unique id, match weight, linked)."""
    con.execute(
        "CREATE TABLE person_pair (unique_id_l VARCHAR, unique_id_r VARCHAR, match_weight DOUBLE, "
        "match_probability DOUBLE, linked BOOLEAN, rejected BOOLEAN, geburtsdatum_sperre BOOLEAN)"
    )
    for a, b, w, linked in rows:
        p = 2.0**w / (1.0 + 2.0**w)
        con.execute("INSERT INTO person_pair VALUES (?, ?, ?, ?, ?, FALSE, FALSE)", [a, b, w, p, linked])


def _double_claim(c: City) -> City:
    c.kindergeld("301FK654321", person="P-K", parent="P-F", betrag="255.00")
    return c


def kg_hints(con: duckdb.DuckDBPyConnection) -> list[str]:
    return refs(evaluate(con, dt.date.fromisoformat(S)), "KG_DOPPELBEZUG")


def test_a_double_claim_joined_surely_to_the_registered_child_is_reported() -> None:
    con = _double_claim(family()).build()
    _pairs(
        con,
        [
            ("kindergeld_kind:214FK123456/1", "melderegister:M-K", 20.0, True),
            ("kindergeld_kind:301FK654321/1", "melderegister:M-K", 18.0, True),
            ("kindergeld_kind:214FK123456/1", "kindergeld_kind:301FK654321/1", 19.0, True),
        ],
    )
    assert kg_hints(con) == [KG, OTHER]


def test_a_second_claim_joined_only_loosely_gives_no_double_claim_hint() -> None:
    con = _double_claim(family()).build()
    loose = 2.0  # probability 0.8: above the threshold 0.5, below SURE_PROBABILITY
    assert 2.0**loose / (1 + 2.0**loose) < SURE_PROBABILITY
    _pairs(
        con,
        [
            ("kindergeld_kind:214FK123456/1", "melderegister:M-K", 20.0, True),
            ("kindergeld_kind:301FK654321/1", "melderegister:M-K", loose, True),
            ("kindergeld_kind:214FK123456/1", "kindergeld_kind:301FK654321/1", loose, True),
        ],
    )
    assert kg_hints(con) == []


def test_a_claim_about_as_close_to_another_registered_child_is_not_sure() -> None:
    c = _double_claim(family())
    c.melde("M-K2", person="P-K2", born="2014-03-05", sex="m")  # a namesake, one day apart
    con = c.build()
    close = 12.0 - SURE_MARGIN_BITS / 2  # less than the margin below the chosen candidate
    _pairs(
        con,
        [
            ("kindergeld_kind:214FK123456/1", "melderegister:M-K", 20.0, True),
            ("kindergeld_kind:301FK654321/1", "melderegister:M-K", 12.0, True),
            ("kindergeld_kind:301FK654321/1", "melderegister:M-K2", close, False),
        ],
    )
    assert kg_hints(con) == []


def test_a_rival_clearly_below_the_chosen_candidate_keeps_the_join_sure() -> None:
    c = _double_claim(family())
    c.melde("M-K2", person="P-K2", born="2014-03-05", sex="m")
    con = c.build()
    _pairs(
        con,
        [
            ("kindergeld_kind:214FK123456/1", "melderegister:M-K", 20.0, True),
            ("kindergeld_kind:301FK654321/1", "melderegister:M-K", 12.0, True),
            ("kindergeld_kind:301FK654321/1", "melderegister:M-K2", 12.0 - SURE_MARGIN_BITS - 1, False),
            # a brother under the same claim is no rival: a claim lists each child once
            ("kindergeld_kind:214FK123456/1", "kindergeld_kind:214FK123456/2", 19.5, False),
        ],
    )
    assert kg_hints(con) == [KG, OTHER]


def test_birth_date_vetoed_and_rejected_pairs_are_no_rivals() -> None:
    c = _double_claim(family())
    c.melde("M-K2", person="P-K2", born="2019-03-04", sex="m")
    con = c.build()
    _pairs(
        con,
        [
            ("kindergeld_kind:214FK123456/1", "melderegister:M-K", 20.0, True),
            ("kindergeld_kind:301FK654321/1", "melderegister:M-K", 12.0, True),
            ("kindergeld_kind:301FK654321/1", "melderegister:M-K2", 15.0, False),
        ],
    )
    con.execute("UPDATE person_pair SET geburtsdatum_sperre = TRUE WHERE unique_id_r = 'melderegister:M-K2'")
    assert kg_hints(con) == [KG, OTHER]


def test_without_scored_pairs_a_given_link_table_counts_as_sure() -> None:
    assert refs(run(_double_claim(family())), "KG_DOPPELBEZUG") == [KG, OTHER]


def test_an_invented_child_loosely_joined_gives_kg_kind_nicht_gemeldet_not_kg_doppelbezug() -> None:
    # the issue's shape: "Emma Charlotte Klein, 11.01.2022" under a second Kindergeldnummer at the
    # address of the registered "Emma Klein"; the linkage keeps it apart (its own person)
    c = family(name=("Emma", "Klein"), born="2022-04-23")
    c.kindergeld(
        "301FK654321", person="P-INVENTED", parent="P-F", name=("Emma Charlotte", "Klein"), born="2022-01-11"
    )
    con = c.build()
    _pairs(
        con,
        [
            ("kindergeld_kind:214FK123456/1", "melderegister:M-K", 20.0, True),
            ("kindergeld_kind:301FK654321/1", "melderegister:M-K", 3.0, False),
        ],
    )
    con.execute("UPDATE person_pair SET geburtsdatum_sperre = TRUE WHERE unique_id_l LIKE '%301FK%'")
    result = evaluate(con, dt.date.fromisoformat(S))
    assert refs(result, "KG_DOPPELBEZUG") == []
    assert refs(result, "KG_KIND_NICHT_GEMELDET") == [OTHER]


# --- on the real linkage ----------------------------------------------------------------

ADDR_OTHER = {
    "Strasse": "Hafenweg",
    "Hausnummer": "40",
    "Hausnummerzusatz": None,
    "PLZ": "44628",
    "Ort": "Herne",
}
LOOSE_KG = [
    # "Mia Jung, 00.12.2015" (registered: "Mia Emma Jung, 02.12.2015") at another address under
    # another entitled person: the linkage joins it, but only just above the threshold
    _kg("214FK100009", 1, ("Jung", "Karin", "1979-01-19"), ("Jung", "Mia"), "2015-12-00", ADDR_OTHER),
]


@pytest.fixture(scope="module")
def linked_run() -> duckdb.DuckDBPyConnection:
    pop = make_population(n_households=500, seed=5, stichtag=REF)
    pop.tables["melderegister"] = _append(pop.tables["melderegister"], HAND_MELDE)
    pop.tables["kindergeld"] = _append(pop.tables["kindergeld"], HAND_KG + LOOSE_KG)
    con = duckdb.connect()
    link_persons(con, pop.load(con), reference_date=REF)
    # the run's views over the snapshots (record keys as the linkage builds them)
    con.execute(
        "CREATE VIEW kindergeld AS SELECT * REPLACE (TRY_CAST(Kind_Geburtsdatum AS DATE) AS Kind_Geburtsdatum), "
        "Kindergeldnummer || '/' || Kind_Nr AS _key, NULL::VARCHAR AS _addr_key, "
        "DATE '2024-01-01' AS Zahlung_ab, NULL::DATE AS Zahlung_bis, 250.00::DECIMAL(12,2) AS Monatsbetrag "
        "FROM snap_kindergeld"
    )
    return con


def test_on_the_linkage_a_true_double_claim_is_reported_and_a_loose_third_claim_is_not(linked_run) -> None:
    con = linked_run
    ids = dict(con.execute("SELECT entity || ':' || record_key, person_id FROM person_link").fetchall())
    # the loose claim is joined with the registered child: the rule must not trust that join
    assert ids["kindergeld_kind:214FK100009/1"] == ids["melderegister:J-MIA"]
    result = evaluate(con, dt.date.fromisoformat(S))
    hints = {h.primary_ref: h for h in result.hints_for("KG_DOPPELBEZUG")}
    assert sorted(hints) == ["kindergeld:214FK100003/1", "kindergeld:214FK100008/1"]
    assert hints["kindergeld:214FK100003/1"].facts["kindergeldnummern"] == ["214FK100003", "214FK100008"]
    assert hints["kindergeld:214FK100003/1"].evidence == (
        "kindergeld:214FK100003/1",
        "kindergeld:214FK100008/1",
    )


def test_on_the_linkage_the_true_double_claim_is_sure_and_the_loose_one_is_not(linked_run) -> None:
    con = linked_run
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _r_kg AS SELECT k.*, p.person_id AS kind_pid FROM kindergeld k "
        "JOIN person_link p ON p.entity = 'kindergeld_kind' AND p.record_key = k._key"
    )
    try:
        rows = dict(
            con.execute(
                f"SELECT _key, struct_pack(p_in, w_in, w_out, sure) FROM ({_sure_kg_sql(con)}) "
                "WHERE _key IN ('214FK100003/1', '214FK100008/1', '214FK100009/1')"
            ).fetchall()
        )
    finally:
        con.execute("DROP TABLE _r_kg")
    for key in ("214FK100003/1", "214FK100008/1"):
        assert rows[key]["sure"] and rows[key]["p_in"] >= SURE_PROBABILITY
    loose = rows["214FK100009/1"]
    assert 0.5 <= loose["p_in"] < SURE_PROBABILITY and not loose["sure"]


def test_on_the_linkage_the_issues_invented_children_get_no_double_claim_hint(linked_run) -> None:
    # their records stay apart from the registered children (test_linkage_birthdates), so they are
    # KG_KIND_NICHT_GEMELDET cases; none of them may appear as a double claim
    hints = refs(evaluate(linked_run, dt.date.fromisoformat(S)), "KG_DOPPELBEZUG")
    invented = [
        "214FK100002/1",
        "214FK100002/2",
        "214FK100002/3",
        "214FK100004/1",
        "214FK100006/1",
        "214FK100007/1",
    ]
    assert not {f"kindergeld:{k}" for k in invented} & set(hints)
    registered = linked_run.execute(
        "SELECT count(*) FROM person_link k JOIN person_link m ON m.person_id = k.person_id "
        "AND m.entity = 'melderegister' WHERE k.entity = 'kindergeld_kind' AND k.record_key IN (SELECT unnest(?))",
        [invented],
    ).fetchall()
    assert registered == [(0,)]


def test_the_hint_states_how_sure_the_join_is_and_its_margin_over_the_next_candidate() -> None:
    c = _double_claim(family())
    c.melde("M-K2", person="P-K2", born="2014-03-05", sex="m")
    con = c.build()
    _pairs(
        con,
        [
            ("kindergeld_kind:214FK123456/1", "melderegister:M-K", 20.0, True),
            ("kindergeld_kind:301FK654321/1", "melderegister:M-K", 12.0, True),
            ("kindergeld_kind:301FK654321/1", "melderegister:M-K2", 5.0, False),
        ],
    )
    hint = evaluate(con, dt.date.fromisoformat(S)).hints_for("KG_DOPPELBEZUG")[0]
    assert hint.facts["verknuepfung_wahrscheinlichkeit"] == pytest.approx(2**12 / (1 + 2**12), abs=1e-6)
    assert hint.facts["verknuepfung_abstand_bits"] == 7
    assert hint.explanation.endswith(
        "Die Datensätze gehören mit mindestens 99,9 % Wahrscheinlichkeit zu demselben Kind; "
        "jedes andere in Frage kommende Kind ist mindestens 128-mal weniger wahrscheinlich."
    )


def test_a_given_link_table_adds_no_sentence_about_sureness() -> None:
    hint = run(_double_claim(family())).hints_for("KG_DOPPELBEZUG")[0]
    assert hint.facts["verknuepfung_wahrscheinlichkeit"] is None
    assert "Wahrscheinlichkeit" not in hint.explanation


def test_a_loosely_joined_second_claim_goes_to_the_review_sample_instead_of_a_hint() -> None:
    con = _double_claim(family()).build()
    loose = 2.0
    _pairs(
        con,
        [
            ("kindergeld_kind:214FK123456/1", "melderegister:M-K", 20.0, True),
            ("kindergeld_kind:301FK654321/1", "melderegister:M-K", loose, True),
            ("kindergeld_kind:214FK123456/1", "kindergeld_kind:301FK654321/1", loose - 0.5, True),
        ],
    )
    result = evaluate(con, dt.date.fromisoformat(S))
    assert refs(result, "KG_DOPPELBEZUG") == []
    # the doubtful record's strongest join inside its person, for a person to decide
    assert result.unsure_double_claims == (("kindergeld_kind:301FK654321/1", "melderegister:M-K"),)


def test_a_sure_double_claim_sends_nothing_to_the_review_sample() -> None:
    con = _double_claim(family()).build()
    _pairs(
        con,
        [
            ("kindergeld_kind:214FK123456/1", "melderegister:M-K", 20.0, True),
            ("kindergeld_kind:301FK654321/1", "melderegister:M-K", 18.0, True),
        ],
    )
    result = evaluate(con, dt.date.fromisoformat(S))
    assert refs(result, "KG_DOPPELBEZUG") == [KG, OTHER]
    assert result.unsure_double_claims == ()


def test_on_the_linkage_the_loose_third_claim_is_handed_to_the_review_sample(linked_run) -> None:
    result = evaluate(linked_run, dt.date.fromisoformat(S))
    # one pair: the loose record and the record it is most strongly joined to in its person
    assert len(result.unsure_double_claims) == 1
    assert "kindergeld_kind:214FK100009/1" in result.unsure_double_claims[0]


def _twins() -> City:
    """Same-named twins born on one day, both paid under one claim; a school knows two such girls,
    and the linkage cannot tell which school record is whose (it leaves both apart)."""
    c = City()
    c.objekt("O1", flats=4, area=300)
    c.melde("M-E", person="P-E", born="1985-05-05", sex="w")
    for n in (1, 2):
        c.melde(f"M-K{n}", person=f"P-K{n}", born="2013-02-13", sex="w")
        c.kindergeld(kind_nr=n, person=f"P-K{n}", parent="P-E", born="2013-02-13", name=("Radka", "Kostova"))
        c.schule(f"S{n}", born="2013-02-13", name=("Radka", "Kostova"))
    return c


def _twin_pairs(probability_weight: float) -> list[tuple[str, str, float, bool]]:
    return [
        (f"kindergeld_kind:214FK123456/{k}", f"schule:123456/S{s}", probability_weight, False)
        for k in (1, 2)
        for s in (1, 2)
    ]


def test_same_named_twins_a_school_knows_get_no_kg_ohne_schule_although_their_school_records_stay_unlinked() -> (
    None
):
    con = _twins().build()
    _pairs(con, _twin_pairs(28.5))
    assert refs(evaluate(con, dt.date.fromisoformat(S)), "KG_OHNE_SCHULE") == []


def test_a_school_record_that_only_loosely_matches_or_is_vetoed_does_not_stop_kg_ohne_schule() -> None:
    con = _twins().build()
    _pairs(con, _twin_pairs(2.0))  # probability 0.8: not an indistinguishable twin
    assert len(refs(evaluate(con, dt.date.fromisoformat(S)), "KG_OHNE_SCHULE")) == 2
    con = _twins().build()
    _pairs(con, _twin_pairs(28.5))
    con.execute("UPDATE person_pair SET geburtsdatum_sperre = TRUE")
    assert len(refs(evaluate(con, dt.date.fromisoformat(S)), "KG_OHNE_SCHULE")) == 2
