"""An outcome can be recorded on a case that has no hint (issue #16): a case opened from a tip-off
or another office gets its agency's outcome from the case page; corrections keep the earlier
version, the step is audited, and only agencies that see the case may record it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from missimo.accounts.models import AgencyKind
from missimo.accounts.policy import Role
from missimo.audit.models import AuditEvent
from missimo.casework.models import Case, CaseStatus
from missimo.outcomes import services
from missimo.outcomes.models import Outcome, OutcomeResult

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def tip_off(fabian):
    """A case of the Familienkasse opened from a tip-off: no hint at all."""
    return Case.objects.create(
        aktenzeichen="MIS-2026-00077",
        status=CaseStatus.IN_PRUEFUNG,
        lead_agency=fabian.agency,
        assigned_to=fabian,
    )


def _post(client, case, result="missbrauch", day="03.11.2026", note="", version=0):
    return client.post(
        reverse("outcomes:case", args=[case.pk]),
        {"fall-result": result, "fall-decided_on": day, "fall-note": note, "fall-version": version},
    )


def test_an_outcome_is_recorded_on_a_case_without_a_hint_from_the_case_page(client, fabian, tip_off):
    client.force_login(fabian)
    page = client.get(reverse("casework:case_detail", args=[tip_off.pk])).text
    assert "Ergebnis zum Prüffall" in page and "Ergebnis zum Prüffall speichern" in page
    response = _post(client, tip_off, note="Mitteilung der Schule")
    assert response.status_code == 302
    outcome = Outcome.objects.get()
    assert outcome.hint is None and outcome.case == tip_off and outcome.agency == fabian.agency
    assert outcome.result == OutcomeResult.MISSBRAUCH and f"{outcome.decided_on:%d.%m.%Y}" == "03.11.2026"
    event = AuditEvent.objects.filter(object_type="outcome", object_id=str(outcome.pk)).get()
    assert event.purpose == "Ergebnis zu einem Prüffall erfasst"
    assert event.details["case"] == "MIS-2026-00077" and event.details["hint"] is None
    page = client.get(reverse("casework:case_detail", args=[tip_off.pk])).text
    assert "Missbrauch bestätigt" in page and "Ergebnis zum Prüffall berichtigen" in page
    assert services.outcomes_for(fabian).filter(pk=outcome.pk).exists()


def test_a_correction_of_the_case_outcome_keeps_the_earlier_version_and_a_stale_one_is_refused(
    client, fabian, tip_off
):
    client.force_login(fabian)
    _post(client, tip_off)
    assert _post(client, tip_off, result="kein_befund", version=1).status_code == 302
    outcome = Outcome.objects.get()
    assert outcome.result == OutcomeResult.KEIN_BEFUND and outcome.version == 2
    assert [r.result for r in outcome.revisions.all()] == [OutcomeResult.MISSBRAUCH]
    stale = _post(client, tip_off, result="fehler", version=1)
    assert stale.status_code == 409
    assert Outcome.objects.get().result == OutcomeResult.KEIN_BEFUND


def test_an_agency_that_does_not_see_the_case_cannot_record_an_outcome_on_it(client, make_user, tip_off):
    jonas = make_user("jonas", Role.JOBCENTER, "Jobcenter", AgencyKind.JOBCENTER)
    client.force_login(jonas)
    assert _post(client, tip_off).status_code == 404
    with pytest.raises(services.Refused):
        services.record_case_outcome(
            jonas, tip_off, result="missbrauch", decided_on=tip_off.created_at.date()
        )
    assert not Outcome.objects.exists()


def test_a_role_without_outcomes_gets_404(client, dana, tip_off):
    client.force_login(dana)
    assert _post(client, tip_off).status_code == 404


# --- follow-ups of measures and letters --------------------------------------------------------


def test_a_measure_with_a_due_follow_up_is_on_the_start_page_as_urgent(client, fabian):
    import datetime as dt

    from django.utils import timezone

    from missimo.runs.models import Run, RunStatus
    from tests.app.test_outcomes import _hint

    run = Run.objects.create(stichtag=dt.date(2026, 9, 15), status=RunStatus.FINISHED)
    hint = _hint(run, "KG_KIND_NICHT_GEMELDET", "familienkasse", "kindergeld:KG-1")
    today = timezone.localdate()
    services.add_measure(
        fabian, hint, kind="rueckforderung", taken_on=today, reclaimed_amount=500, follow_up_date=today
    )
    client.force_login(fabian)
    page = client.get("/").text
    assert "1 Maßnahmen mit fälliger Wiedervorlage" in page and "dringend" in page
    services.add_measure(
        fabian, hint, kind="anzeige", taken_on=today, follow_up_date=today + dt.timedelta(days=7)
    )
    assert "1 Maßnahmen mit fälliger Wiedervorlage" in client.get("/").text


def test_a_released_letter_with_an_overdue_reply_is_on_its_authors_start_page(client, kim, fabian):
    import datetime as dt

    from django.utils import timezone

    from missimo.outcomes.models import Letter, LetterStatus

    case = Case.objects.create(
        aktenzeichen="MIS-2026-00078", status=CaseStatus.IN_PRUEFUNG, lead_agency=kim.agency
    )
    Letter.objects.create(
        case=case,
        recipient=fabian.agency,
        subject="Mitteilung",
        body="Text",
        status=LetterStatus.VERSANDT,
        author=kim,
        reply_due=timezone.localdate() - dt.timedelta(days=1),
    )
    client.force_login(kim)
    assert "1 Schreiben mit überschrittener Antwortfrist" in client.get("/").text
