"""Waiting for a web server process that a test started to answer."""

from __future__ import annotations

import subprocess
import time
import urllib.request

import pytest


def wait_until_serving(
    base_url: str, process: subprocess.Popen, *, failure: str, timeout: float = 60.0
) -> None:
    """Poll `base_url`/health/ until it answers; fail the test with `failure` once the process has exited
    or `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(base_url + "/health/", timeout=2)
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(failure)
            time.sleep(0.3)
