"""The labelling page of the linkage review sample (issue #15, point 5) in a real browser."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(databases="__all__", transaction=True)]

STRATA = [
    {"key": "L1", "label": "verknüpft, Wahrscheinlichkeit 0,50 bis unter 0,80", "linked": True, "low": 0.5,
     "high": 0.8, "population": 40},
    {"key": "U1", "label": "nicht verknüpft, Wahrscheinlichkeit 0,35 bis unter 0,50", "linked": False,
     "low": 0.35, "high": 0.5, "population": 10},
]  # fmt: skip


def _record(uid, vorname, geburtsdatum):
    return {
        "unique_id": uid,
        "familienname": "Klein",
        "vornamen": vorname,
        "geburtsname": None,
        "geburtsdatum": geburtsdatum,
        "geschlecht": "w",
        "strasse": "Bahnhofstraße",
        "hausnummer": "12",
        "zusatz": None,
        "plz": "44623",
        "ort": "Herne",
    }


def _comparison(left, right):
    return {
        "left": left,
        "right": right,
        "prior_weight": -12.5,
        "match_weight": 1.2,
        "fields": [
            {"comparison": "familienname", "label": "Familienname", "level": "gleich", "agrees": True, "weight": 8.1},
            {"comparison": "geburtsdatum", "label": "Geburtsdatum", "level": "verschieden", "agrees": False,
             "weight": -6.0},
        ],
    }  # fmt: skip


@pytest.fixture
def sampled_run(kim):
    import datetime as dt

    from django.utils import timezone

    from missimo.runs.models import LinkReviewPair, Run, RunStatus

    now = timezone.now()
    run = Run.objects.create(
        stichtag=dt.date(2026, 9, 15),
        status=RunStatus.FINISHED,
        started_at=now,
        finished_at=now,
        link_review={"per_stratum": 20, "strata": STRATA},
    )
    LinkReviewPair.objects.create(
        run=run,
        position=1,
        stratum="L1",
        linked=True,
        uid_left="melderegister:OM-1",
        uid_right="kindergeld_kind:KG-1/1",
        probability=0.62,
        comparison=_comparison(
            _record("melderegister:OM-1", "Emma", "2026-04-23"),
            _record("kindergeld_kind:KG-1/1", "Emma Charlotte", "2022-01-11"),
        ),
    )
    LinkReviewPair.objects.create(
        run=run,
        position=2,
        stratum="U1",
        linked=False,
        uid_left="melderegister:OM-2",
        uid_right="schule:123456/S-2",
        probability=0.41,
        comparison=_comparison(
            _record("melderegister:OM-2", "Lea", "2018-03-08"),
            _record("schule:123456/S-2", "Lea", "2018-03-08"),
        ),
    )
    return run


def test_the_coordination_office_labels_the_sample_and_the_run_page_shows_the_estimate(
    page, login, kim, sampled_run, axe_violations
):
    from missimo.runs.models import RejectedLink

    login(kim)
    page.goto(f"{page.base_url}/abgleich/{sampled_run.pk}/")
    page.get_by_role("link", name="Stichprobe der Verknüpfungen beurteilen").click()
    page.get_by_role("heading", name="Stichprobe der Verknüpfungen beurteilen").wait_for()
    main = page.locator("main")
    assert "Emma Charlotte" in main.inner_text()
    assert "11.01.2022" in main.inner_text()  # dates TT.MM.JJJJ
    first = page.get_by_role("group", name="Paar 1:")
    second = page.get_by_role("group", name="Paar 2:")
    assert axe_violations(page) == []

    first.get_by_label("verschiedene Personen").check()
    second.get_by_label("gleiche Person").check()
    page.get_by_role("button", name="Beurteilungen speichern").click()
    page.get_by_text("2 Beurteilungen gespeichert").wait_for()
    text = main.inner_text()
    assert "Emma Charlotte" not in text  # the labelled pairs' records are deleted
    assert "Es sind keine Paare mehr zu beurteilen" in text
    assert "Geschätzte Präzision" in text
    assert axe_violations(page) == []
    assert RejectedLink.objects.filter(
        uid_left="kindergeld_kind:KG-1/1", uid_right="melderegister:OM-1"
    ).exists()

    page.get_by_role("link", name=f"Zurück zum Abgleich Nr. {sampled_run.pk}").click()
    # one link of 40 wrong in the only linked stratum: precision 0 %, the unlinked pair was the same person
    assert "Güte der Personenverknüpfung" in main.inner_text()
    assert page.locator("#praezision").inner_text().startswith("0,00 %")
    assert page.locator("#uebersehen").inner_text().startswith("100,00 %")
    assert axe_violations(page) == []
