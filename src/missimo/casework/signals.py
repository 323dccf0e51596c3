"""Casework follows the runs: after a run has committed, dismissed hints whose evidence changed are
open again (ADR 0005). A receiver rather than a call, so that runs does not depend on casework."""

from __future__ import annotations

from django.dispatch import receiver

from missimo.casework.services import reopen_changed_hints
from missimo.runs.signals import run_finished


@receiver(run_finished, dispatch_uid="casework_reopen_changed_hints")
def reopen_changed_hints_after_run(sender, run, **kwargs) -> None:
    reopen_changed_hints(run)
