"""Retention: delivered files and snapshots are deleted when their period ends, and only then."""

import datetime as dt

import pytest
from django.utils import timezone

from missimo.audit.models import AuditAction, AuditEvent
from missimo.imports import services
from missimo.imports.models import Import, SourceSnapshot

pytestmark = pytest.mark.django_db(databases="__all__")


def _deliver(kim, path, source="seu"):
    with open(path, "rb") as stream:
        return services.process_delivery(services.store_delivery(source, stream, path.name, user=kim).pk)


def test_nothing_is_deleted_before_the_retention_period_ends(kim, small_city):
    delivery = _deliver(kim, small_city / "seu.csv")
    report = services.purge_expired()
    assert (report.source_files, report.snapshots) == (0, 0)
    assert services.data_path(delivery.stored_file).exists()


def test_an_original_file_is_deleted_from_the_data_directory_after_its_period(kim, small_city):
    delivery = _deliver(kim, small_city / "seu.csv")
    path = services.data_path(delivery.stored_file)
    report = services.purge_expired(today=delivery.retain_until + dt.timedelta(days=1))
    assert report.source_files == 1
    assert not path.exists()
    assert Import.objects.get(pk=delivery.pk).stored_file == ""


def test_an_expired_snapshot_is_deleted_and_its_source_must_be_delivered_again(kim, small_city, settings):
    delivery = _deliver(kim, small_city / "seu.csv")
    snapshot_path = services.data_path(delivery.snapshot_file)
    old = timezone.now() - dt.timedelta(days=settings.RETENTION_SNAPSHOTS_DAYS + 1)
    SourceSnapshot.objects.update(activated_at=old)
    Import.objects.update(finished_at=old)
    report = services.purge_expired()
    assert report.current_snapshots_expired == ["seu"]
    assert not snapshot_path.exists()
    assert services.current_snapshots() == {}


def test_a_superseded_snapshot_is_kept_until_its_period_ends(kim, small_city, tmp_path, settings):
    first = _deliver(kim, small_city / "seu.csv")
    changed = tmp_path / "seu2.csv"
    changed.write_bytes((small_city / "seu.csv").read_bytes().rsplit(b"\n", 2)[0] + b"\n")
    second = _deliver(kim, changed)
    assert services.purge_expired().snapshots == 0
    assert services.data_path(first.snapshot_file).exists()
    Import.objects.filter(pk=first.pk).update(
        finished_at=timezone.now() - dt.timedelta(days=settings.RETENTION_SNAPSHOTS_DAYS + 1)
    )
    assert services.purge_expired().snapshots == 1
    assert not services.data_path(first.snapshot_file).exists()
    assert services.data_path(second.snapshot_file).exists()


def test_deletions_are_logged_without_personal_data(kim, small_city):
    delivery = _deliver(kim, small_city / "seu.csv")
    services.purge_expired(today=delivery.retain_until + dt.timedelta(days=1))
    event = AuditEvent.objects.get(action=AuditAction.DELETE, object_type="retention")
    assert event.details["source_files"] == 1
    assert "seu.csv" not in str(event.details)
