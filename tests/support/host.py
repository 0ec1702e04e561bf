"""The loopback address the stand-in servers of this test run bind: one random 127.x.y.z per run.

Chosen once (by the first import, normally tests/support/suite_env.py before any test) and kept in the
environment as FACTCHECK_TEST_HOST, so that the worker and web processes the tests start, and benchmarks
that use the stand-ins, agree on it. Two suites on one machine therefore never meet, and nothing else that
listens on a fixed loopback address (127.0.0.1, 127.0.0.53, 127.0.1.1) is ever reached: the fetcher is
allowed exactly this address (ALLOW_NETWORK), and canaries on 127.0.0.1 and ::1 fail a test that connects
anywhere else (RELIABILITY.md). Set FACTCHECK_TEST_HOST to choose the address yourself.
"""

from __future__ import annotations

import os
import random

HOST_VARIABLE = "FACTCHECK_TEST_HOST"


def random_loopback_host() -> str:
    """A 127.x.y.z outside 127.0.0.0/16 and 127.255.0.0/16, never .0, .1 or .255 in the last place."""
    return f"127.{random.randint(1, 254)}.{random.randint(0, 255)}.{random.randint(2, 254)}"


def loopback_host() -> str:
    host = os.environ.get(HOST_VARIABLE, "").strip()
    if not host:
        host = os.environ[HOST_VARIABLE] = random_loopback_host()
    return host


HOST = loopback_host()
ALLOW_NETWORK = f"{HOST}/32"


def loopback_hosts(count: int) -> list[str]:
    """`count` addresses of this run's /24 (for benchmarks that need many 'sites'), HOST's network."""
    prefix = HOST.rsplit(".", 1)[0]
    return [f"{prefix}.{i}" for i in range(2, 2 + count)]
