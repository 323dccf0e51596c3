"""Dashboard and reports: every figure reconciles with a direct count of the records, periods are
inclusive (TT.MM.JJJJ), the public version suppresses small cells, and PDF, XLSX and CSV contain
the same tables as the page."""

import csv
import datetime as dt
import io
from decimal import Decimal
from types import SimpleNamespace

import openpyxl
import pytest
from django.utils import timezone

from missimo.accounts.models import Agency, AgencyKind
from missimo.audit.models import AuditAction, AuditEvent
from missimo.engine.rules import RULES
from missimo.reports import figures as fig
from missimo.reports import services

pytestmark = pytest.mark.django_db(databases="__all__")
YEAR_START, YEAR_END = dt.date(2026, 1, 1), dt.date(2026, 12, 31)


def _hint(run, rule, agency_kind, n, **extra):
    from missimo.runs.models import Hint

    return Hint.objects.create(
        run=run,
        hint_id=f"{rule}-{run.pk}-{n}",
        rule=rule,
        rule_version=1,
        agency_kind=agency_kind,
        primary_ref=f"REF-{run.pk}-{n}",
        evidence=[],
        objekt_id=f"OBJ-{n % 5}",
        address="Hauptstraße 1, 45127 Musterstadt",
        explanation="Erklärung",
        facts={},
        **extra,
    )


def _aware(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime(day.year, day.month, day.day, hour))


