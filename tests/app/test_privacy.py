"""Fairness report and Art. 15 report of the data-protection officer; nationality stays out of
every rule, score and link."""

from __future__ import annotations

import ast
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from missimo.audit.models import AuditAction, AuditEvent
from missimo.engine.rules import RULES
from missimo.privacy import services
from missimo.privacy.services import Cell, nationality_group

pytestmark = pytest.mark.django_db(databases="__all__")
STICHTAG = dt.date(2026, 9, 15)
ENGINE = Path(services.__file__).parents[1] / "engine"


@pytest.fixture
def finished_run(imported_city, kim):
    from missimo.runs import services as run_services

    run = run_services.start_run(STICHTAG, user=kim, channel="cli")
    run = run_services.execute_run(run.pk)
    assert run.hints.exists(), run.message
    return run


# --- groups and suppression ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("codes", "group"),
    [
        ("DE", "Deutschland"),
        ("DE,TR", "Deutschland"),
        ("TR,DE", "Deutschland"),
        ("TR", "Türkei"),
        ("RO", "Rumänien"),
        ("BG,RO", "Bulgarien"),
        ("PL", "Polen"),
        ("SY", "Syrien"),
        ("FR", "sonstige EU"),
        ("UA", "sonstige"),
        ("", "ohne Angabe"),
        (None, "ohne Angabe"),
    ],
)
def test_nationalities_are_grouped_as_the_report_shows_them(codes, group):
    assert nationality_group(codes) == group


def test_cells_under_ten_persons_are_suppressed():
    assert services._cell(9, 100).suppressed
    assert services._cell(0, 100).suppressed
    shown = services._cell(10, 200)
    assert (shown.count, shown.rate) == (10, 5)


def test_a_rate_is_shown_only_when_its_group_has_ten_persons_or_more():
    assert services._cell(12, 9).rate is None


def test_a_single_suppressed_cell_in_a_row_takes_a_second_one_with_it():
    counts = [50, 4, 20, 30]
    cells = services._secondary_suppression(counts, [services._cell(c) for c in counts])
    assert [c.suppressed for c in cells] == [False, True, True, False]


def test_the_report_rows_never_show_fewer_than_ten_persons():
    population = {"Deutschland": 1000, "Rumänien": 200, "Polen": 15}
    row = services._row("R", "Regel", {"Deutschland": 40, "Rumänien": 3, "Polen": 11}, population)
    assert all(cell.suppressed or cell.count >= 10 for cell in [*row.cells, row.total])
    assert sum(cell.suppressed for cell in row.cells if True) >= 2


# --- the fairness report -------------------------------------------------------------------


def test_the_fairness_report_counts_persons_per_group_from_the_current_melderegister(finished_run):
    from missimo.imports.services import current_snapshots

    report = services.fairness_report()
    path = current_snapshots()["melderegister"].path
    rows = duckdb.sql(
        f"SELECT arg_max(Staatsangehoerigkeit, Einzugsdatum) FROM read_parquet('{path}') GROUP BY Ordnungsmerkmal"  # noqa: S608
    ).fetchall()
    expected: dict[str, int] = {}
    for (codes,) in rows:
        expected[nationality_group(codes)] = expected.get(nationality_group(codes), 0) + 1
    shown = dict(zip(report.groups, report.population, strict=True))
    for group, cell in shown.items():
        count = expected.get(group, 0)
        assert cell == (Cell(None) if count < 10 else Cell(count))


def test_the_fairness_report_has_a_row_per_rule_and_suppresses_small_cells(finished_run):
    report = services.fairness_report()
    rules = {hint.rule for hint in finished_run.hints.all() if hint.person_ids}
    assert {row.code for row in report.rules} == rules
    for row in [report.any_hint, *report.rules]:
        assert all(cell.suppressed or cell.count >= 10 for cell in [*row.cells, row.total])
        assert sum(cell.suppressed for cell in row.cells) != 1


def test_the_fairness_report_numerators_come_from_the_hint_persons(finished_run):
    report = services.fairness_report()
    persons = {pid for ids in finished_run.hints.values_list("person_ids", flat=True) for pid in ids}
    total = report.any_hint.total
    assert total.suppressed or total.count == len(persons)


