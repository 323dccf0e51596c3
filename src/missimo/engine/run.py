# ruff: noqa: S608  (SQL names only the fixed source names; file paths are quoted literals)
"""One Abgleich run: snapshots in, hints and a ranked property list out.

    snapshots ──► views with _addr_key ──► address linkage ──► person linkage ──► rules ──► ranking
                                                                                            │
                               data minimisation: personal data kept only for hint persons ◄┘

Everything happens in one DuckDB database file in the run's work directory; after the run it
keeps only what explains the hints (the records and pair weights of persons a hint refers to),
so that "Warum verknüpft?" can be answered later. Plain Python, no Django.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from missimo.engine import linkage, review, rules
from missimo.engine import sources as source_layouts
from missimo.engine.addresses import link_addresses
from missimo.engine.backends import EngineBackend
from missimo.engine.normalise import install_sql_macros
from missimo.engine.ranking import RankedProperty, rank_properties

log = logging.getLogger(__name__)

ANALYSIS_DB = "analysis.duckdb"
MODEL_FILE = "linkage_model.json"

Progress = Callable[[str, int], None]  # (German step label, percent)


@dataclass
class RunOutput:
    stichtag: dt.date
    evaluation: rules.EvaluationResult
    ranking: list[RankedProperty]
    timings: dict[str, float]
    counts: dict[str, int]
    linkage_threshold: float | None
    model_path: Path | None
    analysis_db: Path
    address_counts: dict[str, int] = field(default_factory=dict)
    #: the stratified sample of scored pairs for measuring precision (issue #15), or None
    review_sample: Any = None


_ADDRESS_COLUMNS = ("Strasse", "Hausnummer", "Hausnummerzusatz", "PLZ")


def _create_views(con: duckdb.DuckDBPyConnection, snapshots: Mapping[str, Path]) -> None:
    """One view per source, named like the source, with the normalised address key.

    The key (regular expressions, the costliest expression of a run) is computed once per
    distinct address of the source into table ``_addr_<source>`` and joined, not once per
    row and read: address linkage, person linkage and the rules all read these views.
    """
    install_sql_macros(con)
    for source, path in snapshots.items():
        if source not in source_layouts.SOURCES:
            raise ValueError(f"unknown source {source!r}")
        literal = "'" + str(path).replace("'", "''") + "'"
        columns = [c[0] for c in con.execute(f"DESCRIBE SELECT * FROM read_parquet({literal})").fetchall()]
        if "Strasse" not in columns:
            con.execute(f"CREATE OR REPLACE VIEW {source} AS SELECT * FROM read_parquet({literal})")
            continue
        cols = [c if c in columns else f"NULL AS {c}" for c in _ADDRESS_COLUMNS]
        con.execute(
            f"CREATE OR REPLACE TABLE _addr_{source} AS SELECT *, "
            f"missimo_address_key({', '.join(_ADDRESS_COLUMNS)}) AS _addr_key "
            f"FROM (SELECT DISTINCT {', '.join(cols)} FROM read_parquet({literal}))"
        )
        on = " AND ".join(f"s.{c} IS NOT DISTINCT FROM a.{c}" for c in _ADDRESS_COLUMNS if c in columns)
        con.execute(
            f"CREATE OR REPLACE VIEW {source} AS SELECT s.*, a._addr_key "
            f"FROM read_parquet({literal}) s LEFT JOIN _addr_{source} a ON {on}"
        )


def run_abgleich(
    snapshots: Mapping[str, str | Path],
    stichtag: dt.date,
    work_dir: str | Path,
    *,
    settings: Mapping[str, object] | None = None,
    rejected_links: Iterable[tuple[str, str, str, str]] = (),
    progress: Progress | None = None,
    threads: int | None = None,
    memory_limit: str | None = None,
    backend: EngineBackend | None = None,
    ranking_weights: Mapping[str, float] | None = None,
    review_sample_size: int = 0,
) -> RunOutput:
    """Run linkage and every rule over the given snapshots (Parquet files) as of ``stichtag``.

    Sources that are not given are simply absent: rules that need them are reported as not
    evaluated by :func:`missimo.engine.rules.evaluate`. ``backend`` chooses where the
    person linkage scores its pairs (:mod:`missimo.engine.backends`; default DuckDB).
    ``ranking_weights`` replace the fixed weights of the priority score (calibrated, ADR 0009).
    ``review_sample_size`` > 0 draws that many pairs per probability band for the review of the
    linkage (:mod:`missimo.engine.review`), before the data minimisation deletes them.
    """
    unknown = set(snapshots) - set(source_layouts.SOURCES)
    if unknown:
        raise ValueError(f"unknown sources: {sorted(unknown)}")
    work = Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    db_path = work / ANALYSIS_DB
    db_path.unlink(missing_ok=True)
    report = progress or (lambda step, percent: None)
    timings: dict[str, float] = {}
    counts: dict[str, int] = {}

    con = duckdb.connect(str(db_path))
    try:
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        if memory_limit:
            con.execute(f"SET memory_limit = '{memory_limit}'")
        con.execute(f"SET temp_directory = '{work / 'tmp'}'")

        started = time.perf_counter()
        report("Datenstände werden geladen", 5)
        paths = {source: Path(path) for source, path in snapshots.items()}
        _create_views(con, paths)
        for source in paths:
            counts[f"rows_{source}"] = int(con.execute(f"SELECT count(*) FROM {source}").fetchone()[0])  # type: ignore[index]
        timings["load"] = time.perf_counter() - started

        address_counts: dict[str, int] = {}
        if "objekte" in paths:
            started = time.perf_counter()
            report("Adressen werden Gebäuden zugeordnet", 15)
            others = {source: source for source in paths if source != "objekte"}
            address_counts = link_addresses(con, "objekte", others)
            timings["address_linkage"] = time.perf_counter() - started

        linkage_result = None
        model_path = None
        review_sample = None
        person_sources = {source: source for source in source_layouts.person_sources() if source in paths}
        if person_sources:
            started = time.perf_counter()
            report("Personen werden registerübergreifend verknüpft", 30)
            model_path = work / MODEL_FILE
            linkage_result = linkage.link_persons(
                con,
                person_sources,
                model_path=model_path,
                rejected=list(rejected_links),
                reference_date=stichtag,
                predict_on=backend.predictor(work) if backend else None,
            )
            counts["person_records"] = linkage_result.n_records
            counts["persons"] = linkage_result.n_persons
            counts["links"] = linkage_result.n_pairs_linked
            counts["rejected_links_applied"] = linkage_result.n_edges_skipped
            timings["person_linkage"] = time.perf_counter() - started
            for step, seconds in linkage_result.timings.items():
                timings[f"person_linkage.{step}"] = seconds

        started = time.perf_counter()
        report("Regeln werden ausgewertet", 75)
        evaluation = rules.evaluate(con, stichtag, settings)
        timings["rules"] = time.perf_counter() - started

        if linkage_result is not None and review_sample_size > 0:
            # after the rules (the joins they found doubtful go into the sample), before the
            # minimisation (the sample shows records of persons without a hint too)
            started = time.perf_counter()
            review_sample = review.draw_review_sample(
                con,
                linkage_result.threshold,
                review_sample_size,
                linkage_result.model,
                unsure_double_claims=evaluation.unsure_double_claims,
            )
            counts["review_pairs"] = len(review_sample.pairs)
            timings["review_sample"] = time.perf_counter() - started

        started = time.perf_counter()
        report("Objekte werden priorisiert", 90)
        ranking = rank_properties(evaluation.hints, dict(ranking_weights) if ranking_weights else None)
        timings["ranking"] = time.perf_counter() - started

        started = time.perf_counter()
        report("Daten ohne Hinweis werden gelöscht", 95)
        counts.update(minimise(con, evaluation.hints, has_persons=linkage_result is not None))
        timings["minimise"] = time.perf_counter() - started
    finally:
        con.close()
    counts["hints"] = len(evaluation.hints)
    counts["properties"] = len(ranking)
    report("fertig", 100)
    return RunOutput(
        stichtag=stichtag,
        evaluation=evaluation,
        ranking=ranking,
        timings=timings,
        counts=counts,
        linkage_threshold=linkage_result.threshold if linkage_result else None,
        model_path=model_path,
        analysis_db=db_path,
        address_counts=address_counts,
        review_sample=review_sample,
    )


def minimise(
    con: duckdb.DuckDBPyConnection, hints: Iterable[rules.Hint], *, has_persons: bool
) -> dict[str, int]:
    """Keep personal data only for persons a hint refers to (§ 52 (3) SGB II: non-hits are
    deleted without delay); the source views are dropped, only counts remain."""
    hint_persons = sorted({pid for hint in hints for pid in hint.person_ids})
    kept: dict[str, int] = {}
    tables = {row[0] for row in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    if has_persons and "person_link" in tables:
        con.execute("CREATE OR REPLACE TEMP TABLE _hint_person (person_id VARCHAR)")
        if hint_persons:
            con.executemany("INSERT INTO _hint_person VALUES (?)", [(pid,) for pid in hint_persons])
        before = con.execute("SELECT count(*) FROM person_record").fetchone()[0]  # type: ignore[index]
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _keep AS SELECT entity || ':' || record_key AS uid, person_id "
            "FROM person_link WHERE person_id IN (SELECT person_id FROM _hint_person)"
        )
        con.execute("DELETE FROM person_link WHERE person_id NOT IN (SELECT person_id FROM _hint_person)")
        con.execute("DELETE FROM person_record WHERE unique_id NOT IN (SELECT uid FROM _keep)")
        con.execute(
            "DELETE FROM person_pair WHERE unique_id_l NOT IN (SELECT uid FROM _keep) "
            "OR unique_id_r NOT IN (SELECT uid FROM _keep)"
        )
        after = con.execute("SELECT count(*) FROM person_record").fetchone()[0]  # type: ignore[index]
        kept["person_records_deleted"] = int(before - after)
        kept["person_records_kept"] = int(after)
    for view in source_layouts.SOURCES:
        con.execute(f"DROP VIEW IF EXISTS {view}")
    for name in tables - {"person_link", "person_record", "person_pair", "address_link", "address_candidate"}:
        con.execute(f'DROP TABLE IF EXISTS "{name}"')
    con.execute("CHECKPOINT")
    return kept


def open_analysis(work_dir: str | Path) -> duckdb.DuckDBPyConnection:
    """Read-only access to a finished run's analysis store (for link explanations)."""
    return duckdb.connect(str(Path(work_dir) / ANALYSIS_DB), read_only=True)


def explain_link(work_dir: str | Path, uid_left: str, uid_right: str) -> Any:
    """The "Warum verknüpft?" explanation of one pair of records of a finished run."""
    work = Path(work_dir)
    con = open_analysis(work)
    try:
        return linkage.explain_pair(con, uid_left, uid_right, work / MODEL_FILE)
    finally:
        con.close()
