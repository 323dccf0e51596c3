""" "Warum verknüpft?" with need-to-know (issue #21): a role reads only the records of the sources it
may see, other agencies' records only as a count, and only the coordination office or the owner of
both records may judge a link "nicht dieselbe Person"."""

import datetime as dt

import pytest

from missimo.accounts.models import AgencyKind
from missimo.accounts.policy import Role, record_sources
from missimo.audit.models import AuditEvent
from missimo.runs import services
from missimo.runs.models import RejectedLink

pytestmark = pytest.mark.django_db(databases="__all__")


def _run(kim):
    run = services.start_run(dt.date(2026, 9, 15), user=kim, channel="cli")
    return services.execute_run(run.pk)


def _uids(links):
    return {uid for link in links for uid in (link["uid_left"], link["uid_right"])}


def _hint_linking(run, agency_kind, foreign):
    """A hint of `agency_kind` whose persons are linked to a record of one of the `foreign` sources."""
    for hint in run.hints.filter(agency_kind=agency_kind).exclude(person_ids=[]):
        links = services.links_of_hint(hint)
        if any(services.source_of_uid(uid) in foreign for uid in _uids(links)):
            return hint, links
    raise AssertionError(f"no {agency_kind} hint linked to {foreign}")


def _assert_hidden(page, links, readable):
    hidden = {uid for uid in _uids(links) if services.source_of_uid(uid) not in readable}
    assert hidden
    for uid in hidden:
        key = uid.split(":", 1)[1]
        assert uid not in page.text and key not in page.text
    for source in {services.source_of_uid(uid) for uid in hidden}:
        assert f"{source}:" not in page.text
    assert (
        "weitere Datensätze anderer Stellen" in page.text or "weiterer Datensatz anderer Stellen" in page.text
    )
    return hidden


def test_the_link_page_shows_each_role_only_the_records_of_sources_it_may_read(
    imported_city, kim, make_user, client
):
    run = _run(kim)
    bauaufsicht = make_user("bea", Role.BAUAUFSICHT, "Bauaufsicht", AgencyKind.BAUAUFSICHT)
    familienkasse = make_user("fritz", Role.FAMILIENKASSE, "Familienkasse", AgencyKind.FAMILIENKASSE)

    # the building supervision learns nothing of Bürgergeld: no Jobcenter record, no BG number
    hint, links = _hint_linking(run, "bauaufsicht", {"jobcenter"})
    client.force_login(bauaufsicht)
    page = client.get(f"/hinweise/{hint.pk}/verknuepfung/")
    assert page.status_code == 200
    hidden = _assert_hidden(page, links, record_sources(bauaufsicht))
    assert "Nicht dieselbe Person</span>" not in page.text
    event = AuditEvent.objects.filter(
        object_type="hint_links", object_id=hint.hint_id, actor_username="bea"
    ).get()
    assert event.details["hidden_records"] == len(hidden)
    assert not set(event.details["records"]) & hidden

    # the Familienkasse sees Kindergeld and Melderegister records, no Jobcenter, health or school record
    hint, links = _hint_linking(run, "familienkasse", {"jobcenter", "seu", "schule"})
    client.force_login(familienkasse)
    page = client.get(f"/hinweise/{hint.pk}/verknuepfung/")
    assert page.status_code == 200
    _assert_hidden(page, links, {"kindergeld", "melderegister"})
    shown = [
        link
        for link in links
        if {services.source_of_uid(link["uid_left"]), services.source_of_uid(link["uid_right"])}
        <= {"kindergeld", "melderegister"}
    ]
    assert shown and all(link["uid_left"] in page.text for link in shown)

    # the coordination office still sees every record of the same hint
    client.force_login(kim)
    page = client.get(f"/hinweise/{hint.pk}/verknuepfung/")
    assert all(uid in page.text for uid in _uids(links))
    assert "anderer Stellen" not in page.text


def test_only_the_coordination_office_or_the_owner_of_both_records_may_judge_a_link(
    imported_city, kim, make_user, client
):
    run = _run(kim)
    familienkasse = make_user("fritz", Role.FAMILIENKASSE, "Familienkasse", AgencyKind.FAMILIENKASSE)
    hint, links = _hint_linking(run, "familienkasse", {"melderegister"})
    pair = next(
        link
        for link in links
        if {services.source_of_uid(link["uid_left"]), services.source_of_uid(link["uid_right"])}
        == {"kindergeld", "melderegister"}
    )
    client.force_login(familienkasse)
    page = client.get(f"/hinweise/{hint.pk}/verknuepfung/")
    assert pair["uid_left"] in page.text  # the Familienkasse reads both records ...
    assert "Nicht dieselbe Person</span>" not in page.text  # ... but the Melderegister record is not its own
    assert "entscheiden die Koordinierungsstelle" in page.text
    data = {
        "uid_left": pair["uid_left"],
        "uid_right": pair["uid_right"],
        "reason": "Andere Mutter laut Urkunde",
    }
    refused = client.post(f"/hinweise/{hint.pk}/verknuepfung/", data)
    assert refused.status_code == 403
    assert not RejectedLink.objects.exists()
    assert not AuditEvent.objects.filter(object_type="person_link").exists()

    # another agency cannot even reach the hint
    jobcenter = make_user("jo", Role.JOBCENTER, "Jobcenter", AgencyKind.JOBCENTER)
    client.force_login(jobcenter)
    assert client.post(f"/hinweise/{hint.pk}/verknuepfung/", data).status_code == 404

    client.force_login(kim)
    assert "Nicht dieselbe Person</span>" in client.get(f"/hinweise/{hint.pk}/verknuepfung/").text
    accepted = client.post(f"/hinweise/{hint.pk}/verknuepfung/", data)
    assert accepted.status_code == 302
    assert RejectedLink.objects.filter(rejected_by=kim).count() == 1
    assert AuditEvent.objects.filter(object_type="person_link", actor_username="kim").exists()


def test_an_agency_delivering_both_sources_may_judge_their_link(make_user):
    from missimo.accounts.policy import may_judge_link

    jobcenter = make_user("jo", Role.JOBCENTER, "Jobcenter", AgencyKind.JOBCENTER)
    bauaufsicht = make_user("bea", Role.BAUAUFSICHT, "Bauaufsicht", AgencyKind.BAUAUFSICHT)
    assert may_judge_link(jobcenter, {"jobcenter"})
    assert not may_judge_link(jobcenter, {"jobcenter", "melderegister"})
    assert not may_judge_link(bauaufsicht, {"jobcenter"})
    assert not may_judge_link(bauaufsicht, set())
