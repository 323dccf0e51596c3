"""A new `schule` snapshot revokes the certificates of pupils who have left and records the delivery
per school in the school register (imports.signals)."""

from __future__ import annotations

from django.dispatch import receiver

from missimo.certificates.schools import record_school_deliveries
from missimo.certificates.services import revoke_for_departed_pupils
from missimo.imports.signals import snapshot_in_force


@receiver(snapshot_in_force, dispatch_uid="certificates_revoke_after_schule")
def revoke_after_schule_snapshot(sender, source: str, **kwargs) -> None:
    if source == "schule":
        revoke_for_departed_pupils()  # logs its own failures


@receiver(snapshot_in_force, dispatch_uid="certificates_school_register_after_schule")
def record_schools_after_schule_snapshot(sender, source: str, delivery=None, **kwargs) -> None:
    if source == "schule" and delivery is not None:
        record_school_deliveries(delivery)
