"""The synthetic city: contract formats, determinism, variants, planted scenarios and traps."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path

import polars as pl
import pytest

from missimo.synth import cli_main, generate
from missimo.synth.records import COLUMNS

STICHTAG = "2026-03-15"


def read(path: Path, encoding: str = "utf-8") -> pl.DataFrame:
    text = path.read_bytes().decode(encoding)
    return pl.read_csv(text.encode(), separator=";", infer_schema=False).fill_null("")


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("city")
    generate(20_000, 11, STICHTAG, out)
    return out


@pytest.fixture(scope="module")
def frames(city: Path) -> dict[str, pl.DataFrame]:
    return {name: read(city / f"{name}.csv") for name in COLUMNS}


def test_the_six_exports_carry_exactly_the_contract_headers(city: Path) -> None:
    for name, cols in COLUMNS.items():
        first = (city / f"{name}.csv").read_text(encoding="utf-8").splitlines()[0]
        assert first.split(";") == cols


DATE = re.compile(r"^\d{2}\.\d{2}\.\d{4}$")


def _valid_date(v: str) -> bool:
    if not DATE.match(v):
        return False
    try:
        dt.datetime.strptime(v, "%d.%m.%Y")
    except ValueError:
        return False
    return True


def test_keys_dates_and_amounts_follow_the_contract(frames: dict[str, pl.DataFrame]) -> None:
    kg = frames["kindergeld"]
    assert kg["Kindergeldnummer"].str.contains(r"^\d{3}FK\d{6}$").all()
    assert kg["Kind_Wohnsitz"].is_in(["Inland", "Ausland"]).all()
    assert kg["Monatsbetrag"].is_in(["250,00", "255,00", "259,00"]).all()
    keys = kg["Kindergeldnummer"] + "/" + kg["Kind_Nr"]
    assert keys.n_unique() == kg.height
    jc = frames["jobcenter"]
    assert jc["BG_Nummer"].str.contains(r"^\d{5}BG\d{7}$").all()
    assert (jc["BG_Nummer"] + "/" + jc["Person_Nr"]).n_unique() == jc.height
    assert jc.filter(pl.col("Erwerbseinkommen") != "")["Erwerbseinkommen"].str.contains(r"^\d+,\d{2}$").all()
    sch = frames["schule"]
    assert sch["Schulnummer"].str.contains(r"^\d{6}$").all()
    assert (sch["Schulnummer"] + "/" + sch["Schueler_ID"]).n_unique() == sch.height
    assert frames["seu"]["Status"].is_in(["untersucht", "nicht erschienen", "verzogen"]).all()
    assert frames["seu"]["SEU_ID"].n_unique() == frames["seu"].height
    mreg = frames["melderegister"]
    assert mreg["Wohnungsstatus"].is_in(["H", "N"]).all()
    assert (
        mreg["Abmeldegrund"].is_in(["", "Umzug", "Wegzug", "Wegzug Ausland", "von Amts wegen", "Tod"]).all()
    )
    assert ((mreg["Auszugsdatum"] == "") == (mreg["Abmeldegrund"] == "")).all()
    assert mreg["Geburtsdatum"].str.contains(r"^(\d{2}|00)\.(\d{2}|00)\.\d{4}$").all()
    assert mreg["Staatsangehoerigkeit"].str.contains(r"^[A-Z]{2}(,[A-Z]{2})*$").all()
    obj = frames["objekte"]
    assert obj["Objekt_ID"].n_unique() == obj.height
    east = obj["UTM_Ost"].str.replace(",", ".").cast(pl.Float64)
    north = obj["UTM_Nord"].str.replace(",", ".").cast(pl.Float64)
    assert east.is_between(370_000, 380_000).all() and north.is_between(5_710_000, 5_720_000).all()
    assert obj["PLZ"].cast(pl.Int64).is_between(44623, 44653).all()
    for name, df in frames.items():
        for col in df.columns:
            if col.endswith(("datum", "_ab", "_bis", "Stand", "Anwesenheitstag")) and col != "Geburtsdatum":
                vals = df.filter(pl.col(col) != "")[col]
                assert all(_valid_date(v) for v in vals.unique().to_list()), (name, col)
    for col in ("Strasse", "Hausnummer", "PLZ", "Ort"):
        for name in ("melderegister", "kindergeld", "jobcenter", "seu", "objekte"):
            assert (frames[name][col] != "").all(), (name, col)


def test_a_person_who_moved_within_the_city_has_several_melderegister_rows(frames: dict) -> None:
    mreg = frames["melderegister"]
    movers = mreg.filter(pl.col("Abmeldegrund") == "Umzug")["Ordnungsmerkmal"]
    assert movers.len() > 100
    assert mreg.filter(pl.col("Ordnungsmerkmal").is_in(movers.implode())).height > movers.len()


def test_spelling_variants_occur_between_registers(frames: dict[str, pl.DataFrame]) -> None:
    text = {name: df.select(pl.all().str.join(";")).row(0) for name, df in frames.items()}
    others = ";".join(";".join(text[n]) for n in ("kindergeld", "schule", "jobcenter", "seu"))
    mreg = ";".join(text["melderegister"])
    assert "ș" in mreg and "ş" in others  # Romanian comma below vs cedilla
    assert re.search(r"[А-Яа-я]", others)  # Bulgarian left in Cyrillic
    assert "Iwanow" in others or "Iwanowa" in others or "Georgiew" in others  # German transliteration
    assert "ı" in mreg and re.search(r"\bYilmaz\b|\bOzturk\b|\bSimsek\b|\bSahin\b|\bCelik\b", others)
    assert "ae" in others and "ss" in others
    assert "str.;" in others.lower() and "00.00." in mreg
    assert "Bahnhof-Straße" in others or "-Straße" in others
    hnr = frames["kindergeld"]["Hausnummer"]
    assert hnr.str.contains(r"^\d+[a-z]$").any() and hnr.str.contains(r"^\d+ [a-z]$").any()


def _fired(city: Path) -> tuple[pl.DataFrame, dict[str, set[str]]]:
    sc = read(city / "truth" / "scenarios.csv")
    hints = read(city / "truth" / "expected_hints.csv")
    by_ref: dict[str, set[str]] = {}
    for ref, rule in hints.select("Primaerbeleg", "Regel").iter_rows():
        by_ref.setdefault(ref, set()).add(rule)
    return sc, by_ref


def test_every_planted_misuse_scenario_appears_in_expected_hints(city: Path) -> None:
    sc, by_ref = _fired(city)
    misuse = sc.filter(pl.col("kind") == "misuse")
    assert misuse["scenario"].n_unique() == 11
    for row in misuse.iter_rows(named=True):
        fired = set().union(*(by_ref.get(r, set()) for r in row["records"].split("|")))
        assert fired & set(row["rules"].split("|")), row


def test_traps_do_not_appear_in_expected_hints_except_the_documented_one(city: Path) -> None:
    sc, by_ref = _fired(city)
    traps = sc.filter(pl.col("kind") == "trap")
    assert traps["scenario"].n_unique() >= 12
    for row in traps.iter_rows(named=True):
        fired = set().union(*(by_ref.get(r, set()) for r in row["records"].split("|")))
        hit = bool(fired & set(row["rules"].split("|")))
        assert hit == (row["hint_expected"] == "ja"), row


def test_expected_hints_name_rule_primary_record_and_property(city: Path) -> None:
    hints = read(city / "truth" / "expected_hints.csv")
    assert hints.columns[:3] == ["Regel", "Primaerbeleg", "Objekt_ID"]
    assert hints["Primaerbeleg"].str.contains(r"^(kindergeld|schule|jobcenter|seu|objekte):").all()
    assert (hints["Belege"].str.split("|").list.first() == hints["Primaerbeleg"]).all()
    assert hints.select("Regel", "Primaerbeleg").is_duplicated().sum() == 0
    assert set(hints["Regel"]) == {
        "KG_OHNE_SCHULE", "KG_NACH_ABMELDUNG", "KG_KIND_NICHT_GEMELDET", "KG_DOPPELBEZUG", "SCHULABSENTISMUS",
        "SCHULE_OHNE_MELDUNG", "SEU_NICHT_ERSCHIENEN", "UEBERBELEGUNG", "MELDE_FLUKTUATION",
        "SGB2_NACH_ABMELDUNG", "ARBEITGEBER_HAEUFUNG", "ADRESSE_UNBEKANNT",
    }  # fmt: skip


def test_truth_names_the_person_behind_every_record(city: Path, frames: dict[str, pl.DataFrame]) -> None:
    rt = read(city / "truth" / "records.csv")
    assert rt.columns[:5] == ["source", "key", "row", "role", "person_id"]
    for name, df in frames.items():
        n = rt.filter(pl.col("source") == name).height
        assert n == df.height * (2 if name == "kindergeld" else 1)
    people = rt.filter(pl.col("source") != "objekte")
    assert people["person_id"].str.contains(r"^P\d{7}$").all()
    kg = rt.filter(pl.col("source") == "kindergeld")
    assert set(kg["role"]) == {"berechtigter", "kind"}


@pytest.mark.parametrize("residents", [1_000, 3_000])
def test_a_small_city_generates_in_seconds_and_plants_every_scenario(tmp_path: Path, residents: int) -> None:
    counts = generate(residents, 5, "2025-10-01", tmp_path)
    assert counts["melderegister"] >= residents
    sc = read(tmp_path / "truth" / "scenarios.csv")
    assert sc.filter(pl.col("kind") == "misuse")["scenario"].n_unique() == 11


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_same_seed_gives_byte_identical_exports(tmp_path: Path) -> None:
    generate(2_000, 7, STICHTAG, tmp_path / "a")
    generate(2_000, 7, STICHTAG, tmp_path / "b")
    generate(2_000, 8, STICHTAG, tmp_path / "c")
    a, b, c = (_digest(tmp_path / x) for x in "abc")
    assert a == b
    assert a["melderegister.csv"] != c["melderegister.csv"]


def test_cp1252_export_is_windows_1252_without_losing_rows(tmp_path: Path) -> None:
    generate(3_000, 2, STICHTAG, tmp_path / "w", encoding="cp1252")
    generate(3_000, 2, STICHTAG, tmp_path / "u")
    raw = (tmp_path / "w" / "melderegister.csv").read_bytes()
    raw.decode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        (tmp_path / "w" / "kindergeld.csv").read_bytes().decode("utf-8")
    assert (
        read(tmp_path / "w" / "kindergeld.csv", "cp1252").height
        == read(tmp_path / "u" / "kindergeld.csv").height
    )


def test_xlsx_export_has_the_contract_header_in_row_one(tmp_path: Path) -> None:
    import openpyxl

    generate(1_000, 3, STICHTAG, tmp_path, fmt="xlsx")
    wb = openpyxl.load_workbook(tmp_path / "seu.xlsx", read_only=True)
    header = next(wb.worksheets[0].iter_rows(max_row=1, values_only=True))
    assert list(header) == COLUMNS["seu"]


def test_cli_main_writes_the_city_and_returns_zero(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    argv = ["--residents", "1000", "--seed", "4", "--stichtag", STICHTAG, "--out", str(tmp_path)]
    assert cli_main(argv) == 0
    assert (tmp_path / "objekte.csv").exists() and (tmp_path / "truth" / "expected_hints.csv").exists()
    assert "melderegister" in capsys.readouterr().out


def test_cli_main_refuses_a_stichtag_outside_the_holiday_calendar(tmp_path: Path) -> None:
    argv = ["--residents", "1000", "--stichtag", "2031-01-01", "--out", str(tmp_path)]
    assert cli_main(argv) == 2


@pytest.mark.parametrize("stichtag", ["2024-03-01", "2025-08-10", "2025-10-31", "2027-06-30"])
def test_scenarios_hold_on_any_stichtag_including_holidays_and_month_ends(
    tmp_path: Path, stichtag: str
) -> None:
    generate(4_000, 9, stichtag, tmp_path)
    sc, by_ref = _fired(tmp_path)
    for row in sc.iter_rows(named=True):
        fired = set().union(*(by_ref.get(r, set()) for r in row["records"].split("|")))
        assert bool(fired & set(row["rules"].split("|"))) == (row["hint_expected"] == "ja"), row


def test_nationality_mix_of_planted_misuse_matches_the_population(city: Path) -> None:
    rt = read(city / "truth" / "records.csv").filter(pl.col("source") == "melderegister")
    mreg = read(city / "melderegister.csv").with_row_index("i")
    nat = mreg.select("Ordnungsmerkmal", "Staatsangehoerigkeit").unique("Ordnungsmerkmal")
    pid = rt.select(Ordnungsmerkmal=pl.col("key"), person_id=pl.col("person_id")).unique("Ordnungsmerkmal")
    people = nat.join(pid, on="Ordnungsmerkmal")
    sc = read(city / "truth" / "scenarios.csv").filter(pl.col("kind") == "misuse")
    planted = set("|".join(sc["person_ids"]).split("|"))
    share_all = (people["Staatsangehoerigkeit"] != "DE").mean()
    share_planted = (
        people.filter(pl.col("person_id").is_in(list(planted)))["Staatsangehoerigkeit"] != "DE"
    ).mean()
    assert abs(share_planted - share_all) < 0.12


def test_cli_main_lets_an_operator_change_a_scenario_rate(tmp_path: Path) -> None:
    argv = [
        "--residents",
        "1000",
        "--stichtag",
        STICHTAG,
        "--out",
        str(tmp_path),
        "--rate",
        "geisterkinder=500",
    ]
    assert cli_main(argv) == 0
    sc = read(tmp_path / "truth" / "scenarios.csv")
    assert sc.filter(pl.col("scenario") == "GEISTERKIND").height == 5
    with pytest.raises(SystemExit):
        cli_main([*argv[:-1], "gibtesnicht=1"])


def test_a_claim_writes_its_entitled_person_and_address_the_same_way_in_every_row(frames: dict) -> None:
    per_claim = ["Berechtigter_Familienname", "Berechtigter_Vornamen", "Berechtigter_Geburtsdatum", "Strasse"]
    spread = frames["kindergeld"].group_by("Kindergeldnummer").agg(pl.col(c).n_unique() for c in per_claim)
    assert spread.select(pl.max_horizontal(per_claim).max()).item() == 1
    bg = frames["jobcenter"].group_by("BG_Nummer").agg(pl.col("Strasse").n_unique())
    assert bg["Strasse"].max() == 1


def test_the_engine_reader_accepts_every_row_of_every_export(city: Path, frames: dict) -> None:
    from missimo.engine.reader import read_source

    for name, df in frames.items():
        result = read_source(name, city / f"{name}.csv")
        assert result.rejected_count == 0, (name, result.errors[:3])
        assert result.accepted_count == df.height
