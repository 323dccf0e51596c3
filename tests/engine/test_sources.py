"""The registry of the six agency export layouts."""

from __future__ import annotations

import pytest

from missimo.engine.sources import SOURCES, EndNotBeforeStart, FieldType, OnlyWith, get_source

CONTRACT_SOURCES = ["melderegister", "kindergeld", "schule", "jobcenter", "seu", "objekte"]


def test_the_registry_holds_exactly_the_six_contract_sources_in_order():
    assert list(SOURCES) == CONTRACT_SOURCES


def test_get_source_is_case_insensitive_and_names_the_known_sources_when_unknown():
    assert get_source(" Kindergeld ").name == "kindergeld"
    with pytest.raises(KeyError, match="melderegister"):
        get_source("grundsteuer")


@pytest.mark.parametrize("name", CONTRACT_SOURCES)
def test_every_layout_has_german_labels_a_key_and_unique_field_names(name):
    layout = get_source(name)
    assert layout.label
    assert all(f.label for f in layout.fields)
    assert len(set(layout.field_names)) == len(layout.field_names)
    assert set(layout.key) <= set(layout.required_fields)
    assert set(layout.duplicate_key) <= set(layout.required_fields)


def test_melderegister_duplicates_are_person_plus_move_in_date_because_persons_have_several_periods():
    layout = get_source("melderegister")
    assert layout.key == ("Ordnungsmerkmal",)
    assert layout.duplicate_key == ("Ordnungsmerkmal", "Einzugsdatum")


def test_formats_follow_the_contract():
    assert get_source("kindergeld").field("Kindergeldnummer").pattern == r"\d{3}FK\d{6}"
    assert get_source("jobcenter").field("BG_Nummer").pattern == r"\d{5}BG\d{7}"
    assert get_source("schule").field("Schulnummer").pattern == r"\d{6}"
    assert get_source("melderegister").field("Geschlecht").choices == ("m", "w", "d", "x")
    assert get_source("melderegister").field("Wohnungsstatus").choices == ("H", "N")
    assert get_source("kindergeld").field("Kind_Wohnsitz").choices == ("Inland", "Ausland")
    assert get_source("seu").field("Status").choices == ("untersucht", "nicht erschienen", "verzogen")
    assert get_source("melderegister").field("Abmeldegrund").choices == (
        "Umzug",
        "Wegzug",
        "Wegzug Ausland",
        "von Amts wegen",
        "Tod",
    )


def test_payment_months_are_stored_as_first_and_last_day_of_the_month():
    kg = get_source("kindergeld")
    assert kg.field("Zahlung_ab").type is FieldType.MONTH_START
    assert kg.field("Zahlung_bis").type is FieldType.MONTH_END


def test_only_the_melderegister_birth_date_may_hold_unknown_day_or_month():
    partial = [
        (s.name, f.name) for s in SOURCES.values() for f in s.fields if f.type is FieldType.PARTIAL_DATE
    ]
    assert partial == [("melderegister", "Geburtsdatum")]


def test_end_before_start_checks_exist_for_every_period():
    pairs = {
        (s.name, c.start, c.column)
        for s in SOURCES.values()
        for c in s.checks
        if isinstance(c, EndNotBeforeStart)
    }
    assert pairs == {
        ("melderegister", "Einzugsdatum", "Auszugsdatum"),
        ("kindergeld", "Zahlung_ab", "Zahlung_bis"),
        ("schule", "Aufnahmedatum", "Entlassdatum"),
        ("jobcenter", "Leistung_ab", "Leistung_bis"),
    }
    only = [c for c in get_source("melderegister").checks if isinstance(c, OnlyWith)]
    assert [(c.column, c.other) for c in only] == [("Abmeldegrund", "Auszugsdatum")]
