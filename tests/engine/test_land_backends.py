"""Spark and DuckDB give the same links and the same hints on the same input.

The smallest synthetic city (1,000 residents, about 1,900 person records) is linked once
with the pairs scored on DuckDB and once on a local Spark (``local[1]``) through Splink's
Spark backend with the same trained model. Small on purpose: it runs in ``make test``
(most of its time is the start of the Java process).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from missimo.engine import linkage
from missimo.engine.backends import EngineBackend, spark_model, to_spark_sql
from missimo.engine.reader import read_source, write_snapshot
from missimo.engine.run import run_abgleich

pytestmark = pytest.mark.spark

STICHTAG = dt.date(2026, 3, 16)
SOURCES = ("melderegister", "kindergeld", "schule", "jobcenter", "seu", "objekte")
SPARK = EngineBackend(name="spark", spark_master="local[1]")
DUCKDB = EngineBackend(name="duckdb")


@pytest.fixture(scope="module")
def snapshots(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from missimo.synth import generate

    out = tmp_path_factory.mktemp("city")
    generate(1000, 5, STICHTAG, out)
    paths = {}
    for source in SOURCES:
        paths[source] = out / f"{source}.parquet"
        write_snapshot(read_source(source, out / f"{source}.csv").table, paths[source])
    return paths


def _links(snapshots: dict[str, Path], backend: EngineBackend, work: Path) -> tuple[list, list]:
    con = duckdb.connect()
    persons = {s: p for s, p in snapshots.items() if s != "objekte"}
    linkage.link_persons(
        con, persons, predict_on=backend.predictor(work), em_max_pairs=50_000, u_max_pairs=100_000
    )
    links = con.execute("SELECT entity, record_key, person_id FROM person_link ORDER BY ALL").fetchall()
    pairs = con.execute(
        "SELECT unique_id_l, unique_id_r, match_probability, w_vorname, w_familienname, w_geburtsdatum, "
        "w_adresse, linked FROM person_pair ORDER BY unique_id_l, unique_id_r"
    ).fetchall()
    con.close()
    return links, pairs


def test_spark_and_duckdb_link_the_same_records_with_the_same_weights(
    snapshots: dict[str, Path], tmp_path: Path
) -> None:
    duck_links, duck_pairs = _links(snapshots, DUCKDB, tmp_path / "d")
    spark_links, spark_pairs = _links(snapshots, SPARK, tmp_path / "s")
    assert len({p for _, _, p in duck_links}) < len(duck_links), "the city must have linked records"
    assert spark_links == duck_links
    assert [p[:2] for p in spark_pairs] == [p[:2] for p in duck_pairs]
    for duck, spark in zip(duck_pairs, spark_pairs, strict=True):
        assert spark[2:7] == pytest.approx(duck[2:7], abs=1e-9)
        assert spark[7] == duck[7]
    assert not any((tmp_path / "s" / "spark").iterdir()), "the staging files must be deleted"


def test_a_run_on_spark_gives_the_hints_of_a_run_on_duckdb(
    snapshots: dict[str, Path], tmp_path: Path
) -> None:
    def hints(backend: EngineBackend) -> set[tuple]:
        out = run_abgleich(snapshots, STICHTAG, tmp_path / backend.name, backend=backend)
        return {(h.rule, h.primary_ref, h.evidence, h.objekt_id, h.amount) for h in out.evaluation.hints}

    duck = hints(DUCKDB)
    assert len({h[0] for h in duck}) >= 5, "the city must produce hints of several rules"
    assert hints(SPARK) == duck


def test_the_model_is_translated_to_spark_sql_function_by_function() -> None:
    assert to_spark_sql("list_has_any(l.a, r.a) AND jaro_winkler_similarity(l.b, r.b) >= 0.9") == (
        "arrays_overlap(l.a, r.a) AND jaro_winkler(l.b, r.b) >= 0.9"
    )
    model = spark_model(linkage.model_settings())
    assert model["sql_dialect"] == "spark"
    conditions = [lv["sql_condition"] for c in model["comparisons"] for lv in c["comparison_levels"]]
    assert not any("list_has_any" in c or "jaro_winkler_similarity" in c for c in conditions)
    assert any("arrays_overlap" in c for c in conditions)


def test_an_unknown_backend_is_refused_with_a_german_message() -> None:
    with pytest.raises(ValueError, match="Unbekanntes Rechen-Backend"):
        EngineBackend(name="hadoop")


def test_the_backend_is_read_strictly_from_the_configuration() -> None:
    from missimo.config import ConfigError
    from missimo.engine.backends import configured

    assert configured({}).name == "duckdb"
    chosen = configured(
        {
            "MISSIMO_ENGINE_BACKEND": " Spark ",
            "MISSIMO_SPARK_MASTER": "spark://land:7077",
            "MISSIMO_SPARK_CONF": "spark.executor.memory=8g; spark.sql.shuffle.partitions=400",
        }
    )
    assert (chosen.name, chosen.spark_master) == ("spark", "spark://land:7077")
    assert chosen.spark_conf == {"spark.executor.memory": "8g", "spark.sql.shuffle.partitions": "400"}
    with pytest.raises(ConfigError, match="MISSIMO_ENGINE_BACKEND"):
        configured({"MISSIMO_ENGINE_BACKEND": "yes"})
    with pytest.raises(ConfigError, match="MISSIMO_SPARK_CONF"):
        configured({"MISSIMO_SPARK_CONF": "spark.executor.memory"})