@pytest.fixture
def world(kim):
    """A year of work built with the ORM: two runs, hints with reviews, properties, a campaign with
    cases, an inspection, outcomes and measures on both sides of the period's boundaries."""
    from missimo.casework.models import Campaign, Case, HintReview
    from missimo.inspections.models import Inspection, InspectionFinding, Visit
    from missimo.outcomes.models import AgencyMeasure, Outcome
    from missimo.properties.models import Property
    from missimo.runs.models import Run, RunStatus

    fk = Agency.objects.create(name="Familienkasse NRW", kind=AgencyKind.FAMILIENKASSE)
    jc = Agency.objects.create(name="Jobcenter Musterstadt", kind=AgencyKind.JOBCENTER)
    sa = Agency.objects.create(name="Schulamt Musterstadt", kind=AgencyKind.SCHULAMT)
    for number in ("100001", "100002", "100003"):
        Agency.objects.create(name=f"Schule {number}", kind=AgencyKind.SCHULE, schulnummer=number)

    old = Run.objects.create(
        stichtag=dt.date(2025, 9, 15), status=RunStatus.FINISHED, finished_at=timezone.now()
    )
    run = Run.objects.create(
        stichtag=dt.date(2026, 3, 15), status=RunStatus.FINISHED, finished_at=timezone.now()
    )
    for n in range(5):
        _hint(old, "KG_OHNE_SCHULE", "familienkasse", n)
    kg = [
        _hint(run, "KG_OHNE_SCHULE", "familienkasse", n, amount_monthly=Decimal("255.00")) for n in range(12)
    ]
    absent = [_hint(run, "SCHULABSENTISMUS", "schulamt", 100 + n) for n in range(4)]
    for n in range(2):
        _hint(run, "UEBERBELEGUNG", "bauaufsicht", 200 + n)

    def review(hint, decision, reason=""):
        HintReview.objects.create(hint=hint, decision=decision, reason_code=reason, reviewed_by=kim)

    for hint in kg[:3]:
        review(hint, "bestaetigt")
    review(kg[3], "verworfen", "veraltet")
    review(kg[4], "verworfen", "bekannt")
    review(kg[4], "bestaetigt")  # the latest review decides
    review(absent[0], "verworfen", "verknuepfung")
    review(absent[1], "bestaetigt")

    props = []
    for n, (ampel, extra) in enumerate(
        [
            ("rot", {"kategorie_sozial": True}),
            ("rot", {"kategorie_sozial": True, "kategorie_bau": True}),
            ("gelb", {"kategorie_wohnung": True}),
            ("offen", {}),
            ("offen", {}),
        ]
    ):
        props.append(
            Property.objects.create(
                objekt_id=f"OBJ-{n}",
                strasse="Hauptstraße",
                hausnummer=str(n + 1),
                plz="45127",
                ort="Musterstadt",
                ampel=ampel,
                **extra,
            )
        )
    Property.objects.create(
        objekt_id="OBJ-ALT",
        strasse="Alte Gasse",
        hausnummer="1",
        plz="45127",
        ort="Musterstadt",
        ampel="rot",
        in_snapshot=False,
    )

    campaign = Campaign.objects.create(
        name="Aktion Frühjahr", start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31), run=run, created_by=kim
    )
    campaign.agencies.set([fk, jc, sa])
    cases = []
    for n, status in enumerate(["neu", "in_pruefung", "kontrolliert", "abgeschlossen"]):
        case = Case.objects.create(
            aktenzeichen=f"MIS-2026-{n:05d}", property=props[n], campaign=campaign, status=status
        )
        case.hints.set([kg[n], absent[n]])
        cases.append(case)
    stray = Case.objects.create(aktenzeichen="MIS-2025-00001", property=props[4], origin="beschwerde")
    Case.objects.filter(pk=stray.pk).update(created_at=_aware(dt.date(2025, 12, 31), 23))
    Case.objects.filter(pk__in=[c.pk for c in cases]).update(created_at=_aware(dt.date(2026, 2, 20)))

    done = Inspection.objects.create(
        campaign=campaign,
        scheduled_at=_aware(dt.date(2026, 3, 10)),
        meeting_point="Rathaus",
        status="durchgefuehrt",
    )
    Inspection.objects.create(
        campaign=campaign,
        scheduled_at=_aware(dt.date(2026, 3, 20)),
        meeting_point="Rathaus",
        status="geplant",
    )
    visit = Visit.objects.create(inspection=done, case=cases[2], status="abgeschlossen")
    Visit.objects.create(inspection=done, case=cases[3], status="offen")
    InspectionFinding.objects.create(visit=visit, case=cases[2], hint=kg[2], finding="bestaetigt")
    InspectionFinding.objects.create(visit=visit, case=cases[2], hint=absent[2], finding="nicht_bestaetigt")

    def outcome(hint, agency, result, day, case=None):
        Outcome.objects.create(hint=hint, agency=agency, result=result, decided_on=day, case=case)

    outcome(kg[0], fk, "missbrauch", YEAR_START, case=cases[0])  # first day: in
    outcome(kg[1], fk, "fehler", YEAR_END)  # last day: in
    outcome(kg[5], fk, "kein_befund", dt.date(2025, 12, 31))  # day before: out
    outcome(kg[6], fk, "missbrauch", dt.date(2027, 1, 1))  # day after: out
    outcome(kg[0], jc, "missbrauch", dt.date(2026, 6, 1))
    outcome(absent[2], sa, "kein_befund", dt.date(2026, 4, 2), case=cases[2])

    def measure(hint, agency, kind, day, **amounts):
        return AgencyMeasure.objects.create(hint=hint, agency=agency, kind=kind, taken_on=day, **amounts)

    measure(
        kg[0],
        fk,
        "kindergeld_eingestellt",
        dt.date(2026, 2, 10),
        monthly_amount=Decimal("255.00"),
        projected_savings=Decimal("12750.00"),
        case=cases[0],
    )
    measure(kg[0], fk, "rueckforderung", dt.date(2026, 2, 20), reclaimed_amount=Decimal("1200.00"))
    measure(kg[7], jc, "kindergeld_eingestellt", YEAR_END, monthly_amount=Decimal("100.00"))
    withdrawn = measure(
        kg[8], fk, "kindergeld_eingestellt", dt.date(2026, 2, 11), monthly_amount=Decimal("999.00")
    )
    AgencyMeasure.objects.filter(pk=withdrawn.pk).update(withdrawn_at=timezone.now())
    measure(kg[9], fk, "kindergeld_eingestellt", dt.date(2025, 12, 31), monthly_amount=Decimal("50.00"))
    measure(absent[1], sa, "schulpflicht", dt.date(2026, 5, 5))
    return SimpleNamespace(
        run=run, old=old, campaign=campaign, cases=cases, fk=fk, jc=jc, sa=sa, kg=kg, absent=absent
    )


@pytest.fixture
def year(world):
    return fig.figures_for(YEAR_START, YEAR_END)


# --- reconciliation: every total equals a direct count -----------------------------------------


