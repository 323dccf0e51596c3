"""With perfect linkage, the rules find exactly the hints the synthetic city's oracle expects.

The synthetic city (`missimo.synth`) plants misuse scenarios and lawful traps and computes
its expected hints independently from its own truth model. Here the six exports are read
with the engine's reader, `person_link` and `address_link` are taken from the truth
(perfect linkage), and `evaluate` must reproduce the expected hints record for record,
with the same Objekt_ID and amount.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import polars as pl
import pytest

from missimo.engine.explain import money_csv
from missimo.engine.rules import evaluate

SOURCES = ("melderegister", "kindergeld", "schule", "jobcenter", "seu", "objekte")


def _city(out: Path, stichtag: str, seed: int) -> duckdb.DuckDBPyConnection:
    from missimo.engine.reader import read_source
    from missimo.synth import generate

    generate(3000, seed, stichtag, out)
    con = duckdb.connect()
    for source in SOURCES:
        table = pl.from_arrow(read_source(source, out / f"{source}.csv").table)
        assert isinstance(table, pl.DataFrame)
        frame = table.with_columns((pl.lit(f"{source}:") + pl.col("_row").cast(pl.String)).alias("_addr_key"))
        con.register("frame", frame.to_arrow())
        con.execute(f"CREATE TABLE {source} AS SELECT * FROM frame")  # noqa: S608
        con.unregister("frame")
    truth = pl.read_csv(out / "truth" / "records.csv", separator=";", infer_schema_length=0)
    con.register("truth", truth.to_arrow())
    con.execute("""
        CREATE TABLE person_link AS
        SELECT DISTINCT
          CASE WHEN source = 'kindergeld' AND role = 'kind' THEN 'kindergeld_kind'
               WHEN source = 'kindergeld' THEN 'kindergeld_berechtigter' ELSE source END AS entity,
          CASE WHEN source = 'kindergeld' AND role = 'berechtigter' THEN split_part(key, '/', 1)
               ELSE key END AS record_key,
          person_id, 1.0 AS probability
        FROM truth WHERE source <> 'objekte' AND coalesce(person_id, '') <> '';
        CREATE TABLE address_link AS
        SELECT DISTINCT source || ':' || row AS addr_key, nullif(objekt_id, '') AS objekt_id,
          1.0 AS score, NULL::VARCHAR AS label
        FROM truth WHERE role <> 'kind';
    """)
    return con


@pytest.mark.parametrize(("stichtag", "seed"), [("2026-03-16", 4), ("2025-09-30", 9)])
def test_the_rules_reproduce_the_expected_hints_of_the_synthetic_city(
    tmp_path: Path, stichtag: str, seed: int
) -> None:
    con = _city(tmp_path, stichtag, seed)
    result = evaluate(con, dt.date.fromisoformat(stichtag))
    expected = pl.read_csv(tmp_path / "truth" / "expected_hints.csv", separator=";", infer_schema_length=0)
    want = {
        (r["Regel"], r["Primaerbeleg"]): (r["Objekt_ID"] or "", r["Betrag_monatlich"] or "")
        for r in expected.iter_rows(named=True)
    }
    got = {(h.rule, h.primary_ref): (h.objekt_id or "", money_csv(h.amount)) for h in result.hints}
    assert got == want
    assert all(s.evaluated for s in result.statuses)
    belege = {(r["Regel"], r["Primaerbeleg"]): r["Belege"].split("|") for r in expected.iter_rows(named=True)}
    for h in result.hints:
        oracle = belege[(h.rule, h.primary_ref)]
        assert h.evidence[0] == oracle[0] == h.primary_ref
        if h.rule in ("KG_DOPPELBEZUG", "ARBEITGEBER_HAEUFUNG"):
            assert set(h.evidence) == set(oracle)