def test_the_fairness_page_shows_rates_and_says_when_no_hint_is_decided_yet(client, dana, finished_run):
    client.force_login(dana)
    page = client.get("/datenschutz/fairness/")
    assert page.status_code == 200
    for group in (
        "Deutschland",
        "Türkei",
        "Rumänien",
        "Bulgarien",
        "Polen",
        "Syrien",
        "sonstige EU",
        "sonstige",
    ):
        assert f">{group}</th>" in page.text
    assert "Bestätigungs- und Verwerfungsquote" in page.text
    assert "noch keine Entscheidung erfasst" in page.text
    assert "&lt; 10" in page.text
    assert AuditEvent.objects.filter(actor_username="dana", object_type="fairness_report").exists()


def test_the_fairness_page_says_so_when_there_is_no_run_yet(client, dana):
    client.force_login(dana)
    assert "Noch keine Daten" in client.get("/datenschutz/fairness/").text


def test_case_workers_and_administration_get_404_on_the_privacy_pages(client, kim, fabian, make_user):
    from missimo.accounts.models import AgencyKind
    from missimo.accounts.policy import Role

    alex = make_user("alex", Role.ADMINISTRATION, "IT", AgencyKind.IT)
    for user in (kim, fabian, alex):
        client.force_login(user)
        assert client.get("/datenschutz/fairness/").status_code == 404
        assert client.get("/datenschutz/auskunft/").status_code == 404
        assert (
            client.post("/datenschutz/auskunft/", {"zweck": "x", "ordnungsmerkmal": "1"}).status_code == 404
        )


# --- Art. 15 -------------------------------------------------------------------------------


def _hint_person_with_melderegister(run):
    from missimo.privacy.services import _melderegister_key_of_persons

    for hint in run.hints.all():
        keys = _melderegister_key_of_persons(run, set(hint.person_ids))
        if keys:
            return hint, next(iter(keys.values()))
    raise AssertionError("no hint person with a Melderegister record")


def test_the_art15_report_lists_the_persons_records_hints_and_audit_entries(finished_run, kim, client, dana):
    hint, key = _hint_person_with_melderegister(finished_run)
    client.force_login(kim)
    client.get("/hinweise/", {"regel": hint.rule})  # kim reads the hint list: an audit entry names the hint
    report = services.art15_report(ordnungsmerkmal=key)
    sources = {snap.source for snap in report.snapshots}
    assert "melderegister" in sources
    assert all(
        row["Ordnungsmerkmal"] == key
        for snap in report.snapshots
        if snap.source == "melderegister"
        for row in snap.rows
    )
    assert f"melderegister:{key}" in report.record_refs
    assert hint.hint_id in {h["hinweis_id"] for h in report.hints}
    assert any(e["benutzer"] == "kim" and e["objektart"] == "hint_list" for e in report.audit_events)


def test_the_art15_report_finds_a_person_by_name_and_birth_date(finished_run):
    from missimo.imports.services import current_snapshots

    path = current_snapshots()["melderegister"].path
    key, name, born = duckdb.sql(
        f"SELECT Ordnungsmerkmal, Familienname, Geburtsdatum FROM read_parquet('{path}') "  # noqa: S608
        "WHERE Geburtsdatum NOT LIKE '%-00%' LIMIT 1"
    ).fetchall()[0]
    report = services.art15_report(family_name=name, birth_date=dt.date.fromisoformat(born))
    melde = [snap for snap in report.snapshots if snap.source == "melderegister"]
    assert key in {row["Ordnungsmerkmal"] for snap in melde for row in snap.rows}


def test_the_art15_page_shows_the_report_and_audits_it_with_its_purpose(finished_run, client, dana):
    _hint, key = _hint_person_with_melderegister(finished_run)
    client.force_login(dana)
    page = client.post(
        "/datenschutz/auskunft/", {"zweck": "Auskunftsersuchen Az. DS-1", "ordnungsmerkmal": key}
    )
    assert page.status_code == 200
    assert key in page.text
    assert "Melderegister" in page.text
    event = AuditEvent.objects.filter(object_type="art15_report").get()
    assert (event.action, event.purpose, event.actor_username) == (
        AuditAction.READ,
        "Auskunftsersuchen Az. DS-1",
        "dana",
    )
    assert event.details["criteria"] == {"ordnungsmerkmal": key}


