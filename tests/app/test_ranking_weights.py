"""The runs ask for the ranking's weights; the outcomes app calibrates them from decided outcomes
once there are enough (ADR 0009) and keeps the fixed weights until then."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from missimo import engine
from missimo.accounts.models import Agency, AgencyKind
from missimo.core import extensions
from missimo.outcomes import calibration
from missimo.outcomes.models import Outcome, OutcomeResult
from missimo.runs.models import RankedProperty
from tests.app import test_outcomes as _outcomes

pytestmark = pytest.mark.django_db(databases="__all__")

run, kg_hint, jc_hint = _outcomes.run, _outcomes.kg_hint, _outcomes.jc_hint


def test_a_decided_property_is_one_sample_with_the_terms_of_its_ranking(run, kg_hint, jc_hint):
    RankedProperty.objects.create(
        run=run,
        rank=1,
        objekt_id="OBJ-1",
        address="Hauptstraße 1",
        score=Decimal("30.00"),
        hint_count=2,
        rules=["KG_KIND_NICHT_GEMELDET", "SGB2_NACH_ABMELDUNG"],
        agencies=["Familienkasse", "Jobcenter"],
        persons=3,
        amount_monthly=Decimal("813.00"),
    )
    familienkasse = Agency.objects.create(name="Familienkasse", kind=AgencyKind.FAMILIENKASSE)
    jobcenter = Agency.objects.create(name="Jobcenter", kind=AgencyKind.JOBCENTER)
    Outcome.objects.create(
        hint=kg_hint, agency=familienkasse, result=OutcomeResult.KEIN_BEFUND, decided_on=dt.date(2026, 10, 1)
    )
    Outcome.objects.create(
        hint=jc_hint, agency=jobcenter, result=OutcomeResult.MISSBRAUCH, decided_on=dt.date(2026, 10, 2)
    )
    assert calibration.samples() == [
        engine.CalibrationSample(agencies=2, rules=2, hints=2, persons=3, money=813.0, confirmed=True)
    ]
    # far below the minimum numbers: the runs rank with the fixed weights
    assert not calibration.calibration().calibrated
    assert extensions.ranking_weights() is None


# --- the read-only status on the run page (coordination office) --------------------------------


def test_the_run_page_tells_the_coordination_office_that_fixed_weights_apply_and_how_many_are_needed(
    client, kim, fabian, run
):
    from django.urls import reverse

    run.settings_used = {"ranking_weights": dict(engine.WEIGHTS)}
    run.save()
    client.force_login(kim)
    page = client.get(reverse("runs:detail", args=[run.pk])).content.decode()
    section = page.split('id="kalibrierung"')[1].split("</section>")[0]
    assert "Gewichte der Rangliste" in section and "mit den <strong>festen Gewichten</strong>" in section
    assert "Nächster Abgleich: <strong>feste Gewichte</strong> – 0 entschiedene Objekte" in section
    assert "nötig sind 200 Objekte und je 50" in section
    assert "Behörden mit Hinweisen" in section and "10,00" in section
    client.force_login(fabian)  # an agency sees the run, not the calibration
    assert 'id="kalibrierung"' not in client.get(reverse("runs:detail", args=[run.pk])).content.decode()


def test_the_run_page_shows_calibrated_weights_with_the_date_they_were_last_applied(
    client, kim, run, monkeypatch
):
    from django.urls import reverse
    from django.utils import timezone

    weights = {"agencies": 8.0, "rules": 6.0, "hints": 4.0, "persons": 2.5, "money": 1.5}
    run.settings_used = {"ranking_weights": weights}
    run.started_at = timezone.now()
    run.save()
    monkeypatch.setattr(
        calibration,
        "calibration",
        lambda: engine.Calibration(weights, True, "aus 240 entschiedenen Objekten kalibriert", 240, 90),
    )
    client.force_login(kim)
    section = client.get(reverse("runs:detail", args=[run.pk])).content.decode().split('id="kalibrierung"')[1]
    day = f"{timezone.localtime(run.started_at):%d.%m.%Y}"
    assert (
        f"mit <strong>kalibrierten Gewichten</strong> gerankt (aus den entschiedenen Ergebnissen, Stand {day})"
        in section
    )
    assert (
        "Nächster Abgleich: <strong>kalibrierte Gewichte</strong>, aus 240 entschiedenen Objekten" in section
    )
    assert f"zuletzt angewandt im Abgleich Nr. {run.pk} vom {day}" in section
    assert "8,00" in section
