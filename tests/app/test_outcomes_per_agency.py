"""Outcomes per agency: each agency records its own measure types, the Jobcenter's stopped
Bürgergeld projects savings, and the Kindergeld projection finds the child's birth date wherever the
hint names it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from missimo.core.errors import Refused
from missimo.outcomes import savings, services
from missimo.outcomes.models import MeasureKind, measure_kinds_for
from tests.app.test_outcomes import _client, _hint, bea, jc_hint, jonas, kg_hint, run  # noqa: F401

pytestmark = pytest.mark.django_db(databases="__all__")
TODAY = dt.date(2026, 10, 15)


def test_each_kind_of_agency_is_offered_its_own_measure_types():
    jobcenter = dict(measure_kinds_for("jobcenter"))
    assert {"Bürgergeld eingestellt", "Bürgergeld gemindert", "Bürgergeld zurückgefordert"} <= set(
        jobcenter.values()
    )
    assert MeasureKind.KINDERGELD_EINGESTELLT not in jobcenter
    assert set(dict(measure_kinds_for("bauaufsicht")).values()) >= {
        "Mängelbeseitigungsanordnung",
        "Nutzungsuntersagung",
        "Unbewohnbarkeitserklärung",
    }
    assert dict(measure_kinds_for("einwohnermeldeamt")) == {"abmeldung": "Abmeldung von Amts wegen"}
    assert "Schulpflichtverfahren" in dict(measure_kinds_for("schulamt")).values()
    assert "Bußgeldverfahren" in dict(measure_kinds_for("ordnungsamt")).values()


def test_the_jobcenter_records_buergergeld_eingestellt_with_twelve_months_of_savings(jonas, jc_hint):  # noqa: F811
    measure = services.add_measure(jonas, jc_hint, kind=MeasureKind.BUERGERGELD_EINGESTELLT, taken_on=TODAY)
    assert measure.monthly_amount == Decimal("563.00")
    assert measure.projected_months == 12 and measure.projected_savings == Decimal("6756.00")


def test_without_a_monthly_amount_the_regelbedarf_of_the_year_is_used(jonas, run):  # noqa: F811
    hint = _hint(run, "ARBEITGEBER_HAEUFUNG", "jobcenter", "BG-0900")
    measure = services.add_measure(jonas, hint, kind=MeasureKind.BUERGERGELD_EINGESTELLT, taken_on=TODAY)
    assert measure.monthly_amount == savings.regelbedarf(2026) == Decimal("563.00")
    assert measure.projected_savings == Decimal("6756.00")


def test_an_agency_cannot_record_another_agencys_measure_type(fabian, kg_hint, client):  # noqa: F811
    with pytest.raises(Refused, match="gehört nicht zu den Maßnahmen Ihrer Behörde"):
        services.add_measure(fabian, kg_hint, kind=MeasureKind.BUERGERGELD_EINGESTELLT, taken_on=TODAY)
    page = _client(client, fabian).get(f"/ergebnisse/hinweis/{kg_hint.pk}/").content.decode()
    assert 'value="kindergeld_eingestellt"' in page and 'value="buergergeld_eingestellt"' not in page


def test_a_bürgergeld_reclaim_needs_an_amount(jonas, jc_hint):  # noqa: F811
    with pytest.raises(Refused, match="Betrag"):
        services.add_measure(jonas, jc_hint, kind=MeasureKind.BUERGERGELD_ZURUECKGEFORDERT, taken_on=TODAY)


def test_the_kindergeld_projection_uses_the_birth_date_the_hint_names(fabian, run):  # noqa: F811
    hint = _hint(
        run,
        "ADRESSE_UNBEKANNT",
        "familienkasse",
        "kindergeld:KG-5000/1",
        amount_monthly=Decimal("259.00"),
        facts={"quelle": "kindergeld", "geburtsdatum": "2016-06-10", "monatsbetrag": "259.00"},
    )
    measure = services.add_measure(fabian, hint, kind=MeasureKind.KINDERGELD_EINGESTELLT, taken_on=TODAY)
    assert measure.child_birth_date == dt.date(2016, 6, 10)
    assert measure.projected_savings is not None and measure.projected_months == 92


def test_the_birth_date_of_an_adult_jobcenter_record_is_never_taken_for_a_child():
    assert savings.birth_date_of({"geburtsdatum": "1990-01-01"}, "jobcenter") is None
    assert savings.birth_date_of({"quelle": "jobcenter", "geburtsdatum": "1990-01-01"}) is None
    assert savings.birth_date_of({"geburtsdatum": "2016-06-10"}, "seu") == dt.date(2016, 6, 10)
