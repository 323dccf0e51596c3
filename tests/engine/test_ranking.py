"""Property ranking and the two contract exports."""

from __future__ import annotations

import csv
import datetime as dt
import io
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from missimo.engine.ranking import (
    HINT_HEADER,
    PROPERTY_HEADER,
    rank_properties,
    score,
    write_hints_csv,
    write_properties_csv,
)
from missimo.engine.rules import Hint, evaluate, hint_id
from tests.engine.test_rules_city import City

CHECK = Path("/work/shared/contract/check")


def hint(
    rule: str,
    primary: str,
    objekt: str | None = "O1",
    amount: str | None = None,
    persons: tuple[str, ...] = ("P1",),
    evidence: tuple[str, ...] = (),
) -> Hint:
    return Hint(
        hint_id=hint_id(rule, primary), rule=rule, rule_version=1, primary_ref=primary,
        evidence=(primary, *evidence), objekt_id=objekt, address=f"Adresse {objekt}",
        amount=Decimal(amount) if amount else None, person_ids=persons, facts={},
        explanation="Ein Satz, der die Tatsachen nennt, die den Hinweis ausgelöst haben.",
    )  # fmt: skip


def test_the_score_follows_the_documented_formula() -> None:
    assert score(agencies=1, rules=1, hints=1, persons=1, money=0) == Decimal("20.00")
    assert score(agencies=2, rules=3, hints=7, persons=3, money=300) == Decimal("52.00")


def test_a_property_with_hints_from_several_agencies_outranks_one_with_many_hints_of_one_rule() -> None:
    many = [hint("SCHULABSENTISMUS", f"schule:123456/S{i}", "O-many", persons=(f"P{i}",)) for i in range(8)]
    corroborated = [
        hint("KG_NACH_ABMELDUNG", "kindergeld:214FK123456/1", "O-two", "259.00", ("K1", "E1")),
        hint("SGB2_NACH_ABMELDUNG", "jobcenter:12345BG0000001/1", "O-two", persons=("E1",)),
    ]
    ranked = rank_properties(many + corroborated)
    assert [p.objekt_id for p in ranked] == ["O-two", "O-many"]
    top = ranked[0]
    assert (top.rank, top.hint_count, top.rules, top.persons, top.amount) == (
        1, 2, ("KG_NACH_ABMELDUNG", "SGB2_NACH_ABMELDUNG"), 2, Decimal("259.00"),
    )  # fmt: skip
    assert top.agencies == ("Familienkasse", "Jobcenter")


def test_money_of_one_kindergeld_payment_counts_once_even_when_several_rules_point_at_it() -> None:
    kg = "kindergeld:214FK123456/1"
    hints = [
        hint("KG_OHNE_SCHULE", kg, amount="259.00"),
        hint("KG_NACH_ABMELDUNG", kg, amount="259.00"),
        hint("SEU_NICHT_ERSCHIENEN", "seu:SEU1", amount="259.00", evidence=(kg,)),
        hint("KG_DOPPELBEZUG", "kindergeld:301FK654321/1", amount="255.00", evidence=(kg,)),
    ]
    (prop,) = rank_properties(hints)
    assert prop.amount == Decimal("514.00")


def test_hints_without_a_property_are_not_ranked_and_ties_are_broken_deterministically() -> None:
    hints = [
        hint("ADRESSE_UNBEKANNT", "jobcenter:12345BG0000001/1", None),
        hint("UEBERBELEGUNG", "objekte:B", "B"),
        hint("UEBERBELEGUNG", "objekte:A", "A"),
    ]
    assert [(p.rank, p.objekt_id) for p in rank_properties(hints)] == [(1, "A"), (2, "B")]
    assert rank_properties(reversed(hints)) == rank_properties(hints)


def _city() -> City:
    c = City()
    c.objekt("O1", flats=1, area=20)
    c.objekt("O2", "Hauptstraße", "7")
    c.melde("M-K", person="P-K", sex="w", aus="2025-06-30", grund="Wegzug Ausland")
    c.melde("M-E", person="P-E", born="1985-05-05")
    for i in range(3):
        c.melde(f"M-{i}", person=f"P-{i}")
    c.kindergeld(person="P-K", parent="P-E", betrag="259.00")
    c.kindergeld("214FK000002", person="P-K2", parent="P-E", at="O2", born="2012-12-24")
    c.jobcenter(person="P-J", at=None, plz="44623")
    c.schule(person="P-S", at="O2", letzter="2025-12-01")
    return c


def test_the_exports_have_the_contract_headers_amounts_and_evidence_format(tmp_path: Path) -> None:
    result = evaluate(_city().build(), dt.date(2026, 3, 16))
    hints_file, props_file = tmp_path / "HINTS.csv", tmp_path / "PROPERTIES.csv"
    assert write_hints_csv(result, hints_file) == len(result.hints)
    write_properties_csv(result, props_file)
    rows = list(csv.reader(io.StringIO(hints_file.read_text(encoding="utf-8")), delimiter=";"))
    assert rows[0] == HINT_HEADER
    by_rule = {r[1]: r for r in rows[1:]}
    kg = by_rule["KG_NACH_ABMELDUNG"]
    assert kg[2:6] == ["O1", "Bahnhofstraße 1, 44623 Herne",
                       "kindergeld:214FK123456/1|melderegister:M-K", "259,00"]  # fmt: skip
    assert by_rule["ADRESSE_UNBEKANNT"][2] == "" and by_rule["ADRESSE_UNBEKANNT"][5] == ""
    props = list(csv.reader(io.StringIO(props_file.read_text(encoding="utf-8")), delimiter=";"))
    assert props[0] == PROPERTY_HEADER
    assert [r[0] for r in props[1:]] == [str(i) for i in range(1, len(props))]
    assert all("," in r[3] for r in props[1:])


@pytest.mark.skipif(not CHECK.exists(), reason="contract check script not available")
def test_the_exports_pass_the_contract_check(tmp_path: Path) -> None:
    result = evaluate(_city().build(), dt.date(2026, 3, 16))
    write_hints_csv(result, tmp_path / "HINTS.csv")
    write_properties_csv(result, tmp_path / "PROPERTIES.csv")
    done = subprocess.run(
        [sys.executable, str(CHECK), str(tmp_path / "HINTS.csv"), str(tmp_path / "PROPERTIES.csv")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout
    assert " 0 problems" in done.stdout
