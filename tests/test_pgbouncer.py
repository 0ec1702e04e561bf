"""PgBouncer in transaction mode in front of the test database (issue 18, docs/deployment.md "PgBouncer"):
Debian's pgbouncer binary with deploy/pgbouncer/pgbouncer.ini, the web app (gunicorn) behind it with
FACTCHECK_DB_POOLER=pgbouncer, and the compose override that offers it.

`.ci/run` installs pgbouncer; without it these tests skip saying so, and fail under CI=true.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
import yaml  # drf-spectacular's dependency
from django.conf import settings
from django.contrib.auth.models import Group, User

from claims.models import Article, ArticleStatus
from reviewers.roles import REVIEWERS
from reviewers.tokens import ApiToken
from tests.conftest import worker_env
from tests.support.serving import gunicorn_serving
from tests.test_project import required_compose_command

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts"
POOL = 20  # default_pool_size + reserve_pool_size in deploy/pgbouncer/pgbouncer.ini


def pgbouncer_or_skip() -> str:
    binary = shutil.which("pgbouncer") or (
        "/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").exists() else None
    )
    if binary:
        return binary
    message = "pgbouncer is not installed (apt-get install -y pgbouncer; .ci/run installs it)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PgBouncer:
    """pgbouncer in the foreground with a configuration like deploy/pgbouncer/entrypoint.sh writes: the
    database entry and where to listen, then `%include deploy/pgbouncer/pgbouncer.ini`."""

    def __init__(self, binary: str, database: dict) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="pgbouncer-"))
        self.dir.chmod(0o755)  # pgbouncer refuses to run as root: it drops to postgres, who must read these
        self.log = ARTIFACTS / "pgbouncer.log"
        ARTIFACTS.mkdir(exist_ok=True)
        (self.dir / "userlist.txt").write_text(f'"{database["USER"]}" "{database["PASSWORD"] or ""}"\n')
        (self.dir / "pgbouncer.ini").write_text(
            "[databases]\n"
            f"{database['NAME']} = host={database['HOST']} port={database['PORT'] or 5432} dbname={database['NAME']}\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {self.port}\nunix_socket_dir =\n"
            f"auth_type = trust\nauth_file = {self.dir / 'userlist.txt'}\nadmin_users = {database['USER']}\n"
            f"%include {REPO / 'deploy' / 'pgbouncer' / 'pgbouncer.ini'}\n"
        )
        for path in self.dir.iterdir():
            path.chmod(0o644)
        command = [binary, str(self.dir / "pgbouncer.ini")]
        if os.geteuid() == 0:
            command[1:1] = ["-u", "postgres"]
        self.process = subprocess.Popen(
            command, stdout=self.log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"pgbouncer did not start:\n{self.log.read_text()[-2000:]}") from None
                time.sleep(0.1)

    def show(self, what: str, user: str) -> list[dict]:
        """The admin console: SHOW POOLS, SHOW SERVERS, ... as dicts."""
        conn = psycopg2.connect(host="127.0.0.1", port=self.port, dbname="pgbouncer", user=user)
        conn.autocommit = True
        try:
            with conn.cursor() as cursor:
                cursor.execute(f"SHOW {what}")
                names = [column.name for column in cursor.description]
                return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        finally:
            conn.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=15)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def pgbouncer() -> Iterator[PgBouncer]:
    bouncer = PgBouncer(pgbouncer_or_skip(), settings.DATABASES["default"])
    yield bouncer
    bouncer.stop()


def test_the_pooler_setting_turns_off_persistent_connections_and_server_side_cursors():
    script = (
        "import django, json; django.setup(); from django.conf import settings; "
        "d = settings.DATABASES['default']; print(json.dumps([d['CONN_MAX_AGE'], d['DISABLE_SERVER_SIDE_CURSORS']]))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "factcheck.settings", "DATABASE_CONN_MAX_AGE": "60"}
    run = lambda extra: subprocess.run(  # noqa: E731
        [sys.executable, "-c", script], cwd=REPO, env={**env, **extra}, capture_output=True, text=True
    )
    assert json.loads(run({"FACTCHECK_DB_POOLER": "pgbouncer"}).stdout) == [0, True]
    assert json.loads(run({"FACTCHECK_DB_POOLER": ""}).stdout) == [60, False]
    refused = run({"FACTCHECK_DB_POOLER": "pgpool"})
    assert refused.returncode != 0 and "FACTCHECK_DB_POOLER" in refused.stderr


def test_many_clients_share_the_pool_postgresql_sees(pgbouncer):
    db = settings.DATABASES["default"]
    clients = [
        psycopg2.connect(host="127.0.0.1", port=pgbouncer.port, dbname=db["NAME"], user=db["USER"])
        for _ in range(2 * POOL)
    ]
    try:
        for client in clients:  # each in a transaction of its own, one after the other
            with client, client.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM pg_stat_activity")
        servers = pgbouncer.show("SERVERS", db["USER"])
        assert 1 <= len(servers) <= POOL
        assert len(pgbouncer.show("CLIENTS", db["USER"])) >= 2 * POOL
    finally:
        for client in clients:
            client.close()


@pytest.mark.django_db(transaction=True)
def test_the_api_behind_pgbouncer_answers_every_request(pgbouncer):
    """gunicorn (16 threads) behind PgBouncer in transaction mode: lists, details and the verdict feed under
    concurrent polling, all 200; PostgreSQL sees at most the pool."""
    db = settings.DATABASES["default"]
    user = User.objects.create(username="pooled")
    user.groups.add(Group.objects.get_or_create(name=REVIEWERS)[0])
    token = ApiToken.issue(user).key
    ids = [
        Article.objects.create(
            url=f"https://news.example/{n}",
            canonical_url=f"https://news.example/{n}",
            status=ArticleStatus.READY,
        ).pk
        for n in range(10)
    ]
    port = free_port()
    env = worker_env(
        extra={
            "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@127.0.0.1:{pgbouncer.port}/{db['NAME']}",
            "FACTCHECK_DB_POOLER": "pgbouncer",
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": "2",
            "GUNICORN_THREADS": "8",
            "FACTCHECK_THROTTLE_USER": "1000000/min",
        }
    )
    statuses: Counter = Counter()
    lock = threading.Lock()
    with gunicorn_serving(
        env,
        port,
        log_name="pgbouncer-gunicorn.log",
        failure="gunicorn behind pgbouncer did not start; test-artifacts/pgbouncer-gunicorn.log",
    ) as base:

        def get(path: str) -> None:
            request = urllib.request.Request(base + path, headers={"Authorization": f"Token {token}"})
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    status = response.status
            except urllib.error.HTTPError as exc:
                status = exc.code
            with lock:
                statuses[status] += 1

        def client(n: int) -> None:
            for i in range(15):
                get(
                    [
                        "/api/v1/articles/",
                        f"/api/v1/articles/{ids[(n + i) % len(ids)]}/",
                        "/api/v1/verdicts/",
                    ][i % 3]
                )

        threads = [threading.Thread(target=client, args=(n,)) for n in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert statuses == Counter({200: 16 * 15})
        assert len(pgbouncer.show("SERVERS", db["USER"])) <= POOL


def test_the_compose_override_puts_pgbouncer_between_the_app_and_postgresql(tmp_path):
    command = required_compose_command()
    for name in ("docker-compose.yml", "docker-compose.pgbouncer.yml"):
        shutil.copy(REPO / name, tmp_path / name)
    shutil.copytree(REPO / "deploy", tmp_path / "deploy")
    shutil.copy(REPO / ".env.example", tmp_path / ".env")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "PGBOUNCER_DATABASE_URL")
    }
    env["SECRET_KEY"] = "x" * 60
    result = subprocess.run(
        [*command, "-f", "docker-compose.yml", "-f", "docker-compose.pgbouncer.yml", "config"],
        cwd=tmp_path, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    assert services["pgbouncer"]["build"]["context"].endswith("deploy/pgbouncer")
    for name in ("web", "worker-ingest", "worker-sources", "worker-webhooks", "beat"):
        environment = services[name]["environment"]
        assert "@pgbouncer:6432/" in environment["DATABASE_URL"], name
        assert environment["FACTCHECK_DB_POOLER"] == "pgbouncer", name
        assert "pgbouncer" in services[name]["depends_on"], name
    assert "@postgres:5432/" in services["migrate"]["environment"]["DATABASE_URL"]
    assert "FACTCHECK_DB_POOLER" not in services["migrate"]["environment"]
