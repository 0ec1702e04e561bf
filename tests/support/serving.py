"""Starting gunicorn for a test, and waiting for a web server process that a test started to answer."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

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


REPO = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def gunicorn_serving(env: dict[str, str], port: int, *, log_name: str, failure: str) -> Iterator[str]:
    """gunicorn with gunicorn.conf.py, as `make run` and the compose file start it, bound by `env` to
    127.0.0.1:`port` (GUNICORN_BIND), its output appended to test-artifacts/`log_name`. Yields its base URL
    once /health/ answers (else fails the test with `failure`); stopped by SIGTERM to its process group."""
    log = (REPO / "test-artifacts" / log_name).open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "factcheck.wsgi:application"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base_url, process, failure=failure)
        yield base_url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=40)
        log.close()
