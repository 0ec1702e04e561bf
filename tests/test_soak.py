"""The short soak (RELIABILITY.md L1, issue 18): gunicorn with gunicorn.conf.py and a real Celery worker against
the test database; 20 articles submitted at once by 4 clients, which then poll every article about three
times a second (well over 10 requests/s) for at least 60 s. No 5xx, every article terminal, and PostgreSQL's
connections to the database never above the budget of the processes running (factcheck/dbbudget.py).

The long soak (a few hundred articles, 15 minutes, against `make run`) is bench/soak.py.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from rest_framework.authtoken.models import Token

from claims.models import Article
from factcheck.dbbudget import connection_budget
from reviewers.roles import REVIEWERS
from tests.conftest import WorkerProcess, purge_queues, worker_env
from tests.support.loopback import LoopbackServer, Request, Response
from tests.support.soak import Sampler, run_clients

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts"
ARTICLES = 20
CLIENTS = 4
POLL_SECONDS = 0.3  # each client polls each of its 5 articles every 0.3 s: ~13 requests/s in all
SOAK_SECONDS = 60.0
WEB_PROCESSES = 2
WORKER_CONCURRENCY = 2

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Harbour report {n}</title></head>
<body><article><h1>Harbour report {n}</h1>
<p>The harbour authority handled {tonnes} million tonnes of cargo in 2023, according to its annual report,
an increase of {rise} percent on the previous year.</p>
<p>Readers told us what they think about the new ferry terminal. Opinions differ, as always.</p>
</article></body></html>"""


class NewsSite(LoopbackServer):
    """GET /report-<n>.html: a short article with one checkable claim (so that 20 of them finish within a
    minute on a shared 2-core machine)."""

    def route(self, request: Request) -> Response:
        name = request.path.strip("/")
        if not (name.startswith("report-") and name.endswith(".html") and name[7:-5].isdigit()):
            return 404, {"Content-Type": "text/plain"}, b"not found"
        n = int(name[7:-5])
        body = PAGE.format(n=n, tonnes=40 + n, rise=3 + n % 7).encode()
        return 200, {"Content-Type": "text/html; charset=utf-8"}, body


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def news_site() -> Iterator[NewsSite]:
    server = NewsSite().start()
    yield server
    server.stop()


@pytest.fixture
def soak_worker(celery_worker, news_site) -> Iterator[WorkerProcess]:
    """A worker of its own that may fetch from news_site; the session's worker (which may not) is stopped
    meanwhile, so that it cannot take these articles, and started again afterwards."""
    celery_worker.stop()
    purge_queues()
    env = worker_env(
        extra={"FACTCHECK_FETCH_ALLOW_PORTS": str(news_site.port), "FACTCHECK_PROVIDERS": "archive"}
    )
    worker = WorkerProcess(
        env, ARTIFACTS / "soak-worker.log", concurrency=WORKER_CONCURRENCY, queues=("ingest", "sources")
    ).start()
    try:
        yield worker
    finally:
        worker.stop()
        purge_queues()
        celery_worker.start()


@pytest.fixture
def web_server(news_site) -> Iterator[str]:
    """gunicorn with gunicorn.conf.py, as `make run` and the compose file start it."""
    port = free_port()
    env = worker_env(
        extra={
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": str(WEB_PROCESSES),
            "FACTCHECK_THROTTLE_USER": "1000000/min",
            "FACTCHECK_FETCH_ALLOW_PORTS": str(news_site.port),
        }
    )
    log = (ARTIFACTS / "soak-gunicorn.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "factcheck.wsgi:application"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base_url + "/health/", timeout=2)
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("gunicorn did not start; see test-artifacts/soak-gunicorn.log")
                time.sleep(0.3)
        yield base_url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=40)
        log.close()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_twenty_articles_polled_for_a_minute_get_no_5xx_finish_and_stay_within_the_connection_budget(
    soak_worker, web_server, news_site
):
    user = User.objects.create(username="soak-client")
    user.groups.add(Group.objects.get_or_create(name=REVIEWERS)[0])
    token = Token.objects.create(user=user).key
    db = settings.DATABASES["default"]
    dsn = f"host={db['HOST']} port={db['PORT']} user={db['USER']} password={db['PASSWORD'] or ''} dbname={db['NAME']}"
    sampler = Sampler(dsn, db["NAME"], [soak_worker.process.pid], interval=0.25)
    sampler.start()
    run = time.time_ns()
    urls = [f"{news_site.base_url}/report-{n}.html?run={run}" for n in range(ARTICLES)]

    def stop_when(tally, elapsed: float) -> bool:
        return elapsed >= SOAK_SECONDS and (len(tally.finished) >= ARTICLES or elapsed >= SOAK_SECONDS + 60)

    tally, elapsed = run_clients(
        web_server, token, urls, clients=CLIENTS, poll_interval=POLL_SECONDS, stop_when=stop_when
    )
    sampler.stop.set()
    sampler.join(timeout=10)

    # The processes on this database: gunicorn, the soak worker, and this test process (one connection,
    # within the reserve); beat does not run here, but stays in the budget as it would in make run.
    budget = connection_budget(
        {"WEB_CONCURRENCY": str(WEB_PROCESSES), "FACTCHECK_WORKER_POOLS": str(WORKER_CONCURRENCY)}
    )
    assert tally.server_errors == 0, tally.statuses
    assert tally.errors == [], tally.errors[:5]
    assert elapsed >= SOAK_SECONDS
    assert tally.requests / elapsed >= 10, (tally.requests, elapsed)
    assert len(tally.finished) == ARTICLES, (tally.finished, soak_worker.log()[-3000:])
    assert Article.objects.filter(status="ready").count() == ARTICLES
    assert sampler.connections, "the sampler read nothing"
    assert 0 < sampler.peak_connections <= budget.server, (sampler.peak_connections, budget)
    assert sampler.peak_rss_mb > 0
