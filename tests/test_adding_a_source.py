"""Proof by adding: a seventh source is one descriptor (docs/contributing.md, "Eine siebte Quelle").

The toy source below, a Wohngeld register, is declared exactly as a maintainer would declare it in
``engine/sources.py``; nothing else is written for it. Everything that follows from a descriptor
must then know it: the reader validates its files, the linkage builds person records from it and
links its persons to the Melderegister, the Art. 15 search finds a person's rows in its snapshots,
and the delivery choices and the command line offer it.
"""

from __future__ import annotations

import csv
import datetime as dt

import duckdb
import pytest

from missimo import engine
from missimo.engine.sources import Field, FieldType, PersonColumns, SourceLayout

WOHNGELD = SourceLayout(
    name="wohngeld",
    label="Wohngeld (Wohngeldstelle)",
    description="Eine Zeile je Person eines Wohngeld-Haushalts.",
    fields=(
        Field("Wohngeld_ID", "Wohngeld-ID", required=True),
        Field("Person_Nr", "Person", FieldType.INTEGER, required=True, min_value=1),
        Field("Familienname", "Familienname", required=True),
        Field("Vornamen", "Vornamen", required=True),
        Field("Geburtsdatum", "Geburtsdatum", FieldType.DATE, required=True, format_hint="TT.MM.JJJJ"),
        Field("Geschlecht", "Geschlecht", choices=("m", "w", "d", "x")),
        Field("Strasse", "Straße", required=True),
        Field("Hausnummer", "Hausnummer", required=True),
        Field("Hausnummerzusatz", "Hausnummerzusatz"),
        Field("PLZ", "PLZ", required=True, pattern=r"\d{5}"),
        Field("Ort", "Ort"),
        Field("Betrag", "Betrag (€/Monat)", FieldType.DECIMAL, min_value=0),
    ),
    key=("Wohngeld_ID", "Person_Nr"),
    duplicate_key=("Wohngeld_ID", "Person_Nr"),
    owner="wohngeldstelle",
    owner_label="Wohngeldstelle",
    persons=(
        PersonColumns(
            "wohngeld",
            "Familienname",
            "Vornamen",
            "Geburtsdatum",
            ("Wohngeld_ID", "Person_Nr"),
            ("Wohngeld_ID",),
        ),
    ),
)


@pytest.fixture
def wohngeld():
    engine.register_source(WOHNGELD)
    yield WOHNGELD
    engine.unregister_source(WOHNGELD.name)


def _residents(city, n: int) -> list[dict]:
    """The first n adults with a main residence in the synthetic city's Melderegister."""
    with open(city / "melderegister.csv", encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.DictReader(stream, delimiter=";"))
    adults = []
    for r in rows:
        day, month, year = r["Geburtsdatum"].split(".")
        if (
            r["Wohnungsstatus"] == "H"
            and not r["Auszugsdatum"]
            and "00" not in (day, month)
            and int(year) < 1990
        ):
            adults.append({**r, "Geburtsdatum": f"{year}-{month}-{day}"})
    return adults[:n]


def _wohngeld_csv(residents: list[dict]) -> bytes:
    lines = [
        "Wohngeld_ID;Person_Nr;Familienname;Vornamen;Geburtsdatum;Geschlecht;Strasse;Hausnummer;Hausnummerzusatz;PLZ;Ort;Betrag"
    ]
    for i, r in enumerate(residents, start=1):
        born = dt.date.fromisoformat(r["Geburtsdatum"])
        lines.append(
            ";".join(
                [
                    f"WG-{i:04d}",
                    "1",
                    r["Familienname"],
                    r["Vornamen"].split()[0],
                    born.strftime("%d.%m.%Y"),
                    r["Geschlecht"],
                    r["Strasse"],
                    r["Hausnummer"],
                    r["Hausnummerzusatz"],
                    r["PLZ"],
                    r["Ort"],
                    "212,50",
                ]
            )
        )
    return ("\n".join(lines) + "\n").encode("utf-8")


def test_a_registered_source_is_read_checked_and_refused_like_the_six(wohngeld):
    good = engine.read_source(
        "wohngeld",
        b"Wohngeld_ID;Person_Nr;Familienname;Vornamen;Geburtsdatum;Strasse;Hausnummer;PLZ\n"
        b"WG-1;1;Kaya;Ayse;03.04.1980;Hauptstr.;3;44623\nWG-1;2;Kaya;Emre;31.02.1981;Hauptstr.;3;44623\n",
    )
    assert good.table.num_rows == 1
    (bad,) = good.rejected
    assert bad.row == 3 and [e.column for e in bad.errors] == ["Geburtsdatum"]
    with pytest.raises(engine.ImportRefused, match="Familienname"):
        engine.read_source(
            "wohngeld",
            b"Wohngeld_ID;Person_Nr;Vornamen;Geburtsdatum;Strasse;Hausnummer;PLZ\nWG-1;1;A;03.04.1980;H;3;44623\n",
        )


def test_a_registered_source_is_linked_and_found_without_further_code(wohngeld, tiny_city, tmp_path):
    residents = _residents(tiny_city, 25)
    assert len(residents) == 25
    snapshots = {}
    for name, data in (
        ("melderegister", (tiny_city / "melderegister.csv").read_bytes()),
        ("objekte", (tiny_city / "objekte.csv").read_bytes()),
        ("wohngeld", _wohngeld_csv(residents)),
    ):
        result = engine.read_source(name, data)
        snapshots[name] = tmp_path / f"{name}.parquet"
        engine.write_snapshot(result.table, snapshots[name])

    assert "wohngeld" in engine.person_sources()
    output = engine.run_abgleich(snapshots, dt.date(2026, 9, 15), tmp_path / "run")
    assert output.counts["rows_wohngeld"] == 25

    # The linkage built records from the descriptor and joined the Wohngeld persons to the register
    # (the run deletes persons without a hint afterwards, so link once more and look).
    from missimo.engine.linkage import link_persons

    con = duckdb.connect()
    sources = {k: str(v) for k, v in snapshots.items() if k != "objekte"}
    link_persons(con, sources, model_path=tmp_path / "model.json")
    joined = con.execute(
        "SELECT count(DISTINCT w.record_key) FROM person_link w JOIN person_link m "
        "ON m.person_id = w.person_id AND m.entity = 'melderegister' WHERE w.entity = 'wohngeld'"
    ).fetchone()[0]
    assert joined >= 24  # every one of the 25, allowing one for a name the register spells twice

    # The Art. 15 search finds the person's rows in the new source and names their references.
    person = residents[0]
    rows = engine.find_person_rows(
        snapshots["wohngeld"],
        "wohngeld",
        family_name=person["Familienname"],
        birth_date=person["Geburtsdatum"],
    )
    assert [r["Wohngeld_ID"] for r in rows] == ["WG-0001"]
    assert engine.record_refs("wohngeld", rows) == {"wohngeld:WG-0001/1"}


def test_a_registered_source_is_offered_for_delivery_and_on_the_command_line(wohngeld):
    from missimo.cli import build_parser
    from missimo.imports.models import source_choices

    assert ("wohngeld", "Wohngeld (Wohngeldstelle)") in source_choices()
    parser = build_parser()
    args = parser.parse_args(["import", "wohngeld", "lieferung.csv"])
    assert args.source == "wohngeld"