def test_the_art15_report_is_downloadable_as_a_file_and_the_download_is_audited(finished_run, client, dana):
    hint, key = _hint_person_with_melderegister(finished_run)
    client.force_login(dana)
    response = client.post(
        "/datenschutz/auskunft/", {"zweck": "Auskunft Az. DS-2", "ordnungsmerkmal": key, "datei": "1"}
    )
    assert response["Content-Disposition"].startswith('attachment; filename="auskunft_art15_')
    data = json.loads(response.content)
    assert data["suchkriterien"] == {"ordnungsmerkmal": key}
    assert hint.hint_id in {h["hinweis_id"] for h in data["pruefhinweise"]}
    assert AuditEvent.objects.filter(object_type="art15_report", action=AuditAction.EXPORT).count() == 1


def test_the_art15_search_needs_a_key_or_name_and_birth_date_and_a_purpose(client, dana):
    client.force_login(dana)
    page = client.post("/datenschutz/auskunft/", {"zweck": "Az. 3", "familienname": "Muster"})
    assert "Ordnungsmerkmal an oder den Familiennamen zusammen mit dem Geburtsdatum" in page.text
    page = client.post("/datenschutz/auskunft/", {"ordnungsmerkmal": "OM1"})
    assert "Dieses Feld ist zwingend erforderlich." in page.text or "required" in page.text
    assert not AuditEvent.objects.filter(object_type="art15_report").exists()


def test_a_person_without_records_gets_an_empty_report(finished_run):
    report = services.art15_report(ordnungsmerkmal="GIBT-ES-NICHT")
    assert not report.found
    assert report.hints == []


# --- nationality never feeds a rule, a score or the linkage --------------------------------


def _engine_result(snapshots: dict[str, Path], work: Path):
    from missimo.engine.run import run_abgleich

    output = run_abgleich(snapshots, STICHTAG, work)
    hints = sorted(
        (h.hint_id, h.rule, tuple(h.person_ids), tuple(h.evidence), str(h.amount))
        for h in output.evaluation.hints
    )
    ranking = [(p.rank, p.objekt_id, str(p.score), p.hint_count) for p in output.ranking]
    return hints, ranking


@pytest.mark.slow
def test_scrambling_or_removing_nationality_changes_no_hint_and_no_ranking(imported_city, tmp_path):
    from missimo.imports.services import current_snapshots

    snapshots = {source: snap.path for source, snap in current_snapshots().items()}
    original = snapshots["melderegister"]
    variants = {
        "removed": f"SELECT * EXCLUDE (Staatsangehoerigkeit) FROM read_parquet('{original}')",  # noqa: S608
        "scrambled": (
            "SELECT * REPLACE (CASE WHEN hash(Ordnungsmerkmal) % 3 = 0 THEN 'SY' WHEN hash(Ordnungsmerkmal) % 3 = 1 "  # noqa: S608
            f"THEN 'DE,RO' ELSE NULL END AS Staatsangehoerigkeit) FROM read_parquet('{original}')"
        ),
    }
    baseline = _engine_result(snapshots, tmp_path / "baseline")
    assert baseline[0], "the tiny city has hints"
    for name, sql in variants.items():
        changed = tmp_path / f"melderegister-{name}.parquet"
        duckdb.sql(f"COPY ({sql}) TO '{changed}' (FORMAT parquet)")
        assert _engine_result({**snapshots, "melderegister": changed}, tmp_path / name) == baseline, name


def _strings_outside_docstrings(tree: ast.AST) -> list[ast.Constant]:
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef):
            body = getattr(node, "body", [])
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


# The source layout declares the column (so that a delivery is validated); no other engine module
# names it (the linkage tests' sample population, which writes it, lives in tests/engine).
_DECLARES_OR_GENERATES = {"sources.py"}


def test_no_engine_module_reads_the_nationality_column():
    readers = []
    for module in sorted(ENGINE.rglob("*.py")):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        mentions = [n for n in _strings_outside_docstrings(tree) if "staatsangeh" in n.value.lower()]
        if mentions and module.name not in _DECLARES_OR_GENERATES:
            readers.append(f"{module.name}:{mentions[0].lineno}")
    assert readers == []


