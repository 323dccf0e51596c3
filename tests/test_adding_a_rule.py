"""Proof by adding: a 13th rule is three files (docs/contributing.md, "How to add … A rule").

A rule is one `Rule` record in ``engine/rules.py``, one German sentence in ``engine/explain.py`` and
one routing entry in ``accounts/policy.py``; every other part of the application reads the catalogue.
The first test shows that no other module names every rule; the second adds a toy rule to those three
places (as a maintainer would, here for the duration of the test) and runs the Abgleich with it.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from missimo import engine
from missimo.accounts import access, policy
from missimo.engine import explain, ranking, rules

SRC = Path(__file__).parents[1] / "src" / "missimo"
THE_THREE = {"engine/rules.py", "engine/explain.py", "accounts/policy.py"}


def test_only_the_catalogue_its_sentences_and_the_routing_name_every_rule():
    codes = [rule.code for rule in engine.RULES]
    naming_all = set()
    for path in SRC.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if all(re.search(rf"[\"']{code}[\"']", text) for code in codes):
            naming_all.add(str(path.relative_to(SRC)))
    # the synthetic city plants cases of every rule and keeps their ground truth (optional for a new rule)
    assert naming_all - {"synth/world.py", "synth/oracle.py"} == THE_THREE
    assert set(explain.EXPLAINERS) == set(codes) == set(policy.HINT_ROUTING)


KG_HOHER_BETRAG = rules.Rule(
    code="KG_HOHER_BETRAG",
    version=1,
    title="Kindergeld über 250 € im Monat",
    background="Eine Spielregel für den Test: jede Kindergeldzahlung über 250 € im Monat.",
    legal="§ 66 EStG",
    primary=("kindergeld",),
    sources=("kindergeld",),
    queries=(
        rules.Query(
            """
SELECT k.ref AS primary_ref, [k.ref] AS evidence, k.objekt_id, k.adresse, k.Monatsbetrag AS amount,
  [k.kind_pid] AS person_ids, struct_pack(name := k.kind_name, monatsbetrag := k.Monatsbetrag) AS facts
FROM _r_kg k WHERE k.Monatsbetrag > 250
"""
        ),
    ),
)


def hoher_betrag(facts) -> str:
    return f"Für {facts['name']} werden {explain.format_money(facts['monatsbetrag'])} Kindergeld gezahlt."


@pytest.fixture
def kg_hoher_betrag(monkeypatch):
    # (1) engine/rules.py: the rule in the catalogue
    monkeypatch.setattr(rules, "RULES", (*rules.RULES, KG_HOHER_BETRAG))
    monkeypatch.setitem(rules.RULE_BY_CODE, KG_HOHER_BETRAG.code, KG_HOHER_BETRAG)
    monkeypatch.setitem(ranking._RULE_ORDER, KG_HOHER_BETRAG.code, len(rules.RULES))
    # (2) engine/explain.py: its sentence
    monkeypatch.setitem(explain.EXPLAINERS, KG_HOHER_BETRAG.code, hoher_betrag)
    # (3) accounts/policy.py: its routing (the Familienkasse's data, nobody else acts on it)
    routing = policy.Routing((policy.AgencyKind.FAMILIENKASSE,), {}, "nur Familienkasse (Kindergeld)")
    monkeypatch.setitem(policy.HINT_ROUTING, KG_HOHER_BETRAG.code, routing)
    return KG_HOHER_BETRAG


def test_a_rule_in_the_three_places_is_evaluated_explained_ranked_and_routed(
    kg_hoher_betrag, tiny_city, tmp_path
):
    snapshots = {}
    for name in ("melderegister", "kindergeld", "objekte"):
        result = engine.read_source(name, (tiny_city / f"{name}.csv").read_bytes())
        snapshots[name] = tmp_path / f"{name}.parquet"
        engine.write_snapshot(result.table, snapshots[name])
    output = engine.run_abgleich(snapshots, dt.date(2026, 9, 15), tmp_path / "run")

    status = next(s for s in output.evaluation.statuses if s.rule == "KG_HOHER_BETRAG")
    hints = [h for h in output.evaluation.hints if h.rule == "KG_HOHER_BETRAG"]
    assert status.evaluated and status.count == len(hints) > 0
    assert output.evaluation.rule_versions["KG_HOHER_BETRAG"] == 1
    assert all(h.explanation.startswith("Für ") and "Kindergeld gezahlt" in h.explanation for h in hints)
    assert {engine.owner_of(h.primary_ref.partition(":")[0]) for h in hints} == {"familienkasse"}
    ranked_rules = {code for entry in output.ranking for code in entry.rules}
    assert "KG_HOHER_BETRAG" in ranked_rules
    # the Familienkasse sees its hints, the Jobcenter does not; the documentation names the rule
    assert policy.role_sees_hint(policy.Role.FAMILIENKASSE, "familienkasse", "KG_HOHER_BETRAG")
    assert not policy.role_sees_hint(policy.Role.JOBCENTER, "familienkasse", "KG_HOHER_BETRAG")
    assert "`KG_HOHER_BETRAG`" in access.routing_table_markdown()