def test_the_property_figures_equal_counts_of_the_register(year):
    from missimo.properties.models import Property

    table = year.table("objekte_ampel")
    current = Property.objects.filter(in_snapshot=True)
    assert table.value("Summe") == current.count() == 5
    for code, label in Property._meta.get_field("ampel").choices:
        assert table.value(str(label)) == current.filter(ampel=code).count()
    categories = year.table("objekte_kategorie")
    assert categories.value("sozial") == current.filter(kategorie_sozial=True).count() == 2
    assert categories.value("ohne Kategorie") == 2


def test_the_hints_are_those_of_the_latest_run_in_the_period_by_rule_and_review_status(world, year):
    from missimo.casework.services import hint_status
    from missimo.runs.models import Hint

    assert year.run == world.run
    table = year.table("hinweise_regel_status")
    hints = Hint.objects.filter(run=world.run)
    assert table.value("Summe", "Summe") == hints.count() == 18
    labels = {"offen": "offen", "bestaetigt": "zur Kontrolle vorgeschlagen", "verworfen": "verworfen"}
    titles = {rule.code: rule.title for rule in RULES}  # rows are labelled with the rule's title
    for rule in ("KG_OHNE_SCHULE", "SCHULABSENTISMUS", "UEBERBELEGUNG"):
        statuses = [hint_status(h) for h in hints.filter(rule=rule)]
        for code, label in labels.items():
            assert table.value(titles[rule], label) == statuses.count(code)
    assert table.value(titles["KG_OHNE_SCHULE"], "zur Kontrolle vorgeschlagen") == 4


def test_cases_opened_in_the_period_are_counted_by_status(world, year):
    from missimo.casework.models import Case

    table = year.table("faelle_status")
    direct = Case.objects.filter(created_at__date__gte=YEAR_START, created_at__date__lte=YEAR_END)
    assert table.value("Summe") == direct.count() == 4
    assert table.value("in Prüfung") == direct.filter(status="in_pruefung").count() == 1


def test_inspections_count_only_those_carried_out_and_completed_visits(world, year):
    table = year.table("kontrollen_kennzahlen")
    assert table.value("durchgeführte Kontrollen") == 1
    assert table.value("kontrollierte Objekte") == 1
    findings = year.table("kontrollen_befunde")
    assert findings.value("bestätigt vor Ort") == 1 and findings.value("Summe") == 2


def test_outcomes_per_agency_equal_the_outcomes_decided_in_the_period(world, year):
    from missimo.outcomes.models import Outcome

    table = year.table("ergebnisse_behoerde")
    direct = Outcome.objects.filter(decided_on__gte=YEAR_START, decided_on__lte=YEAR_END)
    assert table.value("Summe", "Summe") == direct.count() == 4
    for agency in (world.fk, world.jc, world.sa):
        for code, label in (("missbrauch", "Missbrauch bestätigt"), ("fehler", "Fehler/Irrtum")):
            assert table.value(agency.name, label) == direct.filter(agency=agency, result=code).count()
    assert table.value("Familienkasse NRW", "Summe") == 2


def test_measures_and_money_equal_the_sums_of_the_active_measures(world, year):
    from missimo.outcomes.models import AgencyMeasure

    active = AgencyMeasure.objects.active().filter(taken_on__gte=YEAR_START, taken_on__lte=YEAR_END)
    measures = year.table("massnahmen_behoerde")
    assert measures.value("Summe", "Summe") == active.count() == 4
    assert measures.value("Familienkasse NRW", "Kindergeld eingestellt") == 1  # the withdrawn one is out
    money = year.table("geld_monat")
    assert money.value("Summe", "eingestellt (€/Monat)") == sum(m.monthly_amount or 0 for m in active)
    assert money.value("Summe", "eingestellt (€/Monat)") == Decimal("355.00")
    assert money.value("Summe", "zurückgefordert (€)") == sum(m.reclaimed_amount or 0 for m in active)
    assert money.value("Summe", "prognostizierte Einsparung (€)") == sum(
        m.projected_savings or 0 for m in active
    )
    assert money.value("Februar 2026", "eingestellt (€/Monat)") == Decimal("255.00")
    assert money.value("Dezember 2026", "eingestellt (€/Monat)") == Decimal("100.00")
    assert len(money.rows) == 12
    by_agency = year.table("geld_behoerde")
    assert by_agency.value("Jobcenter Musterstadt", "eingestellt (€/Monat)") == Decimal("100.00")