def test_no_rule_sql_names_the_nationality_column():
    from missimo.engine import rules

    for rule in rules.RULES:
        assert "staatsangeh" not in json.dumps(rule, default=lambda o: getattr(o, "__dict__", str(o))).lower()


def test_the_linkage_compares_no_nationality():
    from missimo.engine import linkage

    source = Path(linkage.__file__).read_text(encoding="utf-8")
    code = "\n".join(n.value for n in _strings_outside_docstrings(ast.parse(source)))
    assert "staatsangeh" not in code.lower()


def test_confirmation_and_dismissal_rates_come_from_recorded_outcomes_and_reviews(
    client, dana, kim, finished_run
):
    from missimo.accounts.models import Agency
    from missimo.casework.models import HintReview, ReviewDecision
    from missimo.outcomes.models import Outcome, OutcomeResult

    agency = Agency.objects.get(name="Ordnungsamt")
    hints = list(finished_run.hints.exclude(person_ids=[]).order_by("pk")[:33])
    assert len(hints) == 33
    today = dt.date(2026, 10, 1)
    for hint in hints[:14]:
        Outcome.objects.create(hint=hint, agency=agency, result=OutcomeResult.MISSBRAUCH, decided_on=today)
    for hint in hints[14:21]:
        Outcome.objects.create(hint=hint, agency=agency, result=OutcomeResult.KEIN_BEFUND, decided_on=today)
    for hint in hints[21:33]:
        HintReview.objects.create(
            hint=hint, decision=ReviewDecision.VERWORFEN, reason_code="veraltet", agency=agency
        )

    decisions = services.hint_decisions(finished_run)
    assert sum(1 for d in decisions.values() if d == "bestaetigt") == 14
    assert sum(1 for d in decisions.values() if d == "verworfen") == 19

    report = services.fairness_report()
    all_rules = report.decided[0]
    assert all_rules.title == "alle Regeln"
    confirmed, dismissed = report.confirmation[0].total, report.dismissal[0].total
    decided = all_rules.total
    assert decided.count >= 33 and confirmed.count >= 14 and dismissed.count >= 19
    assert confirmed.rate == (Decimal(100) * confirmed.count / decided.count).quantize(Decimal("0.1"))
    for row in [*report.decided, *report.confirmation, *report.dismissal]:
        assert all(cell.suppressed or cell.count >= 10 for cell in [*row.cells, row.total])

    client.force_login(dana)
    page = client.get("/datenschutz/fairness/").text
    assert "Bestätigte Hinweise (Bestätigungsquote)" in page and "noch keine Entscheidung" not in page


def test_the_art15_report_is_downloadable_as_a_tagged_pdf_and_as_csv_in_german(finished_run, client, dana):
    import csv
    import io

    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    hint, key = _hint_person_with_melderegister(finished_run)
    client.force_login(dana)
    data = {"zweck": "Auskunft Az. DS-3", "ordnungsmerkmal": key}
    pdf = client.post("/datenschutz/auskunft/", {**data, "datei": "pdf"})
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"].endswith('.pdf"')
    document = pdfium.PdfDocument(pdf.content)
    assert pdfium_c.FPDFCatalog_IsTagged(document.raw)
    text = " ".join("".join(p.get_textpage().get_text_range() for p in document).split())
    assert "Auskunft nach Art. 15 DSGVO" in text and f"Ordnungsmerkmal: {key}" in text
    assert hint.hint_id in text.replace(" ", "")  # a long identifier may wrap inside its cell

    response = client.post("/datenschutz/auskunft/", {**data, "datei": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert lines[0] == ["Auskunft nach Art. 15 DSGVO"]
    assert [f"Suchkriterien: Ordnungsmerkmal: {key}"] in lines
    header = lines.index(services.ART15_HINT_HEADER)
    rows = [line for line in lines[header + 1 :] if line and line[0] == hint.hint_id]
    assert rows and rows[0][1] == next(r.title for r in RULES if r.code == hint.rule)
    formats = [
        e.details.get("format")
        for e in AuditEvent.objects.filter(object_type="art15_report", action=AuditAction.EXPORT)
    ]
    assert sorted(formats) == ["csv", "pdf"]
