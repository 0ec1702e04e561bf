"""The PostgreSQL connection budget (docs/deployment.md, "Connection budget") and the check that compares
it with the server's `max_connections`.

Every process type holds a bounded number of connections:

- web (gunicorn, sync or threaded workers): one per thread, kept for DATABASE_CONN_MAX_AGE seconds:
  WEB_CONCURRENCY × GUNICORN_THREADS per web instance (FACTCHECK_WEB_INSTANCES of them);
- each Celery worker: one per pool process for its tasks, plus one more per pool process while a source
  search runs the archive provider in a thread of its own (claims/archive.py closes it afterwards), plus
  one for the worker's main process: 2 × concurrency + 1 (FACTCHECK_WORKER_POOLS lists the concurrencies);
- beat: one (its schedule is a file; the bound is kept for safety);
- management commands, migrations, psql, backups: FACTCHECK_DB_RESERVED_CONNECTIONS.

Behind PgBouncer (FACTCHECK_DB_POOLER=pgbouncer) the processes are PgBouncer's clients and the server sees
at most its pool: FACTCHECK_PGBOUNCER_POOL_SIZE (default_pool_size + reserve_pool_size) plus the reserve.

Plain Python reading the environment (like gunicorn.conf.py), so the budget is the one the processes
started from this environment will use; `check_connection_budget` is registered by claims/apps.py.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from django.core.checks import Warning as CheckWarning

CHECK_ID = "factcheck.W002"


def _int(environ: dict[str, str], name: str, default: int) -> int:
    value = (environ.get(name) or "").strip()
    return int(value) if value else default


def worker_pools(environ: dict[str, str]) -> list[int]:
    """The concurrency of every Celery worker of the deployment: FACTCHECK_WORKER_POOLS (e.g. "2,4,2"),
    else the one worker of `make run` (FACTCHECK_WORKER_CONCURRENCY, default 2)."""
    listed = (environ.get("FACTCHECK_WORKER_POOLS") or "").strip()
    if listed:
        return [int(part) for part in listed.split(",") if part.strip()]
    return [_int(environ, "FACTCHECK_WORKER_CONCURRENCY", 2)]


@dataclass(frozen=True)
class Budget:
    web: int
    workers: int
    beat: int
    reserved: int
    pooler: int | None  # PgBouncer's server-side pool, when one is in front of PostgreSQL

    @property
    def processes(self) -> int:
        """Connections the processes open (to PostgreSQL, or to PgBouncer when it is in front)."""
        return self.web + self.workers + self.beat + self.reserved

    @property
    def server(self) -> int:
        """Connections PostgreSQL has to accept."""
        return self.processes if self.pooler is None else self.pooler + self.reserved


def connection_budget(environ: dict[str, str] | None = None, *, pooler: str = "") -> Budget:
    environ = dict(os.environ if environ is None else environ)
    web = (
        _int(environ, "FACTCHECK_WEB_INSTANCES", 1)
        * _int(environ, "WEB_CONCURRENCY", 3)
        * _int(environ, "GUNICORN_THREADS", 1)
    )
    workers = sum(2 * concurrency + 1 for concurrency in worker_pools(environ))
    pool = _int(environ, "FACTCHECK_PGBOUNCER_POOL_SIZE", 20) if pooler == "pgbouncer" else None
    return Budget(
        web=web,
        workers=workers,
        beat=1,
        reserved=_int(environ, "FACTCHECK_DB_RESERVED_CONNECTIONS", 5),
        pooler=pool,
    )


def server_max_connections() -> int | None:
    from django.db import connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW max_connections")
            return int(cursor.fetchone()[0])
    except Exception:  # noqa: BLE001 — no database reachable: other checks and commands say so
        return None


def check_connection_budget(app_configs=None, databases=None, **kwargs) -> list[CheckWarning]:
    """`manage.py check` (and every command that runs the checks): warns when PostgreSQL's
    max_connections is below what the configured processes need. Silent when no database answers."""
    from django.conf import settings

    budget = connection_budget(pooler=settings.FACTCHECK_DB_POOLER)
    allowed = server_max_connections()
    if allowed is None or allowed >= budget.server:
        return []
    return [
        CheckWarning(
            f"PostgreSQL allows {allowed} connections (max_connections) but the configured processes may "
            f"open {budget.server}: web {budget.web}, workers {budget.workers}, beat {budget.beat}, "
            f"reserved {budget.reserved}"
            + (f", through PgBouncer's pool of {budget.pooler}" if budget.pooler is not None else "")
            + ".",
            hint="Raise max_connections, lower WEB_CONCURRENCY / GUNICORN_THREADS / the worker "
            "concurrencies, or put PgBouncer in front (docs/deployment.md, 'Connection budget').",
            id=CHECK_ID,
        )
    ]
