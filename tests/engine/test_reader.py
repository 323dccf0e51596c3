"""Reading agency exports: hand-made good and bad files."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from decimal import Decimal

import pyarrow.parquet as pq
import pytest
import xlsxwriter

from missimo.engine.reader import (
    ImportRefused,
    read_source,
    sha256_of,
    snapshot_schema,
    write_rejected_csv,
    write_snapshot,
)
from missimo.engine.sources import SOURCES

ADDRESS = {
    "Strasse": "Bahnhofstr.",
    "Hausnummer": "12",
    "Hausnummerzusatz": "a",
    "PLZ": "44623",
    "Ort": "Herne",
}

VALID: dict[str, dict[str, str]] = {
    "melderegister": {
        "Ordnungsmerkmal": "100001",
        "Familienname": "Popescu",
        "Vornamen": "Ion Mihai",
        "Geburtsname": "",
        "Geburtsdatum": "00.05.1990",
        "Geschlecht": "m",
        "Staatsangehoerigkeit": "RO",
        **ADDRESS,
        "Wohnung": "EG links",
        "Wohnungsstatus": "H",
        "Einzugsdatum": "01.02.2020",
        "Auszugsdatum": "",
        "Abmeldegrund": "",
    },
    "kindergeld": {
        "Kindergeldnummer": "214FK123456",
        "Kind_Nr": "2",
        "Berechtigter_Familienname": "Popescu",
        "Berechtigter_Vornamen": "Ion",
        "Berechtigter_Geburtsdatum": "03.04.1985",
        **ADDRESS,
        "Kind_Familienname": "Popescu",
        "Kind_Vornamen": "Ana",
        "Kind_Geburtsdatum": "2015-06-07",
        "Kind_Wohnsitz": "Inland",
        "Zahlung_ab": "01.2024",
        "Zahlung_bis": "",
        "Monatsbetrag": "259,00",
    },
    "schule": {
        "Schulnummer": "123456",
        "Schulname": "GS Am Markt",
        "Schueler_ID": "S-1",
        "Nachname": "Popescu",
        "Vorname": "Ana",
        "Geburtsdatum": "07.06.2015",
        "Geschlecht": "w",
        **ADDRESS,
        "Klasse": "3b",
        "Aufnahmedatum": "01.08.2021",
        "Entlassdatum": "",
        "Letzter_Anwesenheitstag": "12.03.2026",
        "Fehlstunden_unentschuldigt": "14",
        "Stand": "15.05.2026",
    },
    "jobcenter": {
        "BG_Nummer": "12345BG1234567",
        "Person_Nr": "1",
        "Familienname": "Popescu",
        "Vornamen": "Ion",
        "Geburtsdatum": "03.04.1985",
        **ADDRESS,
        "Leistung_ab": "01.01.2025",
        "Leistung_bis": "",
        "Arbeitgeber": "Bau GmbH",
        "Erwerbseinkommen": "1.250,50",
    },
    "seu": {
        "SEU_ID": "SEU-7",
        "Familienname": "Popescu",
        "Vornamen": "Ana",
        "Geburtsdatum": "07.06.2019",
        "Geschlecht": "w",
        **ADDRESS,
        "Einschulungsjahr": "2025",
        "Einladungsdatum": "10.01.2025",
        "Status": "nicht erschienen",
    },
    "objekte": {
        "Objekt_ID": "OBJ-1",
        **ADDRESS,
        "Wohneinheiten": "8",
        "Wohnflaeche_m2": "612,5",
        "Eigentuemer": "Immo GmbH",
        "Baujahr": "1962",
        "UTM_Ost": "372.345,12",
        "UTM_Nord": "5712345.5",
    },
}


def to_csv(rows: list[dict[str, str]], *, delimiter: str = ";", encoding: str = "utf-8") -> bytes:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(list(rows[0]))
    for row in rows:
        writer.writerow(list(row.values()))
    return buf.getvalue().encode(encoding)


def row(source: str, **changes: str) -> dict[str, str]:
    return {**VALID[source], **changes}


def only_errors(result) -> list[tuple[int, str, str]]:
    return [(e.row, e.column, e.message) for e in result.errors]


# --- the valid reference row of every source -------------------------------------------------


@pytest.mark.parametrize("source", list(SOURCES))
def test_a_valid_reference_row_is_accepted_in_the_snapshot_schema(source):
    result = read_source(source, to_csv([row(source)]))
    assert result.rejected == ()
    assert result.accepted_count == 1
    assert result.table.schema == snapshot_schema(source)
    assert result.table.column("_row").to_pylist() == [2]


def test_typed_values_follow_the_engine_seams():
    kg = read_source("kindergeld", to_csv([row("kindergeld", Zahlung_bis="03.2026")])).table.to_pylist()[0]
    assert kg["_key"] == "214FK123456/2"
    assert kg["Kind_Nr"] == 2
    assert kg["Monatsbetrag"] == Decimal("259.00")
    assert kg["Zahlung_ab"] == dt.date(2024, 1, 1)
    assert kg["Zahlung_bis"] == dt.date(2026, 3, 31)  # last day: "paid at 15.03.2026" holds
    assert kg["Kind_Geburtsdatum"] == dt.date(2015, 6, 7)
    assert kg["Hausnummerzusatz"] == "a"
    mr = read_source("melderegister", to_csv([row("melderegister")])).table.to_pylist()[0]
    assert mr["Geburtsdatum"] == "1990-05-00"
    assert mr["Geburtsname"] is None  # empty -> NULL
    assert mr["_key"] == "100001"
    obj = read_source("objekte", to_csv([row("objekte")])).table.to_pylist()[0]
    assert obj["Wohnflaeche_m2"] == 612.5
    assert obj["UTM_Ost"] == 372345.12
    assert obj["UTM_Nord"] == 5712345.5
    jc = read_source("jobcenter", to_csv([row("jobcenter")])).table.to_pylist()[0]
    assert jc["Erwerbseinkommen"] == Decimal("1250.50")
    assert jc["_key"] == "12345BG1234567/1"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("01.2024", dt.date(2024, 1, 1)), ("15.01.2024", dt.date(2024, 1, 1)), ("2024-01", dt.date(2024, 1, 1))],
)
def test_payment_start_accepts_month_forms_and_stores_the_first_of_the_month(text, expected):
    result = read_source("kindergeld", to_csv([row("kindergeld", Zahlung_ab=text)]))
    assert result.table.column("Zahlung_ab").to_pylist() == [expected]


def test_payment_end_in_february_of_a_leap_year_is_the_29th():
    result = read_source(
        "kindergeld", to_csv([row("kindergeld", Zahlung_ab="2023-05-01", Zahlung_bis="02.2024")])
    )
    assert result.table.column("Zahlung_bis").to_pylist() == [dt.date(2024, 2, 29)]


# --- rejected rows ---------------------------------------------------------------------------


def test_an_impossible_date_is_rejected_with_row_column_value_and_german_reason():
    result = read_source(
        "schule", to_csv([row("schule"), row("schule", Schueler_ID="S-2", Geburtsdatum="31.02.2020")])
    )
    assert result.accepted_count == 1
    [err] = result.errors
    assert (err.row, err.column, err.value) == (3, "Geburtsdatum", "31.02.2020")
    assert err.message == "Dieses Datum gibt es nicht"


def test_zero_day_or_month_is_allowed_only_in_the_melderegister_birth_date():
    ok = read_source("melderegister", to_csv([row("melderegister", Geburtsdatum="00.00.1987")]))
    assert ok.table.column("Geburtsdatum").to_pylist() == ["1987-00-00"]
    bad = read_source("schule", to_csv([row("schule", Geburtsdatum="00.05.2015")]))
    assert only_errors(bad) == [(2, "Geburtsdatum", "Tag oder Monat 00 ist hier nicht zulässig")]
    impossible = read_source("melderegister", to_csv([row("melderegister", Geburtsdatum="15.00.1990")]))
    assert impossible.rejected_count == 1


@pytest.mark.parametrize(
    ("source", "changes", "column"),
    [
        ("melderegister", {"Einzugsdatum": "01.02.2020", "Auszugsdatum": "31.01.2020"}, "Auszugsdatum"),
        ("schule", {"Aufnahmedatum": "01.08.2021", "Entlassdatum": "31.07.2021"}, "Entlassdatum"),
        ("kindergeld", {"Zahlung_ab": "02.2024", "Zahlung_bis": "01.2024"}, "Zahlung_bis"),
        ("jobcenter", {"Leistung_ab": "01.01.2025", "Leistung_bis": "31.12.2024"}, "Leistung_bis"),
    ],
)
def test_an_end_before_its_start_is_rejected(source, changes, column):
    result = read_source(source, to_csv([row(source, **changes)]))
    [err] = result.errors
    assert err.column == column
    assert "liegt vor" in err.message


def test_payment_ending_in_the_month_it_starts_is_fine():
    result = read_source(
        "kindergeld", to_csv([row("kindergeld", Zahlung_ab="15.03.2024", Zahlung_bis="03.2024")])
    )
    assert result.rejected_count == 0


def test_a_deregistration_reason_needs_a_move_out_date():
    result = read_source("melderegister", to_csv([row("melderegister", Abmeldegrund="Tod")]))
    assert only_errors(result) == [
        (2, "Abmeldegrund", "Abmeldegrund ist nur mit einem Auszugsdatum zulässig")
    ]
    fine = row("melderegister", Auszugsdatum="01.03.2021", Abmeldegrund="wegzug ausland")
    assert read_source("melderegister", to_csv([fine])).table.column("Abmeldegrund").to_pylist() == [
        "Wegzug Ausland"
    ]


def test_duplicate_keys_reject_every_row_sharing_the_key_and_name_the_rows():
    rows = [row("kindergeld"), row("kindergeld", Kind_Nr="1"), row("kindergeld", Kind_Nr="02")]
    result = read_source("kindergeld", to_csv(rows))
    assert result.accepted_count == 1
    assert [r.row for r in result.rejected] == [2, 4]
    assert "Zeilen 2, 4" in result.rejected[0].errors[0].message


def test_melderegister_allows_several_periods_per_person_but_not_the_same_move_in_twice():
    rows = [
        row("melderegister", Einzugsdatum="01.02.2020", Auszugsdatum="01.03.2021", Abmeldegrund="Umzug"),
        row("melderegister", Einzugsdatum="01.03.2021", Strasse="Hauptstraße"),
    ]
    assert read_source("melderegister", to_csv(rows)).accepted_count == 2
    rows.append(row("melderegister", Einzugsdatum="2021-03-01"))
    result = read_source("melderegister", to_csv(rows))
    assert (result.accepted_count, [r.row for r in result.rejected]) == (1, [3, 4])


@pytest.mark.parametrize(
    ("source", "field", "value"),
    [
        ("kindergeld", "Kindergeldnummer", "214FK12345"),
        ("jobcenter", "BG_Nummer", "12345B1234567"),
        ("schule", "Schulnummer", "12345"),
        ("melderegister", "Geschlecht", "u"),
        ("melderegister", "Wohnungsstatus", "X"),
        ("kindergeld", "Kind_Wohnsitz", "Mond"),
        ("seu", "Status", "geimpft"),
        ("kindergeld", "Monatsbetrag", "259,005"),
        ("kindergeld", "Monatsbetrag", "2.590"),  # ambiguous point
        ("kindergeld", "Kind_Nr", "zwei"),
        ("objekte", "Baujahr", "19620"),
        ("melderegister", "Familienname", ""),
        ("melderegister", "PLZ", "4462"),
    ],
)
def test_malformed_or_missing_values_are_rejected_with_a_reason(source, field, value):
    result = read_source(source, to_csv([row(source, **{field: value})]))
    assert result.accepted_count == 0
    [err] = result.errors
    assert err.column == field
    assert err.value == value
    assert err.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("259,00", Decimal("259.00")),
        ("1.234,56", Decimal("1234.56")),
        ("1234.56", Decimal("1234.56")),
        ("1,234.56", Decimal("1234.56")),
        ("1.234.567", Decimal("1234567")),
        ("1 250,5", Decimal("1250.50")),
        ("259", Decimal("259")),
        ("259,00 €", Decimal("259.00")),
    ],
)
def test_amounts_take_a_decimal_comma_and_thousands_separators(text, expected):
    result = read_source("kindergeld", to_csv([row("kindergeld", Monatsbetrag=text)]))
    assert result.table.column("Monatsbetrag").to_pylist() == [expected]


def test_several_errors_in_one_row_are_all_reported_in_field_order():
    bad = row("jobcenter", BG_Nummer="x", Geburtsdatum="1985-13-01", PLZ="")
    result = read_source("jobcenter", to_csv([bad]))
    assert [e.column for e in result.errors] == ["BG_Nummer", "Geburtsdatum", "PLZ"]
    assert result.errors[2].message == "Pflichtfeld ist leer"


def test_codes_are_normalised_case_and_blanks():
    result = read_source(
        "kindergeld", to_csv([row("kindergeld", Kindergeldnummer=" 214fk123456 ", Kind_Wohnsitz="AUSLAND")])
    )
    assert result.table.column("Kindergeldnummer").to_pylist() == ["214FK123456"]
    assert result.table.column("Kind_Wohnsitz").to_pylist() == ["Ausland"]


# --- file structure --------------------------------------------------------------------------


def test_header_names_are_case_insensitive_trimmed_and_in_any_order_with_extras_reported():
    data = row("seu")
    reordered = {f"  {k.upper()} ": v for k, v in reversed(list(data.items()))}
    reordered["Bemerkung"] = "egal"
    result = read_source("seu", to_csv([reordered]))
    assert result.accepted_count == 1
    assert result.extra_columns == ("Bemerkung",)
    assert result.table.column("Status").to_pylist() == ["nicht erschienen"]


def test_header_spellings_with_umlauts_blanks_and_hyphens_match_the_contract_names():
    data = row("kindergeld")
    variant = {
        {"Kind_Nr": "Kind-Nr.", "Strasse": "Straße", "Kind_Wohnsitz": "kind wohnsitz"}.get(k, k): v
        for k, v in data.items()
    }
    result = read_source("kindergeld", to_csv([variant]))
    assert result.accepted_count == 1
    assert result.extra_columns == ()


def test_missing_optional_columns_are_reported_and_null():
    data = {k: v for k, v in row("objekte").items() if k not in ("Baujahr", "Eigentuemer")}
    result = read_source("objekte", to_csv([data]))
    assert result.missing_optional_columns == ("Eigentuemer", "Baujahr")
    assert result.table.column("Baujahr").to_pylist() == [None]


def test_a_column_mapping_renames_variant_columns_before_validation():
    data = row("seu")
    data["Nachname"] = data.pop("Familienname")
    data["Kind-ID"] = data.pop("SEU_ID")
    result = read_source("seu", to_csv([data]), mapping={"nachname": "Familienname", "KIND-ID": "seu_id"})
    assert result.accepted_count == 1
    assert result.table.column("_key").to_pylist() == ["SEU-7"]


def test_a_mapping_onto_an_unknown_field_is_refused():
    with pytest.raises(ImportRefused, match="unbekannte Feld"):
        read_source("seu", to_csv([row("seu")]), mapping={"Nachname": "Zuname"})


@pytest.mark.parametrize(("delimiter", "name"), [(",", ","), ("\t", "\t"), (";", ";")])
def test_comma_and_tab_separated_files_are_detected(delimiter, name):
    result = read_source("objekte", to_csv([row("objekte")], delimiter=delimiter))
    assert result.delimiter == name
    assert result.accepted_count == 1


def test_quotes_and_semicolons_and_line_breaks_inside_quoted_fields_work():
    rows = [
        row("melderegister", Familienname='Iwanowa; geb. "Petrowa"', Wohnung="Hinterhaus\n2. OG"),
        row("melderegister", Ordnungsmerkmal="100002"),
    ]
    result = read_source("melderegister", to_csv(rows))
    assert result.accepted_count == 2
    assert result.table.column("Familienname").to_pylist()[0] == 'Iwanowa; geb. "Petrowa"'
    assert result.table.column("Wohnung").to_pylist()[0] == "Hinterhaus\n2. OG"
    assert result.table.column("_row").to_pylist() == [
        2,
        4,
    ]  # the record after a two-line one starts in line 4


def test_a_truncated_last_line_is_rejected_not_dropped():
    data = to_csv([row("seu"), row("seu", SEU_ID="SEU-8")]) + b"SEU-9;Kurz;Abgeschni"
    result = read_source("seu", data)
    assert (result.data_rows, result.accepted_count, result.rejected_count) == (3, 2, 1)
    [rej] = result.rejected
    assert rej.row == 4
    assert rej.values == ("SEU-9", "Kurz", "Abgeschni")
    assert "statt" in rej.errors[0].message


def test_an_unclosed_quote_swallows_the_rest_into_one_rejected_row_and_loses_nothing():
    data = to_csv([row("seu")]) + b'SEU-9;"Kurz;Abgeschni\nSEU-10;A;B\n'
    result = read_source("seu", data)
    assert result.accepted_count + result.rejected_count == result.data_rows == 2
    assert "SEU-10" in "".join(result.rejected[0].values)


def test_a_row_with_too_many_fields_is_rejected_but_trailing_empty_fields_are_fine():
    good = to_csv([row("seu")]).decode()
    header, first = good.splitlines()[:2]
    data = "\r\n".join([header, first + ";;", first.replace("SEU-7", "SEU-8") + ";zuviel", ""]).encode()
    result = read_source("seu", data)
    assert result.accepted_count == 1
    assert [r.row for r in result.rejected] == [3]


def test_blank_lines_are_not_data_rows():
    data = to_csv([row("seu")]) + b"\r\n;;;;\r\n" + to_csv([row("seu", SEU_ID="SEU-8")]).split(b"\r\n", 1)[1]
    result = read_source("seu", data)
    assert (result.data_rows, result.accepted_count, result.blank_rows) == (2, 2, 2)
    assert result.table.column("_row").to_pylist() == [2, 5]


def test_very_long_fields_are_read_and_rejected_with_a_reason():
    long_name = "A" * 200_000
    result = read_source("seu", to_csv([row("seu", Familienname=long_name), row("seu", SEU_ID="SEU-8")]))
    assert result.accepted_count == 1
    [err] = result.errors
    assert err.column == "Familienname"
    assert "zu lang" in err.message


# --- encodings -------------------------------------------------------------------------------


def test_utf8_with_bom_is_detected():
    result = read_source("melderegister", codecs.BOM_UTF8 + to_csv([row("melderegister", Vornamen="Ștefan")]))
    assert result.encoding == "utf-8-sig"
    assert result.table.column("Vornamen").to_pylist() == ["Ștefan"]


def test_cyrillic_and_romanian_names_survive_utf8():
    names = ["Мария Петрова", "Ștefan Țurcanu", "Ăna Îonescu Âlexandru"]
    rows = [row("seu", SEU_ID=f"S{i}", Vornamen=n) for i, n in enumerate(names)]
    result = read_source("seu", to_csv(rows))
    assert result.encoding == "utf-8"
    assert result.table.column("Vornamen").to_pylist() == names


def test_windows_1252_is_detected_and_carries_what_cp1252_can_hold():
    name = "Jürgen Weiß-Öztürk Âlex Îon"  # umlauts, ß, â and î exist in cp1252
    result = read_source("seu", to_csv([row("seu", Vornamen=name)], encoding="cp1252"))
    assert result.encoding == "cp1252"
    assert result.encoding_label == "Windows-1252"
    assert result.table.column("Vornamen").to_pylist() == [name]


def test_romanian_comma_and_cedilla_letters_and_cyrillic_do_not_exist_in_cp1252():
    # documented limitation: a cp1252 file cannot carry these letters at all
    for letter in ["ș", "ț", "ş", "ţ", "ă", "Ж"]:
        with pytest.raises(UnicodeEncodeError):
            letter.encode("cp1252")


def test_a_utf8_file_with_a_few_broken_bytes_is_refused_instead_of_read_as_mojibake():
    data = to_csv([row("seu", Vornamen="Jürgen"), row("seu", SEU_ID="S2", Vornamen="Ștefan")])
    broken = data.replace("Ștefan".encode(), b"\xc8tefan")
    with pytest.raises(ImportRefused, match="UTF-8") as info:
        read_source("seu", broken)
    assert "Zeile 3" in info.value.message


# --- whole-file refusals ---------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"   \r\n\r\n", codecs.BOM_UTF8])
def test_an_empty_file_is_refused(data):
    with pytest.raises(ImportRefused, match="leer"):
        read_source("seu", data)


def test_a_header_only_file_is_refused_so_it_cannot_empty_a_snapshot():
    header_only = to_csv([row("seu")]).split(b"\r\n")[0] + b"\r\n"
    with pytest.raises(ImportRefused, match="nur die Kopfzeile"):
        read_source("seu", header_only)


def test_the_wrong_sources_file_is_refused_with_a_hint_which_source_it_is():
    with pytest.raises(ImportRefused) as info:
        read_source("melderegister", to_csv([row("kindergeld")]))
    assert "Kindergeld" in info.value.message
    assert "Melderegister" in info.value.message


def test_a_missing_required_column_is_refused_naming_it():
    data = {k: v for k, v in row("seu").items() if k != "Status"}
    with pytest.raises(ImportRefused, match="Status"):
        read_source("seu", to_csv([data]))


def test_a_column_present_twice_is_refused():
    data = to_csv([row("seu")]).decode().replace("Vornamen", "familienname").encode()
    with pytest.raises(ImportRefused, match="doppelt"):
        read_source("seu", data)


@pytest.mark.parametrize(
    "data",
    [bytes(range(256)) * 40, b"\x00\x01\x02binary", b"%PDF-1.7\n\xe2\xe3\xcf\xd3\n" + bytes(range(256)) * 10],
)
def test_binary_files_are_refused(data):
    with pytest.raises(ImportRefused):
        read_source("seu", data)


def test_a_missing_file_is_refused_not_crashed(tmp_path):
    with pytest.raises(ImportRefused, match="nicht geöffnet"):
        read_source("seu", tmp_path / "fehlt.csv")


# --- XLSX ------------------------------------------------------------------------------------


def make_xlsx(rows: list[list[object]], *, formula_cell: tuple[int, int, str, object] | None = None) -> bytes:
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False})
    sheet = book.add_worksheet("Daten")
    date_fmt = book.add_format({"num_format": "dd.mm.yyyy"})
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            if isinstance(value, dt.date):
                sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date_fmt)
            else:
                sheet.write(r, c, value)
    if formula_cell:
        r, c, formula, cached = formula_cell
        sheet.write_formula(r, c, formula, None, cached)
    book.add_worksheet("Zweites Blatt").write(0, 0, "ignoriert")
    book.close()
    return buf.getvalue()


def test_xlsx_first_sheet_with_typed_cells_is_read():
    data = row("objekte")
    header = list(data)
    values: list[object] = list(data.values())
    values[header.index("PLZ")] = 44623  # a number cell
    values[header.index("Wohnflaeche_m2")] = 612.125  # typed float: never ambiguous
    values[header.index("Baujahr")] = 1962.0
    result = read_source("objekte", make_xlsx([header, values, [None] * len(header)]))
    assert result.file_format == "xlsx"
    assert result.encoding is None
    got = result.table.to_pylist()[0]
    assert (got["PLZ"], got["Wohnflaeche_m2"], got["Baujahr"]) == ("44623", 612.125, 1962)


def test_xlsx_date_cells_are_dates():
    data = row("schule")
    header = list(data)
    values: list[object] = list(data.values())
    values[header.index("Geburtsdatum")] = dt.date(2015, 6, 7)
    result = read_source("schule", make_xlsx([header, values]))
    assert result.table.column("Geburtsdatum").to_pylist() == [dt.date(2015, 6, 7)]


def test_xlsx_formulas_are_never_evaluated_and_formula_text_stays_plain_text():
    data = row("objekte")
    header = list(data)
    values: list[object] = list(data.values())
    values[header.index("Eigentuemer")] = '=HYPERLINK("http://evil","klick")'
    col = header.index("Wohneinheiten")
    result = read_source("objekte", make_xlsx([header, values], formula_cell=(1, col, "=1+1", 7)))
    got = result.table.to_pylist()[0]
    assert got["Eigentuemer"] == '=HYPERLINK("http://evil","klick")'
    assert got["Wohneinheiten"] == 7  # the stored value, not a computation


def test_xlsx_row_numbers_are_sheet_rows_and_bad_cells_are_rejected():
    data = row("seu")
    header = list(data)
    good = list(data.values())
    bad = list(row("seu", SEU_ID="S2", Geburtsdatum="31.02.2019").values())
    result = read_source("seu", make_xlsx([header, good, [], bad]))
    assert result.accepted_count == 1
    assert [(e.row, e.column) for e in result.errors] == [(4, "Geburtsdatum")]


def test_a_corrupt_xlsx_is_refused():
    data = make_xlsx([["a"]])
    with pytest.raises(ImportRefused, match="Excel"):
        read_source("seu", data[: len(data) // 2])


# --- outputs ---------------------------------------------------------------------------------


def test_the_rejected_rows_file_holds_original_columns_row_and_reason_and_reads_back(tmp_path):
    rows = [row("seu"), row("seu", SEU_ID="S2", Geburtsdatum="31.02.2019", Vornamen="=1+2")]
    data = to_csv(rows).replace(b"Status", b"Status ") + b"S3;kurz\r\n"
    result = read_source("seu", data)
    path = tmp_path / "abgelehnt.csv"
    assert write_rejected_csv(result, path) == 2
    raw = path.read_bytes()
    assert raw.startswith(codecs.BOM_UTF8)
    lines = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert lines[0] == [*result.header, "Zeile", "Fehler"]
    assert lines[1][-2] == "3"
    assert "Geburtsdatum: Dieses Datum gibt es nicht (Wert: 31.02.2019)" in lines[1][-1]
    assert lines[1][lines[0].index("Vornamen")] == "'=1+2"  # formula-escaped for Excel
    assert lines[2][:2] == ["S3", "kurz"]
    assert lines[2][-2] == "4"


def test_the_snapshot_is_written_atomically_as_parquet_with_the_schema(tmp_path):
    result = read_source("kindergeld", to_csv([row("kindergeld")]))
    target = tmp_path / "snap" / "kindergeld.parquet"
    write_snapshot(result.table, target)
    write_snapshot(result.table, target)  # replacing works too
    assert pq.read_table(target).schema == snapshot_schema("kindergeld")
    assert [p.name for p in target.parent.iterdir()] == ["kindergeld.parquet"]  # no temp files left


def test_sha256_of_bytes_and_path_agree(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(b"abc")
    assert (
        sha256_of(path)
        == sha256_of(b"abc")
        == ("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    )


@pytest.mark.parametrize("quoted", [False, True])
def test_progress_only_grows_and_ends_with_all_rows(quoted):
    calls: list[tuple[int, int]] = []
    rows = [row("seu", SEU_ID=f"S{i}") for i in range(5)]
    if quoted:
        rows[2]["Vornamen"] = "zwei\nZeilen"
    read_source("seu", to_csv(rows), progress=lambda d, t: calls.append((d, t)))
    done = [d for d, _ in calls]
    assert done == sorted(done)
    assert calls[-1] == (5, 5)


def test_the_summary_is_json_ready_for_an_import_record():
    import json

    result = read_source("seu", to_csv([row("seu"), row("seu", SEU_ID="S2", Status="x")], encoding="cp1252"))
    summary = json.loads(json.dumps(result.summary()))
    assert summary["accepted"] == summary["rejected"] == 1
    assert summary["encoding_label"] == "UTF-8"  # pure ASCII is UTF-8 as well


def test_a_binary_file_object_is_read_like_bytes():
    result = read_source("seu", io.BytesIO(to_csv([row("seu")])))
    assert result.accepted_count == 1


def test_dates_with_a_midnight_time_from_spreadsheets_are_accepted():
    changes = {"Geburtsdatum": "07.06.2019 00:00", "Einladungsdatum": "2025-01-10 00:00:00"}
    result = read_source("seu", to_csv([row("seu", **changes)]))
    assert result.table.column("Geburtsdatum").to_pylist() == [dt.date(2019, 6, 7)]
    assert result.table.column("Einladungsdatum").to_pylist() == [dt.date(2025, 1, 10)]


def test_utf16_text_with_tabs_as_excel_saves_unicode_text_is_read():
    data = to_csv([row("seu", Vornamen="Ștefan")], delimiter="\t").decode("utf-8").encode("utf-16")
    result = read_source("seu", data)
    assert (result.encoding, result.delimiter) == ("utf-16", "\t")
    assert result.table.column("Vornamen").to_pylist() == ["Ștefan"]


def test_ten_thousand_rows_with_some_bad_ones_give_exact_counts():
    rows = []
    for i in range(10_000):
        changes = {"SEU_ID": f"S{i}"}
        if i % 97 == 0:
            changes["Geburtsdatum"] = "30.02.2019"
        elif i % 101 == 0:
            changes["Status"] = ""
        rows.append(row("seu", **changes))
    expected_bad = sum(1 for i in range(10_000) if i % 97 == 0 or i % 101 == 0)
    result = read_source("seu", to_csv(rows))
    assert result.data_rows == 10_000
    assert result.rejected_count == expected_bad
    assert result.accepted_count == 10_000 - expected_bad
    assert sorted(result.table.column("_row").to_pylist() + [r.row for r in result.rejected]) == list(
        range(2, 10_002)
    )


# --- streaming in batches ---------------------------------------------------------------------


def _batched_file() -> bytes:
    """Forty Kindergeld rows with a duplicate key far apart, a duplicate written differently
    ("7" and "07"), an invalid amount, a quoted line break, a blank line and a broken row."""
    rows = [row("kindergeld", Kind_Nr=str(i)) for i in range(1, 41)]
    rows[30]["Kind_Nr"] = "1"  # same key as the first row, many batches later
    rows[20]["Kind_Nr"] = "07"  # same key as the seventh row
    rows[12]["Monatsbetrag"] = "viel"
    rows[15]["Kind_Vornamen"] = "Ana\nMaria"  # the record spans two lines
    text = to_csv(rows).decode()
    lines = text.split("\r\n")
    lines.insert(25, ";;;")  # a blank line
    lines.insert(33, "214FK123456;99;Popescu")  # too few fields
    return "\r\n".join(lines).encode()


def _outcome(result) -> tuple:
    return (
        result.data_rows,
        result.blank_rows,
        result.table.to_pylist(),
        [(r.row, r.values, r.errors) for r in result.rejected],
    )


@pytest.mark.parametrize("batch_rows", [1, 3, 7])
def test_a_file_larger_than_the_batch_gives_the_same_result_as_one_batch(batch_rows):
    data = _batched_file()
    whole = read_source("kindergeld", data, batch_rows=100_000)
    batched = read_source("kindergeld", data, batch_rows=batch_rows)
    assert _outcome(batched) == _outcome(whole)
    assert whole.data_rows == 41 and whole.blank_rows == 1
    rejected = {r.row: [e.message for e in r.errors] for r in whole.rejected}
    # rows 2 and 32 share a key across batches; after the quoted line break (row 17 spans two
    # lines) and the blank line, file lines are one and two ahead of the record count
    assert rejected[2] == ["Kindergeldnummer und Kind-Nr. kommen mehrfach in der Datei vor (Zeilen 2, 34)"]
    assert rejected[34] == rejected[2]
    assert rejected[8] == ["Kindergeldnummer und Kind-Nr. kommen mehrfach in der Datei vor (Zeilen 8, 23)"]
    assert rejected[14] == ["Keine gültige Zahl (erwartet z. B. 1234,56)"]
    assert rejected[35][0].startswith("Zeile hat 3 statt")
    assert whole.accepted_count == 41 - 6


def test_a_stream_that_cannot_seek_is_read_like_its_bytes():
    data = _batched_file()

    class Upload(io.RawIOBase):
        def __init__(self) -> None:
            self._inner = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:  # type: ignore[override]
            chunk = self._inner.read(len(buffer))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    assert _outcome(read_source("kindergeld", Upload(), batch_rows=5)) == _outcome(
        read_source("kindergeld", data)
    )


# --- bounded memory: rejected rows and duplicate keys -----------------------------------------


def _only_invalid_file(n: int) -> bytes:
    """``n`` Kindergeld rows whose child birth dates are all impossible, every fifth row cut
    short (wrong field count, found while reading), so both kinds of rejection interleave."""
    text = to_csv([row("kindergeld", Kind_Nr=str(i), Kind_Geburtsdatum="31.02.2015") for i in range(n)])
    lines = text.decode().split("\r\n")
    for i in range(1, n + 1, 5):
        lines[i] = f"214FK123456;{i};Popescu"
    return "\r\n".join(lines).encode()


@pytest.mark.parametrize("batch_rows", [1, 7, 1000])
def test_a_file_of_only_invalid_rows_keeps_at_most_n_rejected_rows_but_counts_all(batch_rows):
    data = _only_invalid_file(30)
    everything = read_source("kindergeld", data, batch_rows=batch_rows)
    kept = read_source("kindergeld", data, batch_rows=batch_rows, keep_rejected=9)
    assert everything.rejected_count == kept.rejected_count == kept.data_rows == 30
    assert kept.accepted_count + kept.rejected_count == kept.data_rows
    assert len(everything.rejected) == 30 and everything.rejected_left_out == 0
    assert len(kept.rejected) == 9 and kept.rejected_left_out == 21
    # the first nine by row number, broken and invalid rows alike, with their errors
    assert kept.rejected == everything.rejected[:9]
    assert [r.row for r in kept.rejected] == list(range(2, 11))
    assert kept.rejected[0].errors[0].message.startswith("Zeile hat 3 statt")
    assert kept.rejected[1].errors[0].message == "Dieses Datum gibt es nicht"
    assert kept.errors == [e for r in everything.rejected[:9] for e in r.errors]


def test_keeping_no_rejected_rows_still_counts_them_and_writes_an_empty_rejected_file(tmp_path):
    result = read_source("kindergeld", _only_invalid_file(12), keep_rejected=0)
    assert (result.rejected, result.rejected_count, result.rejected_left_out) == ((), 12, 12)
    assert write_rejected_csv(result, tmp_path / "abgelehnt.csv") == 0


def _many_duplicates(n: int) -> bytes:
    """``n`` Kindergeld rows where every key occurs twice (rows i and i + n/2), and one key
    seven times, so its message names five rows and "…"."""
    half = n // 2
    rows = [row("kindergeld", Kindergeldnummer=f"214FK{i % half:06d}", Kind_Nr="1") for i in range(n)]
    rows += [row("kindergeld", Kindergeldnummer="214FK999999", Kind_Nr="3") for _ in range(7)]
    return to_csv(rows)


@pytest.mark.parametrize("batch_rows", [1, 2])
def test_duplicate_key_messages_are_unchanged_across_batch_boundaries(batch_rows):
    data = _many_duplicates(10)
    batched = read_source("kindergeld", data, batch_rows=batch_rows)
    assert batched.accepted_count == 0 and batched.rejected_count == 17
    messages = {r.row: [e.message for e in r.errors] for r in batched.rejected}
    label = "Kindergeldnummer und Kind-Nr. kommen mehrfach in der Datei vor"
    for i in range(5):
        assert messages[2 + i] == messages[7 + i] == [f"{label} (Zeilen {2 + i}, {7 + i})"]
    for r in range(12, 19):
        assert messages[r] == [f"{label} (Zeilen 12, 13, 14, 15, 16, …)"]
    assert _outcome(batched) == _outcome(read_source("kindergeld", data))


def test_duplicate_key_messages_of_a_small_file_are_unchanged():
    rows = [row("kindergeld"), row("kindergeld", Kind_Nr="1"), row("kindergeld", Kind_Nr="02")]
    result = read_source("kindergeld", to_csv(rows), batch_rows=1)
    assert [(r.row, [e.message for e in r.errors]) for r in result.rejected] == [
        (2, ["Kindergeldnummer und Kind-Nr. kommen mehrfach in der Datei vor (Zeilen 2, 4)"]),
        (4, ["Kindergeldnummer und Kind-Nr. kommen mehrfach in der Datei vor (Zeilen 2, 4)"]),
    ]


def test_results_are_identical_for_batch_rows_1_7_and_the_default():
    for data in (_batched_file(), _only_invalid_file(30), _many_duplicates(20)):
        default = _outcome(read_source("kindergeld", data))
        assert _outcome(read_source("kindergeld", data, batch_rows=1)) == default
        assert _outcome(read_source("kindergeld", data, batch_rows=7)) == default
