"""Stopping a child process the one way the tooling, the tests and the benchmarks all do it."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess


def stop_process(
    process: subprocess.Popen, *, timeout: float, sig: int = signal.SIGTERM, group: bool = True
) -> None:
    """Send `sig` to a running `process` (to its process group when `group`: start it with
    start_new_session=True), wait up to `timeout` seconds for it to exit, then SIGKILL it and wait 10 s more.
    A process that has already exited is left alone."""
    if process.poll() is not None:
        return
    send = os.killpg if group else os.kill
    with contextlib.suppress(ProcessLookupError):
        send(process.pid, sig)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            send(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
