# ruff: noqa: S608  (SQL names only internal tables; paths are quoted literals)
"""Where the person linkage scores its pairs: DuckDB (default) or Apache Spark.

The engine's person model is one set of Splink settings (``linkage.model_settings``). It is
trained on the machine that runs the engine (training reads bounded samples: at most
``linkage.U_MAX_PAIRS`` pairs for u and ``linkage.EM_MAX_PAIRS`` per EM session), and the
trained model then scores every blocked pair, the step whose cost grows with the data.
With the backend ``spark`` that step runs through Splink's Spark backend on a Spark
cluster (or a local Spark): the same trained model, its SQL translated from DuckDB's
dialect to Spark's (:func:`spark_model`), the records handed over as Parquet in a staging
directory and the scored pairs handed back the same way. Clustering and the rules read
the scored pairs exactly as on DuckDB, so both backends give the same links and hints
(``tests/engine/test_land_backends.py``; the differences the benchmark looks for are the
string similarity functions, which both backends implement themselves).

Choose the backend with ``MISSIMO_ENGINE_BACKEND`` (``docs/configuration.md``); Spark is
reached through ``MISSIMO_SPARK_MASTER``, ``MISSIMO_SPARK_STAGING_DIR`` and
``MISSIMO_SPARK_CONF``. Plain Python, no Django.
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

__all__ = ["BACKENDS", "EngineBackend", "configured", "spark_model", "spark_session", "to_spark_sql"]

BACKENDS = ("duckdb", "spark")

#: ``(con, records_table, trained_model, store_threshold) -> table of scored pairs in con``
Predictor = Callable[[duckdb.DuckDBPyConnection, str, dict[str, Any], float], str]


@dataclass(frozen=True)
class EngineBackend:
    """The chosen backend and, for Spark, how to reach it."""

    name: str = "duckdb"
    spark_master: str = "local[*]"
    staging_dir: str = ""
    spark_conf: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.name not in BACKENDS:
            raise ValueError(f"Unbekanntes Rechen-Backend {self.name!r}: erlaubt sind {', '.join(BACKENDS)}.")

    def predictor(self, work_dir: str | Path) -> Predictor | None:
        """The ``predict_on`` seam of ``linkage.link_records``: None for DuckDB."""
        if self.name == "duckdb":
            return None
        staging = Path(self.staging_dir) if self.staging_dir else Path(work_dir) / "spark"

        def predict(con: duckdb.DuckDBPyConnection, records: str, model: dict[str, Any], store: float) -> str:
            return predict_on_spark(
                con, records, model, store, staging, master=self.spark_master, conf=self.spark_conf
            )

        return predict


def configured(environ: Mapping[str, str] | None = None) -> EngineBackend:
    """The backend of the strict configuration (``missimo.config``)."""
    from missimo import config

    return EngineBackend(
        name=config.get("MISSIMO_ENGINE_BACKEND", environ),
        spark_master=config.get("MISSIMO_SPARK_MASTER", environ),
        staging_dir=config.get("MISSIMO_SPARK_STAGING_DIR", environ),
        spark_conf=config.get("MISSIMO_SPARK_CONF", environ),
    )


# ---------------------------------------------------------------------------------------
# DuckDB SQL -> Spark SQL

#: DuckDB functions of the person model and their Spark equivalents (the string similarity
#: functions come from the Scala UDF jar that ships with Splink).
_FUNCTIONS = {
    "list_has_any": "arrays_overlap",
    "jaro_winkler_similarity": "jaro_winkler",
}


def to_spark_sql(sql: str) -> str:
    """Translate one SQL condition of the person model from DuckDB's dialect to Spark's."""
    for duck, spark in _FUNCTIONS.items():
        sql = re.sub(rf"\b{duck}\s*\(", f"{spark}(", sql)
    return sql


def spark_model(model: Mapping[str, Any]) -> dict[str, Any]:
    """The trained Splink model (settings JSON) with every condition in Spark SQL."""
    out = copy.deepcopy(dict(model))
    out["sql_dialect"] = "spark"
    for comp in out.get("comparisons", []):
        for level in comp["comparison_levels"]:
            level["sql_condition"] = to_spark_sql(level["sql_condition"])
    rules = out.get("blocking_rules_to_generate_predictions", [])
    for i, rule in enumerate(rules):
        if isinstance(rule, dict):
            rule["blocking_rule"] = to_spark_sql(rule["blocking_rule"])
        else:
            rules[i] = to_spark_sql(rule)
    return out


# ---------------------------------------------------------------------------------------
# Spark


def spark_session(master: str = "local[*]", conf: Mapping[str, str] | None = None) -> Any:
    """A Spark session with Splink's similarity functions on the class path.

    ``getOrCreate``: a session already running in this process (or the one spark-submit
    made) is reused, so that a cluster's settings come from spark-submit.
    """
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    builder = SparkSession.builder
    if "PYSPARK_GATEWAY_PORT" not in os.environ:  # not under spark-submit, whose --master counts
        builder = builder.master(master)
    builder = (
        builder.appName("missimo")
        .config("spark.jars", similarity_jar_location())
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4" if master.startswith("local") else "200")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.showConsoleProgress", "false")
        .config(
            "spark.driver.extraJavaOptions",
            "-Dlog4j2.level=error"
            + (" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC" if master.startswith("local") else ""),
        )
    )
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def predict_on_spark(
    con: duckdb.DuckDBPyConnection,
    records_table: str,
    model: Mapping[str, Any],
    store_threshold: float,
    staging: Path,
    *,
    master: str = "local[*]",
    conf: Mapping[str, str] | None = None,
) -> str:
    """Score the blocked pairs of ``records_table`` on Spark; returns a DuckDB table name.

    The records go to Spark as Parquet in ``staging`` (a directory the driver, the executors
    and this process all see), the scored pairs (ids, match weight and probability, the
    per-comparison weights) come back the same way. The staging files are deleted before
    this returns: they hold personal data of every record.
    """
    from splink import Linker
    from splink.backends.spark import SparkAPI

    run_dir = staging / f"run-{uuid.uuid4().hex}"
    run_dir.mkdir(parents=True, exist_ok=False)
    records_file = run_dir / "records.parquet"
    pairs_dir = run_dir / "pairs"
    table = f"_spark_pairs_{uuid.uuid4().hex[:8]}"
    try:
        literal = str(records_file).replace("'", "''")
        con.execute(f"COPY (SELECT * FROM {records_table}) TO '{literal}' (FORMAT parquet)")
        spark = spark_session(master, conf)
        # Splink breaks long query plans: in memory on a local Spark, as Parquet files in the
        # staging directory on a cluster (executors come and go)
        local = spark.sparkContext.master.startswith("local")
        if not local:
            spark.sparkContext.setCheckpointDir(str(run_dir / "checkpoints"))
        db_api = SparkAPI(spark_session=spark, break_lineage_method="persist" if local else "parquet")
        sdf = db_api.register(spark.read.parquet(str(records_file)))
        linker = Linker(sdf, spark_model(model), log_level=None)
        pred = linker.inference.predict(threshold_match_probability=store_threshold)
        frame = pred.as_spark_dataframe()
        keep = [
            c
            for c in frame.columns
            if c in ("unique_id_l", "unique_id_r", "match_weight", "match_probability") or c.startswith("mw_")
        ]
        frame.select(*keep).write.mode("overwrite").parquet(str(pairs_dir))
        pred.drop_table_from_database_and_remove_from_cache()
        if local:
            spark.catalog.clearCache()
        glob = str(pairs_dir / "*.parquet").replace("'", "''")
        con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM read_parquet('{glob}')")
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)
    return table
