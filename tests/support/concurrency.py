"""Running test callables at the same moment, each in its own thread and database connection."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connection


def run_at_once(*targets: Callable[[], object], timeout: float = 30) -> list[BaseException]:
    """Start the callables in threads that pass a barrier together; each closes its own DB connection.
    Returns what they raised (empty when none did), for the caller to assert on."""
    barrier = threading.Barrier(len(targets))
    errors: list[BaseException] = []

    def wrap(target: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout)
            target()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=wrap, args=(t,)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    return errors
