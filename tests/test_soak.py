"""The short soak (RELIABILITY.md L1, issue 18): gunicorn with gunicorn.conf.py and a real Celery worker against
the test database; 20 articles submitted at once by 4 clients, which then poll every article about three
times a second (well over 10 requests/s) for at least 60 s. No 5xx, every article terminal, and PostgreSQL's
connections to the database never above the budget of the processes running (factcheck/dbbudget.py).

The long soak (a few hundred articles, 15 minutes, against `make run`) is bench/soak.py.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User

from claims.models import Article
from factcheck.dbbudget import connection_budget
from reviewers.roles import REVIEWERS
from reviewers.tokens import ApiToken
from tests.conftest import worker_env
from tests.support.serving import gunicorn_serving
from tests.support.soak import Sampler, run_clients

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts"
ARTICLES = 20
CLIENTS = 4
POLL_SECONDS = 0.3  # each client polls each of its 5 articles every 0.3 s: ~13 requests/s in all
SOAK_SECONDS = 60.0
WEB_PROCESSES = 2
WORKER_CONCURRENCY = 2  # the session's worker (tests/conftest.py)

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Harbour report {n}</title></head>
<body><article><h1>Harbour report {n}</h1>
<p>The harbour authority handled {tonnes} million tonnes of cargo in 2023, according to its annual report,
an increase of {rise} percent on the previous year.</p>
<p>Readers told us what they think about the new ferry terminal. Opinions differ, as always.</p>
</article></body></html>"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def news_pages(page_server) -> Iterator[list[str]]:
    """ARTICLES short articles with one checkable claim each (so that 20 of them finish within a minute on a
    shared 2-core machine), served by the session's page server, which the session's worker may fetch from."""
    run = time.time_ns()
    names = [f"soak-{run}-{n}.html" for n in range(ARTICLES)]
    for n, name in enumerate(names):
        page_server.extra[name] = PAGE.format(n=n, tonnes=40 + n, rise=3 + n % 7).encode()
    yield [page_server.url(name) for name in names]
    for name in names:
        page_server.extra.pop(name, None)


@pytest.fixture
def web_server(page_server) -> Iterator[str]:
    """gunicorn with gunicorn.conf.py, as `make run` and the compose file start it."""
    port = free_port()
    env = worker_env(
        extra={
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": str(WEB_PROCESSES),
            "FACTCHECK_THROTTLE_USER": "1000000/min",
            "FACTCHECK_FETCH_ALLOW_PORTS": str(page_server.port),
        }
    )
    with gunicorn_serving(
        env,
        port,
        log_name="soak-gunicorn.log",
        failure="gunicorn did not start; see test-artifacts/soak-gunicorn.log",
    ) as base_url:
        yield base_url


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_twenty_articles_polled_for_a_minute_get_no_5xx_finish_and_stay_within_the_connection_budget(
    celery_worker, web_server, news_pages
):
    user = User.objects.create(username="soak-client")
    user.groups.add(Group.objects.get_or_create(name=REVIEWERS)[0])
    token = ApiToken.issue(user).key
    db = settings.DATABASES["default"]
    dsn = f"host={db['HOST']} port={db['PORT']} user={db['USER']} password={db['PASSWORD'] or ''} dbname={db['NAME']}"
    sampler = Sampler(dsn, db["NAME"], [celery_worker.process.pid], interval=0.25)
    sampler.start()
    urls = news_pages

    def stop_when(tally, elapsed: float) -> bool:
        return elapsed >= SOAK_SECONDS and (len(tally.finished) >= ARTICLES or elapsed >= SOAK_SECONDS + 60)

    tally, elapsed = run_clients(
        web_server, token, urls, clients=CLIENTS, poll_interval=POLL_SECONDS, stop_when=stop_when
    )
    sampler.stop.set()
    sampler.join(timeout=10)

    # The processes on this database: gunicorn, the session's worker, and this test process (one connection,
    # within the reserve); beat does not run here, but stays in the budget as it would in make run.
    budget = connection_budget(
        {"WEB_CONCURRENCY": str(WEB_PROCESSES), "FACTCHECK_WORKER_POOLS": str(WORKER_CONCURRENCY)}
    )
    assert tally.server_errors == 0, tally.statuses
    assert tally.errors == [], tally.errors[:5]
    assert elapsed >= SOAK_SECONDS
    assert tally.requests / elapsed >= 10, (tally.requests, elapsed)
    assert len(tally.finished) == ARTICLES, (tally.finished, celery_worker.log()[-3000:])
    assert Article.objects.filter(status="ready").count() == ARTICLES
    assert sampler.connections, "the sampler read nothing"
    assert 0 < sampler.peak_connections <= budget.server, (sampler.peak_connections, budget)
    assert sampler.peak_rss_mb > 0
