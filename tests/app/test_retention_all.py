"""Retention of every data kind: hints of old runs, closed cases, expired certificates and old audit
entries are deleted when their period ends (and only then), gone from the database and the data
directory, the deletion logged with counts only, and the audit chain still verifiable."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connections
from django.utils import timezone

from missimo.audit.models import AuditAction, AuditEvent
from missimo.audit.services import CHECKPOINT_TYPE, purge_before, record, verify_chain
from missimo.privacy import retention

pytestmark = pytest.mark.django_db(databases="__all__")

NAME = "Retentiona Zyxmann"


def _run(created_at, *, work: bool = True):
    from missimo.runs.models import Run, RunStatus

    run = Run.objects.create(stichtag=dt.date(2026, 1, 15), status=RunStatus.FINISHED, finished_at=created_at)
    Run.objects.filter(pk=run.pk).update(created_at=created_at)
    if work:
        work_dir = Path(django_settings.DATA_DIR) / "runs" / f"retention-{run.pk}"
        work_dir.mkdir(parents=True, exist_ok=True)
        (work_dir / "analysis.duckdb").write_bytes(b"persons of hints")
        Run.objects.filter(pk=run.pk).update(work_dir=f"runs/retention-{run.pk}")
    run.refresh_from_db()
    return run


def _hint(run, code: str):
    from missimo.runs.models import Hint, RankedProperty

    RankedProperty.objects.get_or_create(
        run=run,
        rank=1,
        defaults={
            "objekt_id": "OBJ-1",
            "score": Decimal("1.0"),
            "hint_count": 1,
            "rules": ["KG_OHNE_SCHULE"],
            "agencies": ["familienkasse"],
            "persons": 1,
            "amount_monthly": Decimal("255.00"),
        },
    )
    return Hint.objects.create(
        run=run,
        hint_id=f"H-{code}",
        rule="KG_OHNE_SCHULE",
        rule_version=1,
        agency_kind="familienkasse",
        primary_ref=f"REF-{code}",
        evidence=[f"REF-{code}"],
        objekt_id="OBJ-1",
        person_ids=[1],
        facts={"kind_name": NAME},
        explanation=f"{NAME} ist gemeldet, aber nicht an einer Schule.",
    )


def _months_ago(months: int, days: int = 1):
    return retention._months_before(timezone.now(), months) - dt.timedelta(days=days)


def test_hints_of_a_run_older_than_the_period_are_deleted_with_ranking_and_analysis_files(settings):
    from missimo.runs.models import Hint, RankedProperty, Run

    settings.RETENTION_HINTS_MONTHS = 6
    old = _run(_months_ago(6))
    young = _run(_months_ago(5))
    _hint(old, "OLD")
    _hint(young, "YOUNG")
    old_dir = Path(django_settings.DATA_DIR) / old.work_dir
    report = retention.purge_all()
    assert (report.runs, report.hints, report.run_directories) == (1, 1, 1)
    assert not Hint.objects.filter(run=old).exists()
    assert not RankedProperty.objects.filter(run=old).exists()
    assert not old_dir.exists()
    assert Run.objects.get(pk=old.pk).work_dir == ""
    assert Hint.objects.filter(run=young).count() == 1
    assert (Path(django_settings.DATA_DIR) / young.work_dir).exists()


def test_nothing_is_deleted_before_any_period_ends():
    run = _run(timezone.now())
    _hint(run, "NEW")
    report = retention.purge_all()
    assert not report.anything
    assert run.hints.count() == 1


def test_a_hint_taken_into_an_open_case_stays_as_long_as_the_case(settings):
    from missimo.casework.models import Case

    settings.RETENTION_HINTS_MONTHS = 6
    run = _run(_months_ago(7))
    kept = _hint(run, "CASE")
    _hint(run, "FREE")
    case = Case.objects.create(aktenzeichen="AZ-RET-1", title="Prüffall")
    case.hints.add(kept)
    retention.purge_all()
    assert list(run.hints.values_list("hint_id", flat=True)) == ["H-CASE"]


def test_a_hint_with_a_recorded_outcome_stays_for_the_closed_case_period(make_user, settings):
    from missimo.accounts.models import AgencyKind
    from missimo.accounts.policy import Role
    from missimo.outcomes.models import Outcome

    settings.RETENTION_HINTS_MONTHS = 6
    settings.RETENTION_CLOSED_CASES_MONTHS = 24
    agency = make_user("fiona", Role.FAMILIENKASSE, "Familienkasse", AgencyKind.FAMILIENKASSE).agency
    recent = _hint(_run(_months_ago(7)), "RESULT")
    old = _hint(_run(_months_ago(25)), "OLDRESULT")
    for hint in (recent, old):
        Outcome.objects.create(hint=hint, agency=agency, result="kein_befund", decided_on=dt.date(2024, 1, 2))
    retention.purge_all()
    assert Outcome.objects.filter(hint=recent).exists()
    assert not Outcome.objects.filter(hint_id=old.pk).exists()
    assert not type(old).objects.filter(pk=old.pk).exists()


def test_a_closed_case_is_deleted_after_its_period_with_its_history_and_then_its_hints(settings):
    from missimo.casework.models import Case, CaseEvent, CaseStatus

    settings.RETENTION_CLOSED_CASES_MONTHS = 24
    settings.RETENTION_HINTS_MONTHS = 6
    run = _run(_months_ago(30))
    hint = _hint(run, "CLOSED")
    old = Case.objects.create(
        aktenzeichen="AZ-RET-2",
        title=NAME,
        status=CaseStatus.ABGESCHLOSSEN,
        closed_at=_months_ago(24),
    )
    old.hints.add(hint)
    CaseEvent.objects.create(case=old, kind="status", to_status=CaseStatus.ABGESCHLOSSEN, reason=NAME)
    recent = Case.objects.create(
        aktenzeichen="AZ-RET-3", status=CaseStatus.VERWORFEN, closed_at=_months_ago(23)
    )
    open_case = Case.objects.create(aktenzeichen="AZ-RET-4", status=CaseStatus.IN_PRUEFUNG)
    Case.objects.filter(pk=open_case.pk).update(updated_at=_months_ago(40))
    report = retention.purge_all()
    assert report.cases == 1
    assert report.case_records >= 1  # the history entry
    assert set(Case.objects.values_list("aktenzeichen", flat=True)) == {
        recent.aktenzeichen,
        open_case.aktenzeichen,
    }
    assert not CaseEvent.objects.filter(case_id=old.pk).exists()
    assert not run.hints.exists()  # free after the case went, and its run is past the period


def test_a_closed_cases_inspection_visit_and_its_photos_go_with_it_from_database_and_data_directory(settings):
    from missimo.casework.models import Campaign, Case, CaseStatus
    from missimo.inspections.models import Inspection, Photo, Visit

    settings.RETENTION_CLOSED_CASES_MONTHS = 24
    campaign = Campaign.objects.create(name="Aktion", start=dt.date(2023, 1, 1), end=dt.date(2023, 2, 1))
    case = Case.objects.create(
        aktenzeichen="AZ-RET-PHOTO",
        status=CaseStatus.ABGESCHLOSSEN,
        closed_at=_months_ago(25),
        campaign=campaign,
    )
    inspection = Inspection.objects.create(
        campaign=campaign, scheduled_at=_months_ago(26), meeting_point="Rathaus"
    )
    visit = Visit.objects.create(inspection=inspection, case=case)
    photo_file = Path(django_settings.DATA_DIR) / "inspections" / "retention" / "foto.jpg"
    photo_file.parent.mkdir(parents=True, exist_ok=True)
    photo_file.write_bytes(b"\xff\xd8 photo of a flat")
    Photo.objects.create(
        visit=visit,
        stored_file="inspections/retention/foto.jpg",
        content_type="image/jpeg",
        size_bytes=20,
        sha256="0" * 64,
    )
    report = retention.purge_all()
    assert report.cases == 1
    assert not Visit.objects.filter(pk=visit.pk).exists()
    assert not Photo.objects.exists()
    assert not photo_file.exists()
    assert Inspection.objects.filter(pk=inspection.pk).exists()  # the appointment itself holds no case data


def test_an_expired_certificate_is_deleted_after_its_period_and_leaves_the_revocation_list(
    make_user, settings
):
    from missimo.accounts.models import Agency, AgencyKind
    from missimo.accounts.policy import Role
    from missimo.certificates import services
    from missimo.certificates.models import Certificate

    settings.RETENTION_CERTIFICATES_MONTHS = 12
    Agency.objects.create(name="Grundschule Süd", kind=AgencyKind.SCHULE, schulnummer="654321")
    teacher = make_user("sina", Role.SCHULE, "Grundschule Süd", AgencyKind.SCHULE)
    services.create_key("654321", school_name="Grundschule Süd")
    issued = [
        services.issue_manual(
            teacher,
            nachname="Zyxmann",
            vorname=f"Kind{n}",
            geburtsdatum=dt.date(2015, 1, 1),
            aufnahmedatum=dt.date(2021, 8, 1),
        )
        for n in range(2)
    ]
    today = timezone.localdate()
    Certificate.objects.filter(pk=issued[0].pk).update(
        valid_until=today - dt.timedelta(days=400), revoked_from=today - dt.timedelta(days=500)
    )
    Certificate.objects.filter(pk=issued[1].pk).update(valid_until=today - dt.timedelta(days=300))
    report = retention.purge_all()
    assert report.certificates == 1
    assert list(Certificate.objects.values_list("pk", flat=True)) == [issued[1].pk]
    assert issued[0].certificate_id not in str(services.published_key_list())


def test_every_deletion_is_logged_with_counts_and_without_personal_data(settings):
    settings.RETENTION_HINTS_MONTHS = 6
    _hint(_run(_months_ago(7)), "LOG")
    retention.purge_all()
    event = AuditEvent.objects.filter(action=AuditAction.DELETE, object_type="retention").latest("sequence")
    assert event.details["hints"] == 1
    text = str(event.details) + event.purpose + event.object_id
    assert NAME not in text and "REF-LOG" not in text and "H-LOG" not in text


def test_a_second_purge_deletes_nothing_more(settings):
    settings.RETENTION_HINTS_MONTHS = 6
    _hint(_run(_months_ago(7)), "TWICE")
    assert retention.purge_all().hints == 1
    assert not retention.purge_all().anything


def test_a_period_below_one_is_refused(settings):
    from missimo.config import ConfigError

    settings.RETENTION_HINTS_MONTHS = 0
    with pytest.raises(ConfigError, match="MISSIMO_RETENTION_HINTS_MONTHS"):
        retention.purge_all()


def test_the_retention_settings_have_documented_defaults():
    from missimo import config

    assert config.get("MISSIMO_RETENTION_HINTS_MONTHS", {}) == 6
    assert config.get("MISSIMO_RETENTION_CLOSED_CASES_MONTHS", {}) == 24
    assert config.get("MISSIMO_RETENTION_CERTIFICATES_MONTHS", {}) == 12
    assert config.get("MISSIMO_RETENTION_AUDIT_YEARS", {}) == 2
    doc = (Path(__file__).parents[2] / "docs" / "datenschutz" / "aufbewahrung-und-loeschung.md").read_text()
    for name in (
        "MISSIMO_RETENTION_HINTS_MONTHS",
        "MISSIMO_RETENTION_CLOSED_CASES_MONTHS",
        "MISSIMO_RETENTION_CERTIFICATES_MONTHS",
        "MISSIMO_RETENTION_AUDIT_YEARS",
        "MISSIMO_PURGE_HOUR",
    ):
        assert name in doc


# --- audit entries ----------------------------------------------------------------------------


def _age_entries(through_sequence: int, when) -> None:
    """Make entries old (behind the application's back, as time would) and re-seal their chain."""
    from missimo.audit.db import install_append_only_triggers, remove_append_only_triggers
    from missimo.audit.models import AuditChainHead
    from missimo.audit.services import (
        GENESIS_HASH,
        _hash,
        _hashed_fields,
        entry_mac,
        export_head_checkpoint,
        head_mac,
    )

    connection = connections["audit"]
    remove_append_only_triggers(connection)
    AuditEvent.objects.using("audit").filter(sequence__lte=through_sequence).update(occurred_at=when)
    previous = previous_mac = GENESIS_HASH
    for event in AuditEvent.objects.using("audit").order_by("sequence"):
        new_hash = _hash(previous, _hashed_fields(event))
        previous_mac = entry_mac(previous_mac, new_hash)
        AuditEvent.objects.using("audit").filter(sequence=event.sequence).update(
            previous_hash=previous, entry_hash=new_hash, entry_mac=previous_mac
        )
        previous = new_hash
    head = AuditChainHead.objects.using("audit").get(id=1)
    AuditChainHead.objects.using("audit").filter(id=1).update(
        last_hash=previous,
        last_mac=previous_mac,
        head_mac=head_mac(head.last_sequence, previous, previous_mac),
    )
    install_append_only_triggers(connection)
    export_head_checkpoint()


@pytest.mark.django_db(databases="__all__", transaction=True)
def test_old_audit_entries_are_deleted_and_the_chain_still_verifies(kim, settings):
    settings.RETENTION_AUDIT_YEARS = 2
    for n in range(5):
        record(kim, AuditAction.READ, object_type="person", object_id=n, purpose="Prüfung")
    third = AuditEvent.objects.using("audit").order_by("sequence")[2].sequence
    _age_entries(third, timezone.now() - dt.timedelta(days=3 * 365))
    assert verify_chain().intact
    report = retention.purge_all()
    assert report.audit_entries == 3
    remaining = AuditEvent.objects.using("audit").order_by("sequence")
    assert remaining.first().sequence == third + 1
    checkpoint = remaining.filter(object_type=CHECKPOINT_TYPE).get()
    assert checkpoint.details["deleted_count"] == 3
    assert checkpoint.details["deleted_through"] == third
    chain = verify_chain()
    assert chain.intact, chain.message
    assert "nach Ablauf der Aufbewahrungsfrist gelöscht" in chain.message


@pytest.mark.django_db(databases="__all__", transaction=True)
def test_the_database_still_refuses_deletes_after_an_audit_purge(kim):
    from django.db import DatabaseError, IntegrityError, transaction

    for n in range(3):
        record(kim, AuditAction.READ, object_type="person", object_id=n)
    purge_before(timezone.now() + dt.timedelta(seconds=1))
    record(kim, AuditAction.READ, object_type="person", object_id=9)
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic(using="audit"):
        AuditEvent.objects.using("audit").all()._raw_delete("audit")
    assert verify_chain().intact


@pytest.mark.django_db(databases="__all__", transaction=True)
def test_deleting_the_oldest_entries_without_a_checkpoint_is_detected(kim):
    from missimo.audit.db import remove_append_only_triggers

    for n in range(4):
        record(kim, AuditAction.READ, object_type="person", object_id=n)
    remove_append_only_triggers(connections["audit"])  # an attacker with database access
    first = AuditEvent.objects.using("audit").order_by("sequence").first().sequence
    with connections["audit"].cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE sequence <= %s", [first + 1])
    report = verify_chain()
    assert not report.intact
    assert "ohne gültigen Prüfpunkt" in report.message


@pytest.mark.django_db(databases="__all__", transaction=True)
def test_a_forged_checkpoint_without_the_servers_key_is_not_accepted(kim, settings):
    for n in range(4):
        record(kim, AuditAction.READ, object_type="person", object_id=n)
    purge_before(timezone.now() + dt.timedelta(seconds=1))
    assert verify_chain().intact
    settings.SECRET_KEY = "a-different-key-that-an-attacker-would-use-0123456789abcdef"
    report = verify_chain()
    assert not report.intact


# --- the schedule -----------------------------------------------------------------------------


def test_the_daily_purge_runs_at_start_and_then_at_the_configured_hour(monkeypatch):
    calls = []
    monkeypatch.setattr(retention, "purge_all", lambda: calls.append(1) or retention.RetentionReport())
    slept = []

    def sleep(seconds):
        slept.append(seconds)

    retention.run_daily(stop=lambda: len(calls) >= 2, sleep=sleep)
    assert len(calls) == 2
    assert 0 < sum(slept) <= 24 * 3600


def test_the_next_purge_is_the_next_occurrence_of_the_hour():
    zone = timezone.get_current_timezone()
    evening = dt.datetime(2026, 11, 22, 20, 0, tzinfo=zone)
    early = dt.datetime(2026, 11, 22, 1, 0, tzinfo=zone)
    assert retention.next_run_after(evening, 3) == dt.datetime(2026, 11, 23, 3, 0, tzinfo=zone)
    assert retention.next_run_after(early, 3) == dt.datetime(2026, 11, 22, 3, 0, tzinfo=zone)


def test_a_failed_night_does_not_stop_the_schedule(monkeypatch):
    attempts = []

    def failing():
        attempts.append(1)
        raise RuntimeError("disk full")

    monkeypatch.setattr(retention, "purge_all", failing)
    retention.run_daily(stop=lambda: len(attempts) >= 2, sleep=lambda seconds: None)
    assert len(attempts) == 2


def test_serve_starts_the_daily_purge_and_the_run_scheduler_beside_the_worker(monkeypatch):
    from missimo import cli

    started = []

    class FakeProcess:
        def __init__(self, args, env=None):
            started.append(args)

        def wait(self, timeout=None):
            return 0

        def poll(self):
            return 0

        def terminate(self):
            pass

    monkeypatch.setattr(cli.subprocess, "Popen", FakeProcess)
    monkeypatch.setattr("django.core.management.call_command", lambda *a, **k: None)
    monkeypatch.setattr(cli.signal, "signal", lambda *args: None)
    cli._serve("127.0.0.1", 8000, 1, 1)
    assert any(args[-2:] == ["purge", "--daily"] for args in started)
    assert any(args[-1:] == ["schedule"] for args in started)


def test_missimo_purge_applies_every_period_and_prints_the_counts(monkeypatch, capsys, settings):
    from missimo import cli

    settings.RETENTION_HINTS_MONTHS = 6
    _hint(_run(_months_ago(7)), "CLI")
    monkeypatch.setattr(cli, "ensure_database", lambda verbosity=0: None)
    assert cli.main(["purge"]) == 0
    out = capsys.readouterr().out
    assert "Hinweise: 1 aus 1 Abgleichen (1 Analyseverzeichnisse)." in out
    assert "Protokolleinträge: 0." in out


@pytest.mark.django_db(databases="__all__", transaction=True)
def test_missimo_audit_verify_accepts_the_log_after_a_purge(kim, monkeypatch, capsys):
    from missimo import cli

    for n in range(3):
        record(kim, AuditAction.READ, object_type="person", object_id=n)
    purge_before(timezone.now() + dt.timedelta(seconds=1))
    monkeypatch.setattr(cli, "ensure_database", lambda verbosity=0: None)
    assert cli.main(["audit", "verify"]) == 0
    assert "Protokoll unverändert" in capsys.readouterr().out
