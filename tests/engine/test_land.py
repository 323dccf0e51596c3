"""The state-level run finds the planted cross-city cases of a small synthetic state.

Three synthetic cities of 1,000 residents each (``missimo synth --cities 3``), with movers
and planted cross-city misuse. The expected hints are those of perfect linkage (the
state's truth as ``person_link``); the real run links the persons across the cities and
must find them with precision and recall per cross-city rule of at least 0.98 (measured
here: 1.0 for each rule at this size).
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from missimo.engine.land import CITY_SOURCES, LAND_RULES, City, run_land
from missimo.engine.reader import read_source, write_snapshot

STICHTAG = dt.date(2026, 3, 16)
CODES = ("herne", "gelsenkirchen", "bochum")
SCENARIO_RULE = {
    "kind_doppelt_gemeldet": "LAND_KIND_MEHRFACH_GEMELDET",
    "kg_doppelbezug": "LAND_KG_DOPPELBEZUG",
    "sgb2_mehrfach": "LAND_SGB2_MEHRFACH",
    "schule_anderswo": "LAND_SCHULE_ANDERSWO_GEMELDET",
}


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[City]]:
    from missimo.synth.land import generate_land

    out = tmp_path_factory.mktemp("land")
    generate_land(3, 1000, 7, STICHTAG, out)
    cities = []
    for code in CODES:
        snaps = {}
        for source in CITY_SOURCES:
            snaps[source] = out / code / f"{source}.parquet"
            result = read_source(source, out / code / f"{source}.csv")
            assert result.rejected_count == 0
            write_snapshot(result.table, snaps[source])
        cities.append(City(code, code.title(), snaps))
    return out, cities


@pytest.fixture(scope="module")
def linked(state: tuple[Path, list[City]], tmp_path_factory: pytest.TempPathFactory):
    _, cities = state
    work = tmp_path_factory.mktemp("run") / "work"
    output = run_land(cities, STICHTAG, work, work.parent / "out", em_max_pairs=100_000, u_max_pairs=200_000)
    return output, work


@pytest.fixture(scope="module")
def perfect(state: tuple[Path, list[City]], tmp_path_factory: pytest.TempPathFactory):
    out, cities = state
    truth = pl.read_csv(out / "truth" / "land_links.csv", separator=";", infer_schema_length=0)
    work = tmp_path_factory.mktemp("truth") / "work"
    return run_land(cities, STICHTAG, work, work.parent / "out", truth_links=list(truth.iter_rows()))


def _keys(hints, rule: str) -> set[tuple[str, str]]:
    return {(h.city, h.primary_ref) for h in hints if h.rule == rule}


def test_every_planted_cross_city_case_is_an_expected_hint_and_movers_are_not(
    state: tuple[Path, list[City]], perfect
) -> None:
    out, _ = state
    scenarios = pl.read_csv(out / "truth" / "land_scenarios.csv", separator=";")
    expected = {(h.rule, h.city, h.primary_ref) for h in perfect.hints}
    for szenario, stadt, beleg in scenarios.iter_rows():
        if szenario == "umzug":
            assert not any((c, r) == (stadt, beleg) for _, c, r in expected), beleg
        else:
            assert (SCENARIO_RULE[szenario], stadt, beleg) in expected, (szenario, stadt, beleg)
    assert perfect.per_rule["LAND_KG_KIND_NIRGENDS_GEMELDET"] > 0


@pytest.mark.parametrize("rule", [r.code for r in LAND_RULES])
def test_the_linked_run_finds_the_cross_city_hints_of_perfect_linkage(linked, perfect, rule: str) -> None:
    output, _ = linked
    got, want = _keys(output.hints, rule), _keys(perfect.hints, rule)
    assert want, f"the synthetic state must plant {rule}"
    true_positive = len(got & want)
    precision = true_positive / len(got) if got else 0.0
    recall = true_positive / len(want)
    assert precision >= 0.98 and recall >= 0.98, (rule, precision, recall, got ^ want)


def test_each_city_file_holds_only_that_citys_hints_in_the_contract_format(
    state: tuple[Path, list[City]], linked
) -> None:
    out, _ = state
    output, _ = linked
    assert set(output.files) == set(CODES)
    for code, path in output.files.items():
        rows = list(csv.reader(path.open(encoding="utf-8"), delimiter=";"))
        assert rows[0] == [
            "Hinweis_ID",
            "Regel",
            "Objekt_ID",
            "Adresse",
            "Belege",
            "Betrag_monatlich",
            "Erklaerung",
        ]
        assert len(rows) - 1 == sum(1 for h in output.hints if h.city == code) > 0
        own = set()
        for source in CITY_SOURCES:
            frame = pl.read_parquet(out / code / f"{source}.parquet")
            own |= {f"{source}:{k}" for k in frame["_key"].to_list()}
        for row in rows[1:]:
            assert all(ref in own for ref in row[4].split("|")), row
            assert code.title() not in row[6].split("zugleich")[-1], "a hint names another city, not its own"


def test_nothing_of_the_analysis_store_is_kept_after_the_run(linked) -> None:
    _, work = linked
    assert not work.exists()


def test_the_analysis_store_is_deleted_when_the_run_fails(tmp_path: Path) -> None:
    broken = tmp_path / "kaputt.parquet"
    broken.write_bytes(b"kein Parquet")
    cities = [City("a", "A", {"melderegister": broken}), City("b", "B", {"melderegister": broken})]
    with pytest.raises(Exception):  # noqa: B017  (DuckDB's own error)
        run_land(cities, STICHTAG, tmp_path / "work", tmp_path / "out")
    assert not (tmp_path / "work").exists()


def test_a_state_run_needs_two_distinct_cities_with_valid_codes(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="mindestens zwei Städte"):
        run_land([City("a", "A", {})], STICHTAG, tmp_path / "w", tmp_path / "o")
    with pytest.raises(ValueError, match="nur einmal"):
        run_land([City("a", "A", {}), City("a", "A", {})], STICHTAG, tmp_path / "w", tmp_path / "o")
    with pytest.raises(ValueError, match="Ungültiges Stadtkürzel"):
        City("Herne Süd", "Herne", {})


def test_the_command_refuses_a_city_without_a_directory_in_german(tmp_path: Path, capsys) -> None:
    from missimo.cli import main

    code = main(["land", "run", "--stadt", f"herne={tmp_path / 'fehlt'}", "--out", str(tmp_path / "o")])
    assert code == 2
    assert "erwartet KÜRZEL=VERZEICHNIS" in capsys.readouterr().err


def test_synth_with_cities_writes_one_directory_per_city_and_the_state_truth(tmp_path: Path, capsys) -> None:
    from missimo.synth import cli_main

    argv = [
        "--cities",
        "2",
        "--residents",
        "1000",
        "--seed",
        "3",
        "--stichtag",
        "2026-03-16",
        "--out",
        str(tmp_path),
    ]
    assert cli_main(argv) == 0
    for code in ("herne", "gelsenkirchen"):
        assert (tmp_path / code / "melderegister.csv").exists()
    gelsenkirchen = pl.read_csv(
        tmp_path / "gelsenkirchen" / "melderegister.csv", separator=";", infer_schema_length=0
    )
    assert "Herne" not in set(gelsenkirchen["Ort"].to_list()), "the generator's city is renamed"
    assert gelsenkirchen.filter(pl.col("Ort") == "Gelsenkirchen")["PLZ"].str.starts_with("458").all()
    assert (tmp_path / "truth" / "land_links.csv").exists()
    scenarios = pl.read_csv(tmp_path / "truth" / "land_scenarios.csv", separator=";")
    assert set(scenarios["szenario"]) == {"umzug", *SCENARIO_RULE}
    assert "truth/land_scenarios" in capsys.readouterr().out


def test_synth_refuses_more_cities_than_it_knows(tmp_path: Path, capsys) -> None:
    from missimo.synth import cli_main

    argv = ["--cities", "11", "--residents", "1000", "--stichtag", "2026-03-16", "--out", str(tmp_path)]
    assert cli_main(argv) == 2
    assert "cities muss zwischen 2 und 10" in capsys.readouterr().out
