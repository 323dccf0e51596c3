"""Apps announce what lower layers did; the apps above listen (imports -> properties, certificates)."""

from __future__ import annotations

import logging

import pytest

from missimo.imports import services
from missimo.imports.models import ImportStatus
from missimo.imports.signals import snapshot_in_force

pytestmark = pytest.mark.django_db(databases="__all__")


def _deliver(small_city, kim, source="seu"):
    with open(small_city / f"{source}.csv", "rb") as stream:
        delivery = services.store_delivery(source, stream, f"{source}.csv", user=kim)
    return services.process_delivery(delivery.pk)


def test_a_new_snapshot_is_announced_only_after_its_transaction_commits(
    small_city, kim, django_capture_on_commit_callbacks
):
    heard = []

    def listener(sender, source, delivery, **kwargs):
        heard.append((source, delivery.pk, delivery.status))

    snapshot_in_force.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=False) as pending:
            delivery = _deliver(small_city, kim)
        assert heard == []  # not before the commit
        for callback in pending:
            callback()
        assert heard == [("seu", delivery.pk, ImportStatus.TAKEN)]
    finally:
        snapshot_in_force.disconnect(listener)


def test_a_failing_listener_does_not_fail_a_taken_delivery(
    small_city, kim, django_capture_on_commit_callbacks, caplog
):
    def broken(sender, **kwargs):
        raise RuntimeError("Empfänger defekt")

    snapshot_in_force.connect(broken)
    try:
        with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
            delivery = _deliver(small_city, kim)
    finally:
        snapshot_in_force.disconnect(broken)
    delivery.refresh_from_db()
    assert delivery.status == ImportStatus.TAKEN
    assert any("receiver" in record.getMessage() and record.exc_info for record in caplog.records)
