"""Redis databases of a test's own, claimed so that two suites on one Redis never share or flush one.

A test that needs a broker no session worker consumes (its own worker, a fuzzed web server) claims an empty
database with an atomic SET NX of a claim key and gives it back by flushing it. Each session also claims
its own broker database (tests/conftest.py), so another suite never takes that one for a private one.
"""

from __future__ import annotations

import os
import re
import socket

import pytest
import redis

CLAIM_KEY = "factcheck:test-claim"
CLAIM_SECONDS = 3 * 3600
OWNER = f"{socket.gethostname()}:{os.getpid()}"


def with_db(url: str, db: int) -> str:
    return re.sub(r"(/\d+)?$", f"/{db}", url, count=1)


def claim_session_db(url: str) -> None:
    redis.Redis.from_url(url).set(CLAIM_KEY, OWNER, ex=CLAIM_SECONDS)


def claim_private_db(session_url: str) -> str:
    """An empty database of the same server as `session_url`, now claimed by this process."""
    for db in range(15, 0, -1):
        url = with_db(session_url, db)
        if url == session_url:
            continue
        client = redis.Redis.from_url(url)
        if client.set(CLAIM_KEY, OWNER, nx=True, ex=CLAIM_SECONDS):
            if client.dbsize() == 1:
                return url
            client.delete(CLAIM_KEY)  # someone uses it without claiming: leave it alone
    pytest.fail("no empty, unclaimed Redis database (1-15) for a private broker: free one to run this test")


def release(url: str) -> None:
    client = redis.Redis.from_url(url)
    if client.get(CLAIM_KEY) == OWNER.encode():
        client.flushdb()
