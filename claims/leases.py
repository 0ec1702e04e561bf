"""Per-stage leases: how the sweeper tells a stage whose worker died from one that is merely slow.

A delivery that starts a stage writes `lease_expires_at = now + FACTCHECK_LEASE_SECONDS` on the row in the
same conditional UPDATE that counts the start (claims/stages.py); every move out of the stage clears it
(the models' `transition`). While the stage runs, `renewed()` pushes the expiry forward every third of the
lease from a thread of the worker process. A worker that is SIGKILLed, OOM-killed or loses its machine
stops renewing: once the lease has run out, the sweeper (`services.sweep_expired_leases`, every
FACTCHECK_SWEEP_INTERVAL) clears it and re-publishes the stage, without waiting for Redis's visibility
timeout (3600 s) or FACTCHECK_STALE_AFTER_SECONDS (900 s). A slow stage keeps its lease and is never run
twice; one stuck for ever is ended by the hard time limit, which kills its process and so its renewals.

The renewing thread uses a database connection of its own only once the stage has run for a third of the
lease (most stages finish before), and closes it when the stage ends.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Model
from django.utils import timezone

log = logging.getLogger(__name__)

# The clock leases are measured by, and the pause between renewals (True once the stage has ended); tests
# drive both instead of sleeping (tests/faults/test_leases.py).
clock = timezone.now
pause = threading.Event.wait


def expiry(seconds: float | None = None) -> datetime:
    """When a lease taken now runs out: after FACTCHECK_LEASE_SECONDS, or after `seconds`."""
    return clock() + timedelta(seconds=settings.FACTCHECK_LEASE_SECONDS if seconds is None else seconds)


def extend(model: type[Model], pk: int, *, seconds: float) -> bool:
    """Hold the row's lease for `seconds` more from now (a retry waiting for its countdown). Only a lease
    that is held: a stage that ended meanwhile keeps none."""
    rows = model._default_manager.filter(pk=pk, lease_expires_at__isnull=False)
    return bool(rows.update(lease_expires_at=expiry(seconds)))


def renew(model: type[Model], pk: int) -> bool:
    return extend(model, pk, seconds=settings.FACTCHECK_LEASE_SECONDS)


@contextmanager
def renewed(model: type[Model], pk: int) -> Iterator[None]:
    """Renew the row's lease every third of FACTCHECK_LEASE_SECONDS while the block runs."""
    stop = threading.Event()
    thread = threading.Thread(
        target=_keep_renewing, args=(model, pk, stop), name=f"lease-{model.__name__}-{pk}", daemon=True
    )
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=10)


def _keep_renewing(model: type[Model], pk: int, stop: threading.Event) -> None:
    interval = max(1.0, settings.FACTCHECK_LEASE_SECONDS / 3)
    try:
        while not pause(stop, interval):
            try:
                if not renew(model, pk):
                    return  # the stage ended (or the row is gone): nothing left to hold
            except DatabaseError as exc:  # the next renewal may get through; the lease is long enough
                log.warning("could not renew the lease of %s %s: %s", model.__name__, pk, exc)
                connection.close()
    finally:
        connection.close()  # this thread's own connection, if it opened one
