"""The register follows the data it is built from: it is brought in step with the `objekte` snapshot
when a new one comes into force (imports.signals) and again at the end of every run (runs.signals),
both after their transactions commit. Receivers rather than calls, so that neither imports nor runs
depends on the register."""

from __future__ import annotations

from django.dispatch import receiver

from missimo.imports.signals import snapshot_in_force
from missimo.properties.services import sync_after_import
from missimo.runs.signals import run_finished


@receiver(snapshot_in_force, dispatch_uid="properties_sync_after_objekte")
def sync_after_objekte_snapshot(sender, source: str, **kwargs) -> None:
    if source == "objekte":
        sync_after_import()  # logs its own failure; the end of the next run syncs again


@receiver(run_finished, dispatch_uid="properties_sync_after_run")
def sync_after_finished_run(sender, run, **kwargs) -> None:
    sync_after_import()
