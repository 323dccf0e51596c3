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