def test_school_absence_counts_its_hints_and_the_causes(world, year):
    table = year.table("schulabsentismus_status")
    assert table.value("Summe") == 4
    assert table.value("verworfen") == 1 and table.value("zur Kontrolle vorgeschlagen") == 1
    causes = year.table("schulabsentismus_ursachen")
    assert causes.value("verworfen: Verknüpfung falsch (nicht dieselbe Person)") == 1
    assert causes.value("Ergebnis: kein Befund") == 1


def test_school_participation_reads_the_current_schule_snapshot(world, tmp_path, monkeypatch):
    import polars as pl

    path = tmp_path / "schule.parquet"
    pl.DataFrame(
        {"Schulnummer": ["100001", "100001", "100002", "999999"], "Schueler_ID": ["S1", "S2", "S3", "S4"]}
    ).write_parquet(path)
    monkeypatch.setattr(
        "missimo.imports.services.current_snapshots", lambda: {"schule": SimpleNamespace(path=path)}
    )
    table = fig.figures_for(YEAR_START, YEAR_END).table("schulen_beteiligung")
    assert table.value("Schulen mit Datenlieferung") == 3
    assert table.value("Summe") == 4  # three schools known in MISSIMO plus one that delivered
    assert table.value("Schulen ohne Datenlieferung") == 1


def test_without_a_schule_delivery_the_school_section_says_keine_daten(world, year):
    assert not year.section("schulen").available


