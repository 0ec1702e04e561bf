"""The connection budget (issue 18, docs/deployment.md): the formula, the `manage.py check` warning, and the
archive provider giving back the connections its search threads open."""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings
from django.core.checks import run_checks
from django.db import connection

from claims.archive import ArchiveProvider
from factcheck.dbbudget import CHECK_ID, connection_budget


def test_the_budget_counts_web_threads_worker_pools_beat_and_the_reserve():
    compose = connection_budget({"WEB_CONCURRENCY": "3", "FACTCHECK_WORKER_POOLS": "2,4,2"})
    assert (compose.web, compose.workers, compose.beat, compose.reserved) == (3, 5 + 9 + 5, 1, 5)
    assert compose.server == compose.processes == 28
    make_run = connection_budget({})  # gunicorn's 3 processes, one worker of concurrency 2
    assert make_run.server == 3 + 5 + 1 + 5
    threaded = connection_budget(
        {"FACTCHECK_WEB_INSTANCES": "2", "WEB_CONCURRENCY": "4", "GUNICORN_THREADS": "8",
         "FACTCHECK_WORKER_CONCURRENCY": "3", "FACTCHECK_DB_RESERVED_CONNECTIONS": "10"}
    )  # fmt: skip
    assert threaded.server == 64 + 7 + 1 + 10


def test_behind_pgbouncer_the_server_sees_the_pool_not_the_processes():
    budget = connection_budget(
        {"WEB_CONCURRENCY": "50", "FACTCHECK_WORKER_POOLS": "8,8,8", "FACTCHECK_PGBOUNCER_POOL_SIZE": "20"},
        pooler="pgbouncer",
    )
    assert budget.processes == 50 + 3 * 17 + 1 + 5
    assert budget.server == 20 + 5


def budget_warnings() -> list:
    return [message for message in run_checks() if message.id == CHECK_ID]


@pytest.mark.django_db
def test_check_warns_when_max_connections_is_below_the_budget(monkeypatch):
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_connections")
        allowed = int(cursor.fetchone()[0])
    monkeypatch.setenv("FACTCHECK_WORKER_POOLS", "2")
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    assert budget_warnings() == []

    monkeypatch.setenv("WEB_CONCURRENCY", str(allowed))  # alone as many as the server allows, plus the rest
    [warning] = budget_warnings()
    assert f"PostgreSQL allows {allowed} connections" in warning.msg
    assert f"may open {allowed + 5 + 1 + 5}" in warning.msg
    assert "docs/deployment.md" in warning.hint


def db_sockets() -> int:
    """TCP connections of this process to the database server's port (from /proc, not from Django)."""
    port = int(settings.DATABASES["default"]["PORT"] or 5432)
    inodes = set()
    for table in ("/proc/self/net/tcp", "/proc/self/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[2].rsplit(":", 1)[1], 16) == port and fields[3] == "01":  # ESTABLISHED
                inodes.add(fields[9])
    found = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:[") and target[8:-1] in inodes:
            found += 1
    return found


@pytest.mark.django_db(transaction=True)
def test_archive_searches_give_back_the_connections_of_their_threads():
    """The archive provider runs in the evidence pool's threads (a pool per task, as gather_evidence_sync
    makes it); while those threads are still alive, none of them may keep a connection open."""
    connection.ensure_connection()
    before = db_sockets()
    provider = ArchiveProvider(max_results=3)
    loop = asyncio.new_event_loop()
    pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="evidence-api")
    loop.set_default_executor(pool)
    try:

        async def searches():
            return await asyncio.gather(
                *(
                    provider.search(f"trains carried {n} million passengers", language="en", queries=[])
                    for n in range(16)
                )
            )

        results = loop.run_until_complete(searches())
        assert len(results) == 16
        assert len(pool._threads) > 1  # the searches ran in several threads, which are still alive
        assert db_sockets() == before
    finally:
        loop.close()
        pool.shutdown(wait=True)
