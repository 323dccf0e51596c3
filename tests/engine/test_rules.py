"""Every rule of rules.md fires on its scenario and stays silent on each trap."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from missimo.engine.calendar_nrw import school_days_between
from missimo.engine.rules import (
    RULES,
    SQL_MACROS,
    EvaluationResult,
    employer_keys,
    evaluate,
    hint_id,
    normalise_employer,
    resolve_settings,
    schulpflicht_period,
)
from tests.engine.test_rules_city import City

S = "2026-03-16"  # a Monday in term time


def run(city: City, stichtag: str = S, without: tuple[str, ...] = (), **settings: object) -> EvaluationResult:
    return evaluate(city.build(without=without), dt.date.fromisoformat(stichtag), settings or None)


def refs(result: EvaluationResult, rule: str) -> list[str]:
    return [h.primary_ref for h in result.hints_for(rule)]


def family(**kg: object) -> City:
    """A child P-K (registered, boy) and a parent P-E at O1, child benefit paid since 01.2024."""
    c = City()
    c.objekt("O1", flats=4, area=300)
    c.melde("M-K", person="P-K", born="2014-03-04", sex="m")
    c.melde("M-E", person="P-E", born="1985-05-05", sex="w")
    kg.setdefault("person", "P-K")
    c.kindergeld(parent="P-E", **kg)  # type: ignore[arg-type]
    return c


KG = "kindergeld:214FK123456/1"


# --- terms -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth", "start", "end"),
    [
        ("2020-09-30", "2026-08-01", "2039-07-31"),
        ("2020-10-01", "2027-08-01", "2039-07-31"),
        ("2008-07-31", "2014-08-01", "2026-07-31"),
        ("2008-08-01", "2014-08-01", "2027-07-31"),
        ("2012-02-29", "2018-08-01", "2030-07-31"),
    ],
)
def test_schulpflicht_runs_from_the_first_august_after_turning_six_to_the_school_year_of_the_18th_birthday(
    birth: str, start: str, end: str
) -> None:
    assert schulpflicht_period(dt.date.fromisoformat(birth)) == (
        dt.date.fromisoformat(start),
        dt.date.fromisoformat(end),
    )


def test_settings_have_the_defaults_of_rules_md_and_reject_unknown_or_malformed_values() -> None:
    values = resolve_settings()
    assert values == {
        "schulabsentismus_schultage": 20,
        "ueberbelegung_m2_je_person": Decimal("10"),
        "fluktuation_min_bewegungen": 10,
        "fluktuation_min_je_wohnung": Decimal("3"),
        "minijob_grenze_eur": Decimal("603.00"),
        "arbeitgeber_min_personen": 5,
    }
    assert resolve_settings({"minijob_grenze_eur": "556,00"})["minijob_grenze_eur"] == Decimal("556.00")
    for bad in (
        {"nope": 1},
        {"arbeitgeber_min_personen": True},
        {"arbeitgeber_min_personen": "x"},
        {"schulabsentismus_schultage": 2.5},
        {"ueberbelegung_m2_je_person": -1},
    ):
        with pytest.raises(ValueError):
            resolve_settings(bad)


def test_every_rule_has_a_german_title_a_legal_reference_and_the_sources_it_needs() -> None:
    assert [r.code for r in RULES] == [
        "KG_OHNE_SCHULE",
        "KG_NACH_ABMELDUNG",
        "KG_KIND_NICHT_GEMELDET",
        "KG_DOPPELBEZUG",
        "SCHULABSENTISMUS",
        "SCHULE_OHNE_MELDUNG",
        "SEU_NICHT_ERSCHIENEN",
        "UEBERBELEGUNG",
        "MELDE_FLUKTUATION",
        "SGB2_NACH_ABMELDUNG",
        "ARBEITGEBER_HAEUFUNG",
        "ADRESSE_UNBEKANNT",
    ]
    for rule in RULES:
        assert rule.title and rule.background and "§" in rule.legal and rule.version >= 1
        assert rule.sources or all(q.needs for q in rule.queries)


# --- KG_OHNE_SCHULE ------------------------------------------------------------------------


def test_kg_ohne_schule_fires_for_a_paid_school_age_child_without_school_and_explains_it() -> None:
    result = run(family())
    (hint,) = result.hints_for("KG_OHNE_SCHULE")
    assert hint.primary_ref == KG and hint.evidence[0] == KG and "melderegister:M-K" in hint.evidence
    assert hint.objekt_id == "O1" and hint.address == "Bahnhofstraße 1, 44623 Herne"
    assert hint.amount == Decimal("259.00") and hint.person_ids == ("P-K", "P-E")
    assert hint.explanation == (
        "Für Andrei Popescu (geb. 04.03.2014) wird seit 01.2024 Kindergeld gezahlt (259,00 €/Monat); "
        "er ist schulpflichtig, aber an keiner Schule der Stadt angemeldet."
    )
    assert hint.facts["zahlung_ab"] == "2024-01-01" and hint.facts["monatsbetrag"] == "259.00"
    assert hint.hint_id == hint_id("KG_OHNE_SCHULE", KG)


def test_kg_ohne_schule_speaks_of_das_kind_when_the_sex_is_unknown() -> None:
    c = family(person="P-unregistered")
    (hint,) = run(c).hints_for("KG_OHNE_SCHULE")
    assert "; das Kind ist schulpflichtig" in hint.explanation


def test_kg_ohne_schule_does_not_fire_for_a_child_under_school_age() -> None:
    assert refs(run(family(born="2021-01-01")), "KG_OHNE_SCHULE") == []


@pytest.mark.parametrize(("birth", "fires"), [("2020-09-30", True), ("2020-10-01", False)])
def test_kg_ohne_schule_respects_the_30_september_birthday_boundary(birth: str, fires: bool) -> None:
    assert bool(refs(run(family(born=birth), "2026-09-01"), "KG_OHNE_SCHULE")) is fires


@pytest.mark.parametrize(("birth", "fires"), [("2008-07-31", False), ("2008-08-01", True)])
def test_kg_ohne_schule_ends_with_the_school_year_in_which_the_child_turns_18(
    birth: str, fires: bool
) -> None:
    assert bool(refs(run(family(born=birth), "2026-09-01"), "KG_OHNE_SCHULE")) is fires


def test_kg_ohne_schule_still_fires_on_31_july_of_the_year_the_child_turns_18_before_august() -> None:
    assert refs(run(family(born="2008-07-31"), "2026-07-31"), "KG_OHNE_SCHULE") == [KG]


def test_kg_ohne_schule_does_not_fire_when_the_child_lives_abroad() -> None:
    assert refs(run(family(wohnsitz="Ausland")), "KG_OHNE_SCHULE") == []


def test_kg_ohne_schule_does_not_fire_when_the_child_is_enrolled_at_another_school_of_the_city() -> None:
    c = family()
    c.schule("X9", "654321", person="P-K", schulname="Gesamtschule Nord")
    assert refs(run(c), "KG_OHNE_SCHULE") == []


@pytest.mark.parametrize(("entl", "fires"), [(S, True), ("2026-03-17", False)])
def test_kg_ohne_schule_treats_entlassdatum_equal_to_s_as_not_enrolled(entl: str, fires: bool) -> None:
    c = family()
    c.schule(person="P-K", entl=entl)
    assert bool(refs(run(c), "KG_OHNE_SCHULE")) is fires


def test_kg_ohne_schule_does_not_fire_when_payments_ended_before_s_or_start_after_s() -> None:
    assert refs(run(family(bis="2026-03-15")), "KG_OHNE_SCHULE") == []
    assert refs(run(family(ab="2026-03-17")), "KG_OHNE_SCHULE") == []
    assert refs(run(family(bis=S)), "KG_OHNE_SCHULE") == [KG]
    assert refs(run(family(ab=S)), "KG_OHNE_SCHULE") == [KG]


def test_kg_ohne_schule_does_not_fire_when_the_entitled_person_lives_outside_the_city() -> None:
    assert refs(run(family(at=None, plz="10115")), "KG_OHNE_SCHULE") == []


def test_kg_ohne_schule_is_not_evaluated_without_the_school_source() -> None:
    status = run(family(), without=("schule",)).status("KG_OHNE_SCHULE")
    assert not status.evaluated and "Schulen" in (status.reason or "")


# --- KG_NACH_ABMELDUNG ---------------------------------------------------------------------


def departed(
    aus: str = "2025-06-30", grund: str = "Wegzug Ausland", who: str = "child", **kg: object
) -> City:
    c = City()
    c.objekt("O1")
    if who == "child":
        c.melde("M-K", person="P-K", aus=aus, grund=grund)
        c.melde("M-E", person="P-E")
    else:
        c.melde("M-K", person="P-K")
        c.melde("M-E", person="P-E", aus=aus, grund=grund)
    c.kindergeld(person="P-K", parent="P-E", **kg)  # type: ignore[arg-type]
    return c


def test_kg_nach_abmeldung_fires_when_the_child_moved_abroad_and_payment_continues() -> None:
    (hint,) = run(departed()).hints_for("KG_NACH_ABMELDUNG")
    assert hint.evidence == (KG, "melderegister:M-K")
    assert "das Kind am 30.06.2025 ins Ausland verzogen ist" in hint.explanation


def test_kg_nach_abmeldung_fires_when_the_entitled_person_was_deregistered_von_amts_wegen() -> None:
    (hint,) = run(departed(grund="von Amts wegen", who="parent")).hints_for("KG_NACH_ABMELDUNG")
    assert hint.evidence == (KG, "melderegister:M-E")
    assert "von Amts wegen abgemeldet worden" in hint.explanation


def test_kg_nach_abmeldung_applies_to_kind_wohnsitz_ausland_as_written_and_says_so() -> None:
    (hint,) = run(departed(wohnsitz="Ausland")).hints_for("KG_NACH_ABMELDUNG")
    assert hint.explanation.endswith("; die Familienkasse führt das Kind mit Wohnsitz im Ausland.")
    assert refs(run(departed(who="parent", wohnsitz="Ausland")), "KG_NACH_ABMELDUNG") == [KG]


def test_a_lawful_child_abroad_who_was_never_registered_raises_no_hint() -> None:
    c = family(person="P-abroad", wohnsitz="Ausland")
    assert run(c).hints == ()


def test_kg_nach_abmeldung_does_not_fire_after_a_move_within_germany() -> None:
    assert refs(run(departed(grund="Wegzug")), "KG_NACH_ABMELDUNG") == []


def test_kg_nach_abmeldung_does_not_fire_when_the_person_is_registered_again_at_s() -> None:
    c = departed()
    c.melde("M-K", person="P-K", ein="2025-12-01")
    assert refs(run(c), "KG_NACH_ABMELDUNG") == []


def test_kg_nach_abmeldung_needs_the_registration_to_have_ended_before_s() -> None:
    assert refs(run(departed(aus=S)), "KG_NACH_ABMELDUNG") == []
    assert refs(run(departed(aus="2026-03-15")), "KG_NACH_ABMELDUNG") == [KG]


def test_kg_nach_abmeldung_does_not_fire_when_payments_ended_before_s() -> None:
    assert refs(run(departed(bis="2025-07-01")), "KG_NACH_ABMELDUNG") == []


def test_kg_nach_abmeldung_is_not_evaluated_without_the_melderegister() -> None:
    status = run(departed(), without=("melderegister",)).status("KG_NACH_ABMELDUNG")
    assert not status.evaluated and status.count == 0 and "Melderegister" in (status.reason or "")


# --- KG_KIND_NICHT_GEMELDET ----------------------------------------------------------------


def test_kg_kind_nicht_gemeldet_fires_for_a_child_never_registered_in_the_city() -> None:
    c = family(person="P-ghost")
    (hint,) = run(c).hints_for("KG_KIND_NICHT_GEMELDET")
    assert hint.evidence == (KG, "melderegister:M-E")
    assert "im Melderegister der Stadt nicht zu finden" in hint.explanation


def test_kg_kind_nicht_gemeldet_does_not_fire_for_a_child_registered_only_in_the_past() -> None:
    c = family(person="P-past")
    c.melde("M-P", person="P-past", aus="2020-01-01", grund="Wegzug")
    assert refs(run(c), "KG_KIND_NICHT_GEMELDET") == []


def test_kg_kind_nicht_gemeldet_does_not_fire_for_a_child_living_abroad_or_outside_the_city() -> None:
    assert refs(run(family(person="P-ghost", wohnsitz="Ausland")), "KG_KIND_NICHT_GEMELDET") == []
    assert refs(run(family(person="P-ghost", at=None, plz="10115")), "KG_KIND_NICHT_GEMELDET") == []


def test_kg_kind_nicht_gemeldet_does_not_fire_for_a_registered_child() -> None:
    assert refs(run(family()), "KG_KIND_NICHT_GEMELDET") == []


# --- KG_DOPPELBEZUG ------------------------------------------------------------------------


def test_kg_doppelbezug_gives_one_hint_per_row_with_the_other_rows_as_evidence() -> None:
    c = family()
    other = c.kindergeld("301FK654321", person="P-K", parent="P-F", betrag="255.00")
    hints = run(c).hints_for("KG_DOPPELBEZUG")
    assert [(h.primary_ref, h.evidence, h.amount) for h in hints] == [
        (KG, (KG, other), Decimal("259.00")),
        (other, (other, KG), Decimal("255.00")),
    ]
    assert "unter 2 Kindergeldnummern (214FK123456, 301FK654321)" in hints[0].explanation


def test_kg_doppelbezug_does_not_fire_when_the_other_payment_ended_before_s() -> None:
    c = family()
    c.kindergeld("301FK654321", person="P-K", parent="P-F", bis="2025-12-01")
    assert refs(run(c), "KG_DOPPELBEZUG") == []


def test_kg_doppelbezug_does_not_fire_for_two_different_children() -> None:
    c = family()
    c.kindergeld("301FK654321", person="P-other", parent="P-F")
    assert refs(run(c), "KG_DOPPELBEZUG") == []


# --- SCHULABSENTISMUS ----------------------------------------------------------------------


def _last_day_with(school_days: int, stand: dt.date) -> dt.date:
    day = stand
    while school_days_between(day + dt.timedelta(days=1), stand) < school_days:
        day -= dt.timedelta(days=1)
    return day


@pytest.mark.parametrize(("days", "fires"), [(20, True), (19, False)])
def test_schulabsentismus_fires_from_20_school_days_after_the_last_day_present(
    days: int, fires: bool
) -> None:
    stand = dt.date(2026, 3, 16)
    last = _last_day_with(days, stand)
    c = City()
    c.objekt("O1")
    c.schule(person="P-S", letzter=last.isoformat(), stand=stand.isoformat())
    hints = run(c).hints_for("SCHULABSENTISMUS")
    assert bool(hints) is fires
    if fires:
        assert hints[0].facts["schultage"] == 20
        assert "an 20 Schultagen gefehlt" in hints[0].explanation


def test_schulabsentismus_does_not_count_school_holidays_and_public_holidays() -> None:
    # 27.03.2026 (Fri) to 24.04.2026: 20 weekdays, but the Easter holidays cover two weeks.
    last, stand = dt.date(2026, 3, 27), dt.date(2026, 4, 24)
    weekdays = sum(1 for i in range(1, 29) if (last + dt.timedelta(days=i)).weekday() < 5)
    assert weekdays >= 20 and school_days_between(last + dt.timedelta(days=1), stand) < 20
    c = City()
    c.objekt("O1")
    c.schule(person="P-S", letzter=last.isoformat(), stand=stand.isoformat())
    assert refs(run(c, "2026-04-24"), "SCHULABSENTISMUS") == []


def test_schulabsentismus_counts_from_the_aufnahmedatum_inclusive_when_never_present() -> None:
    stand = dt.date(2026, 3, 16)
    start = _last_day_with(20, stand) + dt.timedelta(days=1)
    while school_days_between(start, stand) > 20 or not school_days_between(start, start):
        start += dt.timedelta(days=1)
    assert school_days_between(start, stand) == 20
    c = City()
    c.objekt("O1")
    c.schule(person="P-S", auf=start.isoformat(), letzter=None, stand=stand.isoformat())
    (hint,) = run(c).hints_for("SCHULABSENTISMUS")
    assert hint.facts["schultage"] == 20 and "seit der Aufnahme" in hint.explanation
    c2 = City()
    c2.objekt("O1")
    c2.schule(
        person="P-S", auf=(start + dt.timedelta(days=1)).isoformat(), letzter=None, stand=stand.isoformat()
    )
    assert refs(run(c2), "SCHULABSENTISMUS") == []


def test_schulabsentismus_does_not_fire_for_a_pupil_discharged_on_s() -> None:
    c = City()
    c.objekt("O1")
    c.schule(person="P-S", letzter="2025-10-01", entl=S)
    assert refs(run(c), "SCHULABSENTISMUS") == []


def test_schulabsentismus_threshold_is_a_setting() -> None:
    stand = dt.date(2026, 3, 16)
    c = City()
    c.objekt("O1")
    c.schule(person="P-S", letzter=_last_day_with(5, stand).isoformat())
    assert refs(run(c), "SCHULABSENTISMUS") == []
    assert refs(run(c, schulabsentismus_schultage=5), "SCHULABSENTISMUS") == ["schule:123456/S1"]


# --- SCHULE_OHNE_MELDUNG -------------------------------------------------------------------


def pupil(**melde: object) -> City:
    c = City()
    c.objekt("O1")
    c.schule(person="P-S")
    if melde:
        c.melde("M-S", person="P-S", **melde)  # type: ignore[arg-type]
    return c


def test_schule_ohne_meldung_fires_for_a_pupil_not_registered_at_s() -> None:
    (hint,) = run(pupil()).hints_for("SCHULE_OHNE_MELDUNG")
    assert hint.primary_ref == "schule:123456/S1" and hint.objekt_id == "O1"
    assert "weder mit Haupt- noch mit Nebenwohnung gemeldet" in hint.explanation


def test_schule_ohne_meldung_counts_a_secondary_residence_as_registered() -> None:
    assert refs(run(pupil(status="N")), "SCHULE_OHNE_MELDUNG") == []
    assert refs(run(pupil(status="H")), "SCHULE_OHNE_MELDUNG") == []


@pytest.mark.parametrize(("aus", "fires"), [(S, True), ("2026-03-17", False)])
def test_schule_ohne_meldung_treats_auszugsdatum_equal_to_s_as_not_registered(aus: str, fires: bool) -> None:
    assert bool(refs(run(pupil(aus=aus, grund="Wegzug")), "SCHULE_OHNE_MELDUNG")) is fires


def test_schule_ohne_meldung_does_not_fire_for_a_pupil_address_outside_the_city_or_unknown() -> None:
    c = City()
    c.objekt("O1")
    c.schule(person="P-S", at=None, plz="10115")
    c.schule("S2", person="P-T", at=None, plz="")
    assert refs(run(c), "SCHULE_OHNE_MELDUNG") == []


def test_schule_ohne_meldung_does_not_fire_for_a_pupil_discharged_on_s() -> None:
    c = City()
    c.objekt("O1")
    c.schule(person="P-S", entl=S)
    assert refs(run(c), "SCHULE_OHNE_MELDUNG") == []


# --- SEU_NICHT_ERSCHIENEN ------------------------------------------------------------------


def seu_case(jahr: int = 2025, status: str = "nicht erschienen", paid: bool = True) -> City:
    c = City()
    c.objekt("O1")
    c.seu(person="P-C", jahr=jahr, status=status)
    if paid:
        c.kindergeld(person="P-C", parent="P-E", born="2019-05-05")
    return c


def test_seu_nicht_erschienen_fires_for_a_missed_examination_no_school_and_child_benefit_paid() -> None:
    (hint,) = run(seu_case()).hints_for("SEU_NICHT_ERSCHIENEN")
    assert hint.evidence == ("seu:SEU1", KG) and hint.amount is None
    assert hint.facts["monatsbetrag"] == "259.00" and "(259,00 €/Monat)" in hint.explanation


def test_seu_nicht_erschienen_waits_for_the_first_of_august_of_the_school_entry_year() -> None:
    assert refs(run(seu_case(jahr=2026), "2026-07-31"), "SEU_NICHT_ERSCHIENEN") == []
    assert refs(run(seu_case(jahr=2026), "2026-08-01"), "SEU_NICHT_ERSCHIENEN") == ["seu:SEU1"]


def test_seu_nicht_erschienen_does_not_fire_when_examined_enrolled_or_without_child_benefit() -> None:
    assert refs(run(seu_case(status="untersucht")), "SEU_NICHT_ERSCHIENEN") == []
    assert refs(run(seu_case(paid=False)), "SEU_NICHT_ERSCHIENEN") == []
    c = seu_case()
    c.schule(person="P-C", born="2019-05-05")
    assert refs(run(c), "SEU_NICHT_ERSCHIENEN") == []


# --- UEBERBELEGUNG -------------------------------------------------------------------------


def building(area: float | None, residents: int, status: str = "H", **melde: object) -> City:
    c = City()
    c.objekt("O1", flats=2, area=area)
    for i in range(residents):
        c.melde(f"M{i:02}", person=f"P{i:02}", status=status, **melde)  # type: ignore[arg-type]
    return c


def test_ueberbelegung_fires_when_10_m2_per_main_resident_exceed_the_living_area() -> None:
    (hint,) = run(building(50, 6)).hints_for("UEBERBELEGUNG")
    assert hint.primary_ref == "objekte:O1" and hint.objekt_id == "O1" and len(hint.evidence) == 7
    assert "6 Personen mit Hauptwohnung" in hint.explanation and "8,3 m² je Person" in hint.explanation


def test_ueberbelegung_does_not_fire_at_exactly_10_m2_per_person() -> None:
    assert refs(run(building(50, 5)), "UEBERBELEGUNG") == []


def test_ueberbelegung_counts_only_main_residences() -> None:
    c = building(50, 5)
    c.melde("M-N", person="P-N", status="N")
    assert refs(run(c), "UEBERBELEGUNG") == []


def test_ueberbelegung_does_not_fire_when_the_living_area_is_unknown() -> None:
    assert refs(run(building(None, 30)), "UEBERBELEGUNG") == []


def test_ueberbelegung_does_not_count_persons_who_moved_out_on_s() -> None:
    c = building(50, 5)
    c.melde("M-X", person="P-X", aus=S, grund="Umzug")
    assert refs(run(c), "UEBERBELEGUNG") == []


def test_ueberbelegung_counts_one_person_with_two_register_rows_once() -> None:
    c = building(50, 5)
    c.melde("M-dup", person="P00")
    assert refs(run(c), "UEBERBELEGUNG") == []


# --- MELDE_FLUKTUATION ---------------------------------------------------------------------


def moves(n: int, flats: int | None, first: str = "2025-06-01") -> City:
    c = City()
    c.objekt("O1", flats=flats)
    for i in range(n):
        c.melde(f"M{i:02}", person=f"P{i:02}", ein=first)
    return c


def test_melde_fluktuation_fires_at_10_movements_and_3_per_flat() -> None:
    (hint,) = run(moves(10, 3)).hints_for("MELDE_FLUKTUATION")
    assert hint.facts["bewegungen"] == 10 and len(hint.evidence) == 11
    assert "10 An- und Abmeldungen (10 Einzüge, 0 Auszüge)" in hint.explanation


def test_melde_fluktuation_does_not_fire_below_10_or_below_3_per_flat() -> None:
    assert refs(run(moves(9, None)), "MELDE_FLUKTUATION") == []
    assert refs(run(moves(10, 4)), "MELDE_FLUKTUATION") == []
    assert refs(run(moves(10, None)), "MELDE_FLUKTUATION") == ["objekte:O1"]


def test_melde_fluktuation_counts_move_ins_and_move_outs_within_the_365_days_up_to_s() -> None:
    c = moves(4, None, first="2025-03-17")  # S - 364 days: counted
    for i in range(4):
        c.melde(f"X{i}", person=f"X{i}", ein="2020-01-01", aus="2025-08-01", grund="Umzug")  # counted
    c.melde("Y", person="Y", ein="2025-03-16")  # exactly S - 365 days: not counted
    c.melde("Z", person="Z", ein="2026-03-17")  # after S: not counted
    assert refs(run(c), "MELDE_FLUKTUATION") == []
    c.melde("W", person="W", ein=S, aus=S, grund="Umzug")  # in and out on S: two movements
    (hint,) = run(c).hints_for("MELDE_FLUKTUATION")
    assert (hint.facts["einzuege"], hint.facts["auszuege"]) == (5, 5)
    assert refs(run(c, fluktuation_min_bewegungen=10, fluktuation_min_je_wohnung=1), "MELDE_FLUKTUATION")


# --- SGB2_NACH_ABMELDUNG -------------------------------------------------------------------


def jc_departed(grund: str = "Wegzug Ausland", **jc: object) -> City:
    c = City()
    c.objekt("O1")
    c.melde("M-J", person="P-J", aus="2025-09-30", grund=grund)
    c.jobcenter(person="P-J", **jc)  # type: ignore[arg-type]
    return c


def test_sgb2_nach_abmeldung_fires_when_benefits_continue_after_moving_abroad() -> None:
    (hint,) = run(jc_departed()).hints_for("SGB2_NACH_ABMELDUNG")
    assert hint.evidence == ("jobcenter:12345BG0000001/1", "melderegister:M-J")
    assert "am 30.09.2025 ins Ausland verzogen" in hint.explanation


def test_sgb2_nach_abmeldung_does_not_fire_after_a_move_within_germany_or_when_benefits_ended() -> None:
    assert refs(run(jc_departed(grund="Wegzug")), "SGB2_NACH_ABMELDUNG") == []
    assert refs(run(jc_departed(bis="2026-03-15")), "SGB2_NACH_ABMELDUNG") == []
    assert refs(run(jc_departed(bis=S)), "SGB2_NACH_ABMELDUNG")


# --- ARBEITGEBER_HAEUFUNG ------------------------------------------------------------------

VARIANTS = ["Müller Bau GmbH", "MUELLER-BAU G.m.b.H.", "Müllerbau GmbH", " mueller  bau  gmbh ", "Müller Bau"]


def employer(incomes: list[str], names: list[str] = VARIANTS) -> City:
    c = City()
    c.objekt("O1")
    for i, (income, name) in enumerate(zip(incomes, names, strict=False)):
        c.jobcenter(f"12345BG000000{i}", person=f"J{i}", arbeitgeber=name, einkommen=income)
    return c


def test_employer_names_are_normalised_across_spelling_and_legal_form_variants() -> None:
    assert {normalise_employer(n) for n in VARIANTS[:4]} == {"muellerbau|gmbh"}
    assert set(employer_keys(VARIANTS).values()) == {"muellerbau|gmbh"}
    assert normalise_employer("Agrar AG") == "agrar|ag"
    assert normalise_employer("Schmidt Logistik UG (haftungsbeschränkt)") == "schmidtlogistik|ug"
    assert normalise_employer("Hansa-Logistik 2 GmbH & Co. KG") == "hansalogistik2|gmbhcokg"
    assert normalise_employer("Meier Reinigung") != normalise_employer("Müller Reinigung")


def test_a_different_legal_form_is_a_different_employer() -> None:
    assert normalise_employer("Brinkmann Bäckerei GmbH") != normalise_employer("Brinkmann Bäckerei e.K.")
    assert normalise_employer("Müller Bau GmbH") != normalise_employer("Müller Bau GmbH & Co. KG")
    keys = employer_keys(["Müller Bau GmbH", "Müller Bau OHG", "Müller Bau"])
    assert len(set(keys.values())) == 3


def test_arbeitgeber_haeufung_fires_for_five_minijobbers_at_one_employer_with_the_others_as_evidence() -> (
    None
):
    hints = run(employer(["603.00", "450.00", "0.01", "520.00", "100.00"])).hints_for("ARBEITGEBER_HAEUFUNG")
    assert len(hints) == 5
    first = hints[0]
    assert first.evidence[0] == first.primary_ref and len(first.evidence) == 5
    assert set(first.evidence[1:]) == {h.primary_ref for h in hints[1:]}


def test_arbeitgeber_haeufung_keeps_the_minijob_limit_inclusive_and_excludes_zero_income() -> None:
    assert (
        refs(run(employer(["603.01", "450.00", "100.00", "520.00", "100.00"])), "ARBEITGEBER_HAEUFUNG") == []
    )
    assert refs(run(employer(["0.00", "450.00", "100.00", "520.00", "100.00"])), "ARBEITGEBER_HAEUFUNG") == []
    assert (
        len(
            refs(run(employer(["603.01"] + ["100.00"] * 4), minijob_grenze_eur="650"), "ARBEITGEBER_HAEUFUNG")
        )
        == 5
    )


def test_arbeitgeber_haeufung_does_not_merge_different_employers() -> None:
    names = ["Müller Bau GmbH", "Müller Bau GmbH", "Müller Bau GmbH", "Müller Bau GmbH", "Meier Bau GmbH"]
    assert refs(run(employer(["100.00"] * 5, names)), "ARBEITGEBER_HAEUFUNG") == []
    names = ["Brinkmann Bäckerei GmbH"] * 4 + ["Brinkmann Bäckerei e.K."]
    assert refs(run(employer(["100.00"] * 5, names)), "ARBEITGEBER_HAEUFUNG") == []


# --- ADRESSE_UNBEKANNT ---------------------------------------------------------------------


def test_adresse_unbekannt_fires_for_payments_to_a_city_address_without_a_building() -> None:
    c = City()
    c.objekt("O1")
    kg = c.kindergeld(at=None, plz="44623")
    jc = c.jobcenter(at=None, plz="44623")
    hints = run(c).hints_for("ADRESSE_UNBEKANNT")
    assert [h.primary_ref for h in hints] == [jc, kg]
    assert all(h.objekt_id is None and h.address == "Nirgendweg 99, 44623 Irgendwo" for h in hints)
    assert [h.amount for h in hints] == [None, Decimal("259.00")]


def test_adresse_unbekannt_does_not_fire_outside_the_city_or_when_not_paid() -> None:
    c = City()
    c.objekt("O1")
    c.kindergeld(at=None, plz="10115")
    c.kindergeld("214FK000001", at=None, plz="44623", bis="2025-01-01")
    c.jobcenter(at=None, plz="44623", ab="2026-04-01")
    assert refs(run(c), "ADRESSE_UNBEKANNT") == []


def test_adresse_unbekannt_evaluates_the_available_source_and_notes_the_missing_one() -> None:
    c = City()
    c.objekt("O1")
    c.kindergeld(at=None, plz="44623")
    result = run(c, without=("jobcenter",))
    status = result.status("ADRESSE_UNBEKANNT")
    assert status.evaluated and status.count == 1 and "Jobcenter" in (status.note or "")
    both = run(c, without=("jobcenter", "kindergeld")).status("ADRESSE_UNBEKANNT")
    assert not both.evaluated and "Kindergeld" in (both.reason or "")


# --- whole catalogue -----------------------------------------------------------------------


def test_a_missing_source_makes_its_rules_not_evaluated_instead_of_reporting_zero_hints() -> None:
    result = run(family(), without=("jobcenter", "seu", "objekte"))
    not_evaluated = {s.rule for s in result.statuses if not s.evaluated}
    assert not_evaluated == {
        "KG_OHNE_SCHULE",
        "KG_KIND_NICHT_GEMELDET",
        "SCHULE_OHNE_MELDUNG",
        "SEU_NICHT_ERSCHIENEN",
        "UEBERBELEGUNG",
        "MELDE_FLUKTUATION",
        "SGB2_NACH_ABMELDUNG",
        "ARBEITGEBER_HAEUFUNG",
        "ADRESSE_UNBEKANNT",
    }
    for status in result.statuses:
        assert status.evaluated or (status.reason and status.reason.startswith("Es fehlt"))


def test_evaluation_is_deterministic_and_leaves_no_temporary_tables_behind() -> None:
    c = family()
    c.kindergeld("301FK654321", person="P-K", parent="P-F")
    c.schule(person="P-S", letzter="2025-11-01")
    con = c.build()
    tables = con.execute("SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall()
    first = evaluate(con, dt.date(2026, 3, 16))
    second = evaluate(con, dt.date(2026, 3, 16))
    assert first.hints == second.hints and len(first.hints) >= 4
    assert len({h.hint_id for h in first.hints}) == len(first.hints)
    assert con.execute("SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall() == tables
    order = [r.code for r in RULES]
    assert [(order.index(h.rule), h.primary_ref) for h in first.hints] == sorted(
        (order.index(h.rule), h.primary_ref) for h in first.hints
    )


def test_the_result_does_not_depend_on_the_order_of_the_rows_in_the_snapshots() -> None:
    c = family()
    c.kindergeld("301FK654321", person="P-K", parent="P-F")
    c.schule(person="P-S", letzter="2025-11-01")
    for i in range(6):
        c.jobcenter(f"12345BG000010{i}", person=f"J{i}", arbeitgeber=VARIANTS[i % 5], einkommen="300.00")
    forward = run(c)
    for rows in c.rows.values():
        rows.reverse()
    c.person_link.reverse()
    assert run(c).hints == forward.hints


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2030, 12, 31)))
def test_the_sql_schulpflicht_macros_agree_with_the_python_definition(birth: dt.date) -> None:
    con = _MACRO_CON
    got = con.execute("SELECT _r_sp_start($b), _r_sp_end($b)", {"b": birth}).fetchall()[0]
    assert got == schulpflicht_period(birth)


def _macro_connection() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for name, body in SQL_MACROS:
        con.execute(f"CREATE TEMP MACRO {name} {body}")
    return con


_MACRO_CON = _macro_connection()


def everything() -> City:
    """One small city where every rule fires at least once."""
    c = City()
    c.objekt("O1", flats=2, area=30)
    c.melde("M1", person="PK", sex="m")
    c.melde("M2", person="PP", born="1985-05-05")
    c.melde("M3", person="PX", aus="2025-06-30", grund="Wegzug Ausland")
    for i in range(10):
        c.melde(f"F{i}", person=f"F{i}", ein="2025-10-01")
    c.kindergeld(person="PK", parent="PP")
    c.kindergeld("214FK999999", person="PK", parent="PZ")
    c.kindergeld("214FK111111", person="PX", parent="PP")
    c.kindergeld("214FK222222", person="PQ", parent="PP", at=None, plz="44623")
    c.schule(person="PS", letzter="2026-01-10")
    c.seu(person="PQ", jahr=2025)
    for i in range(5):
        c.jobcenter(f"12345BG000000{i}", person=f"J{i}", arbeitgeber=VARIANTS[i], einkommen="603.00")
    c.jobcenter("12345BG0000009", person="PX")
    return c


def test_every_rule_explains_its_hints_in_one_german_sentence_with_german_dates_and_money() -> None:
    result = run(everything())
    assert {h.rule for h in result.hints} == {r.code for r in RULES}
    for h in result.hints:
        text = h.explanation
        assert text.endswith(".") and text.replace("geb. ", "").count(". ") == 0 and len(text) > 60, text
        assert not re.search(r"\d{4}-\d{2}-\d{2}", text), text
        assert not re.search(r"\d+\.\d{2} €", text), text
        assert "None" not in text and "unbekannt" not in text, text


def test_a_key_repeated_in_a_snapshot_still_gives_one_hint_per_primary_record_and_rule() -> None:
    c = family()
    c.kindergeld(person="P-K", parent="P-E")  # the same Kindergeldnummer/Kind_Nr again
    result = run(c)
    assert refs(result, "KG_OHNE_SCHULE") == [KG]
    assert refs(result, "KG_DOPPELBEZUG") == []
