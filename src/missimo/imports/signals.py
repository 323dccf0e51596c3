"""What the imports app announces to the apps that build on it.

`snapshot_in_force` is sent once the transaction that made a delivery the current snapshot of its
source has committed (arguments: `source`, `delivery`). The register (properties) and the school
certificates listen; the imports app does not know them. A receiver's failure never turns a taken
delivery into a failed one: it is logged, and the receiver repairs itself at its next occasion.
"""

from __future__ import annotations

import logging

from django.dispatch import Signal

log = logging.getLogger(__name__)

snapshot_in_force = Signal()


def announce_snapshot(delivery) -> None:
    """Send `snapshot_in_force` for a taken delivery; log (not raise) what a receiver raised."""
    results = snapshot_in_force.send_robust(sender=type(delivery), source=delivery.source, delivery=delivery)
    for receiver, result in results:
        if isinstance(result, Exception):
            log.error("snapshot %s: receiver %r failed", delivery.source, receiver, exc_info=result)
