"""The engine: pure Python + DuckDB core of MISSIMO (no Django imports).

This module is the engine's public API; the Django apps use only the names below (an
import-linter contract in pyproject.toml forbids them the engine's inner modules). Names are
loaded on first use, so that importing the facade costs nothing until a run, an import or a
snapshot read needs DuckDB, polars or Splink.

- Sources (one descriptor per source: layout, owner, persons, address): ``SOURCES``,
  ``person_sources``, ``register_source``, ``unregister_source``, ``get_source``, ``owner_of``, ``SourceLayout``, ``PersonColumns``,
  ``Field``, ``FieldType``.
- Reading a delivery: ``read_source``, ``write_snapshot``, ``write_rejected_csv``, ``sha256_of``,
  ``ImportRefused``.
- The rule catalogue: ``RULES``, ``RULE_BY_CODE``, ``rule_titles``, ``SETTINGS``, ``Hint``, ``EvaluationResult``.
- A run: ``run_abgleich``, ``RunOutput``, ``open_analysis``, ``explain_link``.
- Ranking and the contract's exports: ``RankedProperty``, ``rank_properties``,
  ``write_hints_csv``, ``write_properties_csv``.
- Reading snapshots and a run's store for the application: ``objekte_rows``,
  ``distinct_values``, ``latest_value_per_key``, ``find_person_rows``, ``record_refs``,
  ``persons_of_records``, ``melderegister_keys_of_persons``, ``linked_pairs_of_persons``,
  ``compare_snapshots``.
- Measuring the linkage's precision (issue #15): ``draw_review_sample``, ``estimate_link_quality``,
  ``review_strata``, ``ReviewSample``, ``LinkQuality``, ``LABEL_SAME``, ``LABEL_DIFFERENT``,
  ``LABEL_UNCLEAR``; a run draws the sample with ``run_abgleich(..., review_sample_size=n)``.
- The school calendar: ``school_day_counter``.
- Cells of CSV and XLSX files (the one formula escaping): ``escape_cell``, ``neutralise_bidi``,
  ``BIDI_CONTROLS``.
- The engine backend (DuckDB, or Spark for the pair scoring): ``configured_backend``,
  ``EngineBackend``; the state-level run: ``run_land``, ``City``, ``CITY_SOURCES``, ``LAND_RULES``.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    **dict.fromkeys(
        (
            "SOURCES",
            "person_sources",
            "register_source",
            "unregister_source",
            "get_source",
            "owner_of",
            "SourceLayout",
            "PersonColumns",
            "Field",
            "FieldType",
        ),
        "sources",
    ),
    **dict.fromkeys(
        ("read_source", "write_snapshot", "write_rejected_csv", "sha256_of", "ImportRefused"), "reader"
    ),
    **dict.fromkeys(
        ("RULES", "RULE_BY_CODE", "rule_titles", "SETTINGS", "Hint", "EvaluationResult"), "rules"
    ),
    **dict.fromkeys(("run_abgleich", "RunOutput", "open_analysis", "explain_link"), "run"),
    **dict.fromkeys(
        (
            "RankedProperty",
            "rank_properties",
            "write_hints_csv",
            "write_properties_csv",
            "WEIGHTS",
            "Calibration",
            "CalibrationSample",
            "calibrate_weights",
        ),
        "ranking",
    ),
    **dict.fromkeys(
        (
            "objekte_rows",
            "distinct_values",
            "schools_with_pupils",
            "latest_value_per_key",
            "find_person_rows",
            "record_refs",
            "persons_of_records",
            "melderegister_keys_of_persons",
            "linked_pairs_of_persons",
            "compare_snapshots",
        ),
        "snapshots",
    ),
    **dict.fromkeys(
        (
            "draw_review_sample",
            "estimate_link_quality",
            "review_strata",
            "ReviewSample",
            "LinkQuality",
            "LABEL_SAME",
            "LABEL_DIFFERENT",
            "LABEL_UNCLEAR",
        ),
        "review",
    ),
    "school_day_counter": "calendar_nrw",
    # The one formula escaping of every CSV and XLSX cell (engine and application).
    **dict.fromkeys(("escape_cell", "neutralise_bidi", "BIDI_CONTROLS"), "cells"),
    **dict.fromkeys(("street_label", "street_key"), "normalise"),
    # The backend of the pair scoring (DuckDB or Spark) and the state-level run.
    "configured_backend": "backends.configured",
    "EngineBackend": "backends",
    **dict.fromkeys(("run_land", "City", "CITY_SOURCES", "LAND_RULES"), "land"),
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    target = _EXPORTS.get(name)
    if target is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, _, attribute = target.partition(".")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), attribute or name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