def test_an_older_period_uses_the_run_of_that_period_and_none_of_this_years_records(world):
    old = fig.figures_for(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    assert old.run == world.old
    assert old.table("hinweise_regel_status").value("Summe", "Summe") == 5
    assert old.table("faelle_status").value("Summe") == 1
    assert old.table("ergebnisse_behoerde").value("Summe", "Summe") == 1
    assert old.table("geld_monat").value("Summe", "eingestellt (€/Monat)") == Decimal("50.00")


def test_a_hint_found_again_by_a_later_run_still_counts_for_the_period_of_the_earlier_run(world):
    from missimo.runs.models import HintChange, HintSighting

    # a hint of the old run, found again in the new run: one hint, its latest run the new one
    again = _hint(world.old, "KG_OHNE_SCHULE", "familienkasse", 99)
    HintSighting.objects.create(run=world.old, hint=again, change=HintChange.NEU)
    HintSighting.objects.create(run=world.run, hint=again, change=HintChange.UNVERAENDERT)
    again.run = world.run
    again.save(update_fields=["run"])

    old = fig.figures_for(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    assert old.table("hinweise_regel_status").value("Summe", "Summe") == 6


def test_a_period_without_runs_says_keine_daten_for_hints(world):
    empty = fig.figures_for(dt.date(2024, 1, 1), dt.date(2024, 1, 31))
    assert not empty.section("hinweise").available and not empty.section("schulabsentismus").available
    assert empty.table("faelle_status").value("Summe") == 0


def test_the_campaign_report_counts_only_the_campaigns_cases_hints_and_outcomes(world):
    from missimo.outcomes.models import Outcome

    report = fig.figures_for(dt.date(2026, 3, 1), YEAR_END, campaign=world.campaign)
    assert report.table("faelle_status").value("Summe") == world.campaign.cases.count() == 4
    assert report.table("objekte_ampel").value("Summe") == 4
    hints = report.table("hinweise_regel_status")
    assert hints.value("Summe", "Summe") == 8  # two hints on each of the four cases
    campaign_hints = [h.pk for case in world.cases for h in case.hints.all()]
    direct = Outcome.objects.filter(
        hint__in=campaign_hints, decided_on__gte=dt.date(2026, 3, 1), decided_on__lte=YEAR_END
    )
    assert report.table("ergebnisse_behoerde").value("Summe", "Summe") == direct.count() == 3
    assert report.table("kontrollen_kennzahlen").value("durchgeführte Kontrollen") == 1


def test_a_missing_app_degrades_to_keine_daten(world, monkeypatch):
    real = fig._model

    def without_outcomes(app_label, name):
        return None if app_label in ("outcomes", "inspections") else real(app_label, name)

    monkeypatch.setattr(fig, "_model", without_outcomes)
    figures = fig.figures_for(YEAR_START, YEAR_END)
    assert not figures.section("ergebnisse").available
    assert not figures.section("geld").available
    assert not figures.section("kontrollen").available
    assert not figures.section("hilfe").available
    assert figures.table("faelle_status").value("Summe") == 4


# --- suppression ------------------------------------------------------------------------------


def test_small_cells_are_suppressed_and_a_second_cell_hides_them_from_the_row_total():
    table = fig.Table(
        "t",
        "Test",
        "Behörde",
        ["A", "B", "C", "Summe"],
        [fig.Row("X", [25, 3, 40, 68]), fig.Row("Y", [12, 30, 50, 92])],
        fig.Row("Summe", [37, 33, 90, 160]),
    )
    shown = fig.suppress(table)
    assert shown.rows[0].values[1] == "< 10"
    assert shown.rows[0].values[0] == "< 10"  # the next smallest cell of the row
    # the column A now has one hidden cell too: its next smallest is hidden as well
    assert shown.rows[1].values[0] == "< 10"
    assert shown.rows[0].values[2] == 40 and shown.total.values == [37, 33, 90, 160]
    flat = [v for row in shown.rows for v in row.values]
    assert not [v for v in flat if isinstance(v, int) and 0 < v < 10]


def test_zero_and_large_counts_stay_and_a_small_total_is_suppressed():
    table = fig.Table(
        "t", "Test", "Status", ["Anzahl"], [fig.Row("a", [0]), fig.Row("b", [4])], fig.Row("Summe", [4])
    )
    shown = fig.suppress(table)
    assert shown.rows[0].values == [0] and shown.rows[1].values == ["< 10"] and shown.total.values == ["< 10"]


def test_money_resting_on_fewer_than_ten_measures_is_suppressed_with_a_second_row():
    table = fig.Table(
        "g",
        "Geld",
        "Monat",
        ["eingestellt (€/Monat)", "Maßnahmen"],
        [
            fig.Row("Jan", [Decimal("500.00"), 3]),
            fig.Row("Feb", [Decimal("4000.00"), 20]),
            fig.Row("Mär", [Decimal("9000.00"), 40]),
        ],
        fig.Row("Summe", [Decimal("13500.00"), 63]),
        money_columns=(0,),
        count_column=1,
    )
    shown = fig.suppress(table)
    assert shown.rows[0].values == ["< 10", "< 10"]
    assert shown.rows[1].values == ["< 10", "< 10"]  # else Summe − März would reveal January
    assert shown.rows[2].values == [Decimal("9000.00"), 40]


def test_the_public_version_has_no_small_cells_and_keeps_school_counts(world):
    figures = fig.public(fig.figures_for(YEAR_START, YEAR_END))
    assert figures.public
    for table in figures.tables:
        if not table.suppress:
            continue
        for row in table.body():
            assert not [v for v in row[1:] if isinstance(v, int) and 0 < v < 10], (table.key, row)


# --- pages, access, period input ---------------------------------------------------------------


def test_kim_sees_the_dashboard_with_charts_and_the_same_numbers_as_tables(client, kim, world):
    client.force_login(kim)
    response = client.get("/berichte/", {"von": "01.01.2026", "bis": "31.12.2026"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="img"' in html and "<title id=" in html and "<caption" in html
    figures = response.context["figures"]
    assert figures.table("ergebnisse_behoerde").value("Summe", "Summe") == 4
    assert AuditEvent.objects.filter(object_type="report_dashboard", action=AuditAction.READ).exists()


def test_the_period_bounds_are_inclusive_in_german_date_format(client, kim, world):
    client.force_login(kim)
    response = client.get("/berichte/", {"von": "01.01.2026", "bis": "01.01.2026"})
    assert response.context["figures"].table("ergebnisse_behoerde").value("Summe", "Summe") == 1
    response = client.get("/berichte/", {"von": "31.12.2026", "bis": "31.12.2026"})
    assert response.context["figures"].table("ergebnisse_behoerde").value("Summe", "Summe") == 1
    response = client.get("/berichte/", {"von": "02.01.2026", "bis": "30.12.2026"})
    assert response.context["figures"].table("ergebnisse_behoerde").value("Summe", "Summe") == 2


def test_a_wrong_date_or_an_end_before_the_start_is_refused_with_a_message(client, kim, world):
    client.force_login(kim)
    response = client.get("/berichte/", {"von": "31.02.2026", "bis": "31.12.2026"})
    assert response.status_code == 400
    assert "Bitte geben Sie den Beginn im Format TT.MM.JJJJ an." in response.content.decode()
    response = client.get("/berichte/", {"von": "31.12.2026", "bis": "01.01.2026"})
    assert response.status_code == 400
    assert "Das Ende darf nicht vor dem Beginn liegen." in response.content.decode()


def test_the_period_is_picked_with_date_pickers_which_send_jjjj_mm_tt(client, kim, world):
    client.force_login(kim)
    response = client.get("/berichte/", {"von": "2026-01-01", "bis": "2026-12-31"})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'type="date"' in page and 'value="2026-01-01"' in page and 'value="2026-12-31"' in page


def test_other_agencies_get_a_404_for_dashboard_and_reports(client, fabian, world):
    client.force_login(fabian)
    assert client.get("/berichte/").status_code == 404
    assert client.get("/berichte/bericht/").status_code == 404
    assert client.get("/berichte/bericht/pdf/").status_code == 404
    assert client.get("/berichte/export/csv/").status_code == 404


def test_the_data_protection_officer_sees_only_the_public_report(client, dana, world):
    client.force_login(dana)
    assert client.get("/berichte/").status_code == 404
    response = client.get(
        "/berichte/bericht/", {"fassung": "intern", "von": "01.01.2026", "bis": "31.12.2026"}
    )
    assert response.status_code == 200
    assert response.context["figures"].public
    assert "öffentliche Fassung" in response.context["report"].title


def test_navigation_shows_uebersicht_and_berichte_to_kim_and_only_berichte_to_dana(kim, dana, fabian):
    from missimo.reports.nav import items

    assert [label for label, _ in items(kim)] == ["Übersicht", "Berichte"]
    assert [label for label, _ in items(dana)] == ["Berichte"]
    assert items(fabian) == []


def test_the_annual_report_defaults_to_the_current_year(client, kim, world):
    client.force_login(kim)
    response = client.get("/berichte/bericht/")
    report = response.context["report"]
    year = timezone.localdate().year
    assert (report.start, report.end) == (dt.date(year, 1, 1), dt.date(year, 12, 31))
    assert report.title == f"Jahresbericht {year}"


def test_the_campaign_report_needs_a_campaign_and_defaults_to_its_dates(client, kim, world):
    client.force_login(kim)
    response = client.get("/berichte/bericht/", {"art": "abschlussbericht"})
    assert response.status_code == 400
    assert "Bitte wählen Sie den Aktionszeitraum" in response.content.decode()
    response = client.get("/berichte/bericht/", {"art": "abschlussbericht", "aktion": world.campaign.pk})
    report = response.context["report"]
    assert report.start == dt.date(2026, 3, 1) and report.end >= dt.date(2026, 3, 31)
    assert "Aktion Frühjahr" in report.title
    public = client.get(
        "/berichte/bericht/",
        {"art": "abschlussbericht", "aktion": world.campaign.pk, "fassung": "oeffentlich"},
    )
    assert "Aktion Frühjahr" not in public.context["report"].title


# --- files --------------------------------------------------------------------------------------


def _report(**extra):
    values = {
        "kind": services.JAHRESBERICHT,
        "start": YEAR_START,
        "end": YEAR_END,
        "version": services.INTERN,
    }
    values.update(extra)
    return services.ReportRequest(**values)


def _csv_value(value):
    if isinstance(value, Decimal):
        return f"{value:.2f}".replace(".", ",")
    return str(value)


def test_the_csv_contains_every_table_exactly(world):
    report = _report()
    figures = services.figures_of(report)
    content = services.export_csv(report, figures)
    assert content.startswith("\ufeff".encode())
    lines = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert lines[0] == ["Jahresbericht 2026"]
    for table in figures.tables:
        start = lines.index([table.title])
        assert lines[start + 1] == table.header
        for offset, row in enumerate(table.body(), start=2):
            assert lines[start + offset] == [_csv_value(v) for v in row]


def test_the_xlsx_has_one_sheet_per_table_with_the_same_values(world):
    report = _report(version=services.OEFFENTLICH)
    figures = services.figures_of(report)
    book = openpyxl.load_workbook(io.BytesIO(services.export_xlsx(report, figures)))
    assert book["Bericht"]["A1"].value == "Jahresbericht 2026 (öffentliche Fassung)"
    sheets = {row[1]: row[2] for row in book["Bericht"].iter_rows(min_row=5, values_only=True) if row[2]}
    for table in figures.tables:
        sheet = book[sheets[table.title]]
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
        assert rows[0] == table.header
        expected = [[Decimal(str(v)) if isinstance(v, float) else v for v in row] for row in table.body()]
        got = [[Decimal(str(v)) if isinstance(v, float) else v for v in row] for row in rows[1:]]
        assert got == expected


def test_text_cells_are_escaped_against_formula_injection(world):
    Agency.objects.filter(pk=world.jc.pk).update(name="=HYPERLINK(1)")
    report = _report()
    figures = services.figures_of(report)
    assert "'=HYPERLINK(1)" in services.export_csv(report, figures).decode("utf-8-sig")
    book = openpyxl.load_workbook(io.BytesIO(services.export_xlsx(report, figures)))
    values = [c for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row]
    assert "'=HYPERLINK(1)" in values and "=HYPERLINK(1)" not in values


def test_the_pdf_renders_with_its_german_title_and_charts(world):
    report = _report()
    figures = services.figures_of(report)
    assert services.export_pdf(report, figures).startswith(b"%PDF")
    content = services.export_pdf(report, figures, compress=False)
    assert b"Jahresbericht 2026" in content  # the document title in the PDF metadata
    assert b"0.121569 0.305882 0.54902 rg" in content  # the bars of the SVG charts (#1f4e8c) are drawn


def test_each_chart_is_an_accessible_image_carrying_the_numbers_of_its_table(world):
    from django.utils.html import escape

    from missimo.reports.charts import bar_chart, series_of

    figures = fig.public(fig.figures_for(YEAR_START, YEAR_END))
    for table in figures.tables:
        svg = str(bar_chart(table))
        assert 'role="img"' in svg and f'id="diagramm-{table.key}-title"' in svg
        assert f'aria-labelledby="diagramm-{table.key}-title diagramm-{table.key}-desc"' in svg
        columns = series_of(table)
        for label, cells, is_total in table.display():
            if is_total:
                continue
            for column in columns:
                text = cells[column] if len(columns) == 1 else f"{table.columns[column]}: {cells[column]}"
                assert f">{escape(text)}</text>" in svg, (table.key, label, text)


def test_a_download_is_audited_with_its_format_and_period(client, kim, world):
    client.force_login(kim)
    response = client.get("/berichte/bericht/xlsx/", {"von": "01.01.2026", "bis": "31.12.2026"})
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.xlsx"')
    event = AuditEvent.objects.filter(object_type="report", action=AuditAction.EXPORT).latest("sequence")
    assert event.details["format"] == "xlsx" and event.details["von"] == "2026-01-01"
    response = client.get("/berichte/export/csv/", {"von": "01.01.2026", "bis": "31.12.2026"})
    assert response.status_code == 200 and response.content.startswith("\ufeff".encode())
    assert AuditEvent.objects.filter(object_type="report_dashboard", action=AuditAction.EXPORT).exists()


def test_school_participation_counts_the_schools_of_the_imported_delivery(imported_city, kim):
    with open(imported_city / "schule.csv", encoding="utf-8") as stream:
        numbers = {row["Schulnummer"] for row in csv.DictReader(stream, delimiter=";")}
    Agency.objects.create(name="Schule ohne Lieferung", kind=AgencyKind.SCHULE, schulnummer="199999")
    table = fig.figures_for(YEAR_START, YEAR_END).table("schulen_beteiligung")
    assert table.value("Schulen mit Datenlieferung") == len(numbers) > 0
    assert table.value("Schulen ohne Datenlieferung") == 1
    assert table.value("Summe") == len(numbers) + 1
