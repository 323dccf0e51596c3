"""The end of a run brings the Immobilienkataster in step with the objekte snapshot the run read.

A receiver rather than a call inside `missimo.runs`, so that the runs app does not depend on the
register; it only acts on the save that finishes a run, after that transaction commits."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from missimo.runs.models import Run, RunStatus


@receiver(post_save, sender=Run, dispatch_uid="properties_sync_after_run")
def sync_after_finished_run(sender, instance: Run, **kwargs) -> None:
    if instance.status != RunStatus.FINISHED:
        return
    from missimo.properties.services import sync_after_import

    transaction.on_commit(sync_after_import)
