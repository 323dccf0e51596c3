"""Proof by adding: a seventh source is one descriptor (docs/contributing.md, "Eine siebte Quelle").

The toy source below, the Familienkasse's Kinderzuschlag register, is declared exactly as a maintainer would declare it in
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

KINDERZUSCHLAG = SourceLayout(
    name="kinderzuschlag",
    label="Kinderzuschlag (Familienkasse)",
    description="Eine Zeile je Person einer Bedarfsgemeinschaft mit Kinderzuschlag.",
    fields=(
        Field("KiZ_Nummer", "KiZ-Nummer", required=True),
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
    key=("KiZ_Nummer", "Person_Nr"),
    duplicate_key=("KiZ_Nummer", "Person_Nr"),
    owner="familienkasse",
    owner_label="Familienkasse",
    persons=(
        PersonColumns(
            "kinderzuschlag",
            "Familienname",
            "Vornamen",
            "Geburtsdatum",
            ("KiZ_Nummer", "Person_Nr"),
            ("KiZ_Nummer",),
        ),
    ),
)


@pytest.fixture
def kinderzuschlag():
    engine.register_source(KINDERZUSCHLAG)
    yield KINDERZUSCHLAG
    engine.unregister_source(KINDERZUSCHLAG.name)


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


def _kinderzuschlag_csv(residents: list[dict]) -> bytes:
    lines = [
        "KiZ_Nummer;Person_Nr;Familienname;Vornamen;Geburtsdatum;Geschlecht;Strasse;Hausnummer;Hausnummerzusatz;PLZ;Ort;Betrag"
    ]
    for i, r in enumerate(residents, start=1):
        born = dt.date.fromisoformat(r["Geburtsdatum"])
        lines.append(
            ";".join(
                [
                    f"KZ-{i:04d}",
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


def test_a_registered_source_is_read_checked_and_refused_like_the_six(kinderzuschlag):
    good = engine.read_source(
        "kinderzuschlag",
        b"KiZ_Nummer;Person_Nr;Familienname;Vornamen;Geburtsdatum;Strasse;Hausnummer;PLZ\n"
        b"KZ-1;1;Kaya;Ayse;03.04.1980;Hauptstr.;3;44623\nKZ-1;2;Kaya;Emre;31.02.1981;Hauptstr.;3;44623\n",
    )
    assert good.table.num_rows == 1
    (bad,) = good.rejected
    assert bad.row == 3 and [e.column for e in bad.errors] == ["Geburtsdatum"]
    with pytest.raises(engine.ImportRefused, match="Familienname"):
        engine.read_source(
            "kinderzuschlag",
            b"KiZ_Nummer;Person_Nr;Vornamen;Geburtsdatum;Strasse;Hausnummer;PLZ\nKZ-1;1;A;03.04.1980;H;3;44623\n",
        )


def test_a_registered_source_is_linked_and_found_without_further_code(kinderzuschlag, tiny_city, tmp_path):
    residents = _residents(tiny_city, 25)
    assert len(residents) == 25
    snapshots = {}
    for name, data in (
        ("melderegister", (tiny_city / "melderegister.csv").read_bytes()),
        ("objekte", (tiny_city / "objekte.csv").read_bytes()),
        ("kinderzuschlag", _kinderzuschlag_csv(residents)),
    ):
        result = engine.read_source(name, data)
        snapshots[name] = tmp_path / f"{name}.parquet"
        engine.write_snapshot(result.table, snapshots[name])

    assert "kinderzuschlag" in engine.person_sources()
    output = engine.run_abgleich(snapshots, dt.date(2026, 9, 15), tmp_path / "run")
    assert output.counts["rows_kinderzuschlag"] == 25

    # The linkage built records from the descriptor and joined the Kinderzuschlag persons to the register
    # (the run deletes persons without a hint afterwards, so link once more and look).
    from missimo.engine.linkage import link_persons

    con = duckdb.connect()
    sources = {k: str(v) for k, v in snapshots.items() if k != "objekte"}
    link_persons(con, sources, model_path=tmp_path / "model.json")
    joined = con.execute(
        "SELECT count(DISTINCT w.record_key) FROM person_link w JOIN person_link m "
        "ON m.person_id = w.person_id AND m.entity = 'melderegister' WHERE w.entity = 'kinderzuschlag'"
    ).fetchone()[0]
    assert joined >= 24  # every one of the 25, allowing one for a name the register spells twice

    # The Art. 15 search finds the person's rows in the new source and names their references.
    person = residents[0]
    rows = engine.find_person_rows(
        snapshots["kinderzuschlag"],
        "kinderzuschlag",
        family_name=person["Familienname"],
        birth_date=person["Geburtsdatum"],
    )
    assert [r["KiZ_Nummer"] for r in rows] == ["KZ-0001"]
    assert engine.record_refs("kinderzuschlag", rows) == {"kinderzuschlag:KZ-0001/1"}


def test_a_registered_source_is_offered_for_delivery_and_on_the_command_line(kinderzuschlag, fabian, kim):
    from missimo.accounts import policy
    from missimo.cli import build_parser
    from missimo.imports.models import source_choices

    assert ("kinderzuschlag", "Kinderzuschlag (Familienkasse)") in source_choices()
    parser = build_parser()
    args = parser.parse_args(["import", "kinderzuschlag", "lieferung.csv"])
    assert args.source == "kinderzuschlag"
    # Its owner's role delivers it (the descriptor names the Familienkasse), as does the coordination
    # office, which may deliver every source.
    assert policy.delivery_sources(fabian) == ["kindergeld", "kinderzuschlag"]
    assert "kinderzuschlag" in policy.delivery_sources(kim)
