"""What the runs app announces to the apps that build on it.

`run_finished` is sent once the transaction that stored a finished run's hints and ranking has
committed (argument: `run`). The register (properties) listens.
"""

from __future__ import annotations

from django.dispatch import Signal

run_finished = Signal()
