"""Lists that scale (core.lists): sortable column headers, paging with a page size, filters with labels,
exports that follow the filter; and the links from a hint to its property and from the property to its
cases and inspections."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.test import RequestFactory
from django.utils import timezone

from missimo.casework import services as casework
from missimo.casework.models import ReviewDecision
from missimo.core import lists
from missimo.properties.models import Property
from missimo.runs.models import Hint, Run, RunStatus
from tests.app import test_inspections
from tests.app.test_casework import build_city

pytestmark = pytest.mark.django_db(databases="__all__")

# The inspection tests' world: a property with a case of a campaign (fixtures reused by name).
world, paul, bea = test_inspections.world, test_inspections.paul, test_inspections.bea


def _rows(response) -> list[list[str]]:
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))


# --- the helper ---------------------------------------------------------------------------------

COLUMNS = (
    lists.Column("regel", "Regel", ("rule", "hint_id")),
    lists.Column("betrag", "Betrag", ("amount_monthly",), numeric=True),
    lists.Column("belege", "Belege"),
)


def _listing(params, **kwargs):
    request = RequestFactory().get("/hinweise/", params)
    filters = [lists.ChoiceFilter("regel", "Regel", lambda qs, v: qs.filter(rule=v), choices=[("A", "A")])]
    return lists.Listing(
        request, Hint.objects.all(), columns=COLUMNS, default_sort="regel", filters=filters, **kwargs
    )


def test_a_sortable_header_links_to_the_other_direction_and_says_how_it_is_sorted():
    listing = _listing({"sortierung": "-betrag"})
    regel, betrag, belege = listing.headers
    assert betrag.aria_sort == "descending" and betrag.url == "?sortierung=betrag"
    assert regel.aria_sort == "" and regel.url == "?"  # the default order needs no parameter
    assert not belege.sortable and belege.url == ""
    ascending = _listing({"sortierung": "betrag"})
    assert ascending.headers[1].aria_sort == "ascending"
    assert ascending.headers[1].url == "?sortierung=-betrag"


def test_an_unknown_sort_or_choice_is_ignored_with_a_german_message():
    listing = _listing({"sortierung": "passwort", "regel": "X"})
    assert listing.sort == "regel"
    assert any("sortieren" in error for error in listing.errors)
    assert any("„Regel“" in error for error in listing.errors)
    assert listing.values == {}


def test_a_date_filter_takes_the_date_field_and_the_german_spelling_and_refuses_other_text():
    assert lists.parse_date("2026-09-15") == dt.date(2026, 9, 15)
    assert lists.parse_date("15.09.2026") == dt.date(2026, 9, 15)
    assert lists.parse_date("31.02.2026") is None
    date_filter = lists.DateFilter("von", "Stichtag von", lambda qs, v: qs)
    value, error = date_filter.clean("gestern")
    assert value is None and "TT.MM.JJJJ" in error


def test_the_page_size_is_one_of_the_offered_sizes_and_the_page_links_keep_filter_and_sort():
    run = build_city()
    for index in range(60):
        Hint.objects.create(
            run=run,
            hint_id=f"H-X-{index}",
            rule="A",
            rule_version=1,
            agency_kind="familienkasse",
            primary_ref=f"X-{index}",
            evidence=[],
            explanation="x",
        )
    listing = _listing({"regel": "A", "anzahl": "25", "sortierung": "-regel", "seite": "2"})
    assert listing.size == 25 and listing.page.number == 2 and len(listing.page.object_list) == 25
    assert [link.number for link in listing.pages] == [1, 2, 3]
    assert listing.pages[0].url == "?regel=A&sortierung=-regel&anzahl=25&seite=1"
    assert listing.querystring == "regel=A&sortierung=-regel&anzahl=25"
    assert _listing({"anzahl": "100000"}).size == 50


# --- the Hinweise page --------------------------------------------------------------------------


def test_the_hint_page_sorts_by_amount_with_aria_sort_and_the_export_keeps_that_order(client, kim):
    build_city()
    Hint.objects.filter(hint_id="H-KG-3").update(amount_monthly=Decimal("999.00"))
    client.force_login(kim)
    page = client.get("/hinweise/", {"sortierung": "-betrag"})
    assert page.status_code == 200
    assert re.search(
        r'<th scope="col" class="kern-table__header kern-table__header--numeric" aria-sort="descending">',
        page.text,
    )
    assert page.context["page"].object_list[0].hint_id == "H-KG-3"
    assert 'href="/hinweise/export.csv?sortierung=-betrag"' in page.text
    rows = _rows(client.get("/hinweise/export.csv", {"sortierung": "-betrag"}))
    assert rows[1][4] == Hint.objects.get(hint_id="H-KG-3").objekt_id


def test_the_hint_page_filters_by_agency_property_and_review_status(client, kim):
    build_city()
    client.force_login(kim)
    by_agency = client.get("/hinweise/", {"stelle": "schulamt"}).context["page"].object_list
    assert {h.agency_kind for h in by_agency} == {"schulamt"} and len(by_agency) == 3
    by_property = client.get("/hinweise/", {"objekt": "Hafenweg"}).context["page"].object_list
    assert {h.hint_id for h in by_property} == {"H-KG-3", "H-SCH-3"}
    casework.review_hint(kim, Hint.objects.get(hint_id="H-KG-2"), ReviewDecision.BESTAETIGT, "", "")
    proposed = client.get("/hinweise/", {"status": "bestaetigt"}).context["page"].object_list
    assert [h.hint_id for h in proposed] == ["H-KG-2"]
    page = client.get("/hinweise/")
    for label in (
        "Regel",
        "Status der Sichtung",
        "Zuständige Stelle",
        "Objekt",
        "Stichtag von",
        "Stichtag bis",
    ):
        assert f">{label}</label>" in page.text


def test_the_hint_page_shows_earlier_runs_only_for_a_chosen_stichtag_range(client, kim):
    build_city()
    old = Run.objects.create(
        stichtag=dt.date(2025, 9, 15),
        status=RunStatus.FINISHED,
        finished_at=timezone.now() - dt.timedelta(days=365),
    )
    Hint.objects.create(
        run=old,
        hint_id="H-OLD",
        rule="KG_KIND_NICHT_GEMELDET",
        rule_version=1,
        agency_kind="familienkasse",
        primary_ref="KG-OLD",
        evidence=[],
        explanation="alt",
    )
    client.force_login(kim)
    assert "H-OLD" not in {h.hint_id for h in client.get("/hinweise/").context["page"].object_list}
    earlier = client.get("/hinweise/", {"von": "01.01.2025", "bis": "2025-12-31"}).context["page"].object_list
    assert [h.hint_id for h in earlier] == ["H-OLD"]
    wrong = client.get("/hinweise/", {"von": "Sommer"})
    assert "Bitte geben Sie ein Datum im Format TT.MM.JJJJ an." in wrong.text


# --- everything linked --------------------------------------------------------------------------


def test_the_property_of_a_hint_is_a_link_to_the_property_page(client, kim, fabian):
    build_city()
    prop = Property.objects.get(objekt_id="OBJ-0003")
    client.force_login(kim)
    page = client.get("/hinweise/", {"objekt": "OBJ-0003"})
    assert 'href="/objekte/objekt-id/OBJ-0003/"' in page.text
    response = client.get("/objekte/objekt-id/OBJ-0003/")
    assert response.status_code == 302 and response["Location"] == f"/objekte/{prop.pk}/"
    assert client.get("/objekte/objekt-id/OBJ-9999/").status_code == 404


# --- the Prüfliste: sort, filter by property, several hints proposed at once ----------------------


def test_the_pruefliste_sorts_by_amount_and_filters_by_property(client, fabian):
    build_city()
    Hint.objects.filter(hint_id="H-KG-4").update(amount_monthly=Decimal("800.00"))
    client.force_login(fabian)
    page = client.get("/aktionen/pruefliste/", {"sortierung": "-betrag"})
    assert next(h.hint_id for h, _history, _cases in page.context["items"]) == "H-KG-4"
    assert '<option value="-betrag" selected>' in page.text
    found = client.get("/aktionen/pruefliste/", {"objekt": "Bergstraße"}).context["items"]
    assert [h.hint_id for h, _history, _cases in found] == ["H-KG-4"]


def test_the_objekt_in_the_pruefliste_links_to_the_property_page(client, kim):
    build_city()
    client.force_login(kim)
    assert 'href="/objekte/objekt-id/OBJ-0004/"' in client.get("/aktionen/pruefliste/").text


def test_several_hints_are_proposed_for_inspection_at_once_each_reviewed_and_audited(client, fabian):
    from missimo.audit.models import AuditEvent

    build_city()
    client.force_login(fabian)
    chosen = list(Hint.objects.filter(hint_id__in=["H-KG-1", "H-KG-3"]).values_list("pk", flat=True))
    foreign = Hint.objects.get(hint_id="H-SCH-1").pk  # the Schulamt's, not the Familienkasse's
    response = client.post(
        "/aktionen/pruefliste/vorschlagen/",
        {"hinweis": [*chosen, foreign], "next": "/aktionen/pruefliste/?status=offen"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/aktionen/pruefliste/?status=offen"
    assert "2 Hinweise sind zur Kontrolle vorgeschlagen" in response.text
    assert "Einige ausgewählte Hinweise gibt es nicht" in response.text
    statuses = {h.hint_id: casework.hint_status(h) for h in Hint.objects.filter(agency_kind="familienkasse")}
    assert {k for k, v in statuses.items() if v == "bestaetigt"} == {"H-KG-1", "H-KG-3"}
    assert casework.hint_status(Hint.objects.get(pk=foreign)) == "offen"
    audited = AuditEvent.objects.filter(object_type="hint_review").values_list("object_id", flat=True)
    assert sorted(audited) == ["H-KG-1", "H-KG-3"]
    nothing = client.post("/aktionen/pruefliste/vorschlagen/", {}, follow=True)
    assert "Bitte wählen Sie mindestens einen Hinweis aus." in nothing.text


# --- the property page: its cases and inspections ------------------------------------------------


def test_the_property_page_lists_its_cases_and_inspections_with_links(client, kim, world):
    inspection = test_inspections._plan(kim, world)
    visit = inspection.visits.get()
    client.force_login(kim)
    page = client.get(f"/objekte/{world['prop'].pk}/")
    assert "Prüffälle zu diesem Objekt" in page.text
    assert f'href="/aktionen/faelle/{world["case"].pk}/">MIS-2026-0001</a>' in page.text
    assert "Kontrollen an diesem Objekt" in page.text
    assert f'href="/kontrollen/{inspection.pk}/"' in page.text
    assert f'href="/kontrollen/objekt/{visit.pk}/protokoll/"' in page.text


def test_the_case_list_sorts_by_a_column_header_and_the_export_keeps_the_order(client, kim, world):
    from missimo.casework.models import Case

    Case.objects.create(aktenzeichen="MIS-2026-0002", property=world["prop"], title="zweiter Fall")
    client.force_login(kim)
    page = client.get("/aktionen/faelle/", {"sortierung": "aktenzeichen"})
    assert [case.aktenzeichen for case, _row in page.context["rows"]] == ["MIS-2026-0001", "MIS-2026-0002"]
    assert 'aria-sort="ascending"' in page.text and 'href="?sortierung=-aktenzeichen"' in page.text
    rows = _rows(client.get("/aktionen/faelle/export.csv", {"sortierung": "-aktenzeichen"}))
    assert [row[0] for row in rows[1:]] == ["MIS-2026-0002", "MIS-2026-0001"]


def test_the_register_sorts_by_its_column_headers(client, kim):
    build_city()
    client.force_login(kim)
    page = client.get("/objekte/", {"sortierung": "hinweise"})
    assert re.search(
        r'aria-sort="descending"><a class="kern-link sort-link" href="\?[^"]*sortierung=hinweise', page.text
    )
    assert 'sortierung=adresse">Adresse' in page.text
    counts = [prop.hint_count for prop, _cells in page.context["rows"]]
    assert counts == sorted(counts, reverse=True)


# --- saved filters per user ---------------------------------------------------------------------


def test_a_filter_is_saved_under_a_name_for_its_user_only_and_deleted(client, kim, fabian):
    from missimo.web.models import SavedFilter

    build_city()
    client.force_login(kim)
    page = client.get("/hinweise/", {"stelle": "schulamt", "sortierung": "-betrag"})
    assert "Diesen Filter speichern" in page.text
    saved = client.post(
        "/filter/speichern/",
        {
            "liste": "/hinweise/",
            "filter": page.context["listing"].querystring,
            "name": "Schulamt nach Betrag",
        },
    )
    assert saved.status_code == 302 and saved["Location"] == "/hinweise/?stelle=schulamt&sortierung=-betrag"
    listed = client.get("/hinweise/")
    assert 'href="/hinweise/?stelle=schulamt&amp;sortierung=-betrag">Schulamt nach Betrag</a>' in listed.text
    assert "Gespeicherte Filter" not in client.get("/aktionen/pruefliste/").text  # per list
    assert (
        client.post(
            "/filter/speichern/", {"liste": "https://example.invalid/", "filter": "a=b", "name": "x"}
        ).status_code
        == 404
    )
    client.force_login(fabian)
    assert "Schulamt nach Betrag" not in client.get("/hinweise/").text  # per user
    own = SavedFilter.objects.get()
    assert client.post(f"/filter/{own.pk}/loeschen/").status_code == 404
    client.force_login(kim)
    client.post(f"/filter/{own.pk}/loeschen/")
    assert not SavedFilter.objects.exists()


# --- the start page: what is to do ----------------------------------------------------------------


def test_the_start_page_lists_open_hints_own_cases_and_inspections_ahead_with_links(
    client, kim, fabian, world
):
    import datetime as dt

    from missimo.inspections.models import Inspection

    world["case"].assigned_to = kim
    world["case"].save(update_fields=["assigned_to"])
    inspection = test_inspections._plan(kim, world)
    Inspection.objects.filter(pk=inspection.pk).update(scheduled_at=timezone.now() + dt.timedelta(days=2))
    client.force_login(kim)
    start = client.get("/").text
    assert "Ihre Aufgaben" in start
    assert 'href="/aktionen/pruefliste/?status=offen">2 offene Hinweise zu sichten</a>' in start
    assert 'href="/aktionen/faelle/meine/">1 offene Prüffälle, die Ihnen zugewiesen sind</a>' in start
    assert 'href="/kontrollen/">1 Kontrollen in den nächsten 14 Tagen</a>' in start
    client.force_login(fabian)
    assert "Kontrollen in den nächsten" not in client.get("/").text
    Inspection.objects.filter(pk=inspection.pk).update(scheduled_at=timezone.now() + dt.timedelta(days=20))
    client.force_login(kim)
    assert "Kontrollen in den nächsten" not in client.get("/").text


def test_the_inspection_links_its_case_and_the_case_links_the_outcome_of_its_hints(
    client, kim, fabian, world
):
    inspection = test_inspections._plan(kim, world)
    client.force_login(kim)
    detail = client.get(f"/kontrollen/{inspection.pk}/").text
    assert f'href="/aktionen/faelle/{world["case"].pk}/">MIS-2026-0001</a>' in detail
    world["campaign"].agencies.add(fabian.agency)
    client.force_login(fabian)
    case = client.get(f"/aktionen/faelle/{world['case'].pk}/").text
    assert f'href="/ergebnisse/hinweis/{world["hints"][0].pk}/">Ergebnis und Maßnahmen' in case


def test_a_list_without_any_run_is_empty_with_its_filters_and_sort_instead_of_failing(client, kim):
    client.force_login(kim)
    page = client.get("/aktionen/pruefliste/", {"status": "offen", "sortierung": "-betrag"})
    assert page.status_code == 200 and "Es gibt noch keinen abgeschlossenen Abgleich." in page.text
    assert client.get("/aktionen/pruefliste/export.csv", {"status": "offen"}).status_code == 200
