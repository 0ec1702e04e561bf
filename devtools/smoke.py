"""Smoke check of the runtime install: `python -m devtools.smoke`, run with the interpreter of a virtualenv
that has requirements.txt and nothing else (`.ci/run` builds one before the test tools are installed).

It does what a new user does, with real processes only: migrates a scratch database, creates the demo
accounts, starts gunicorn and a Celery worker, submits an article (devtools/smoke_article.html, served by a
loopback HTTP server on a random 127.x.y.z address that the fetcher is told to allow) through the API, and
waits until it is `ready` with claims whose source search has finished. Exit code 0 on success; otherwise 1,
with the last lines of each process's log.

PostgreSQL and Redis: DATABASE_URL / REDIS_URL when set (a scratch database is created on that server and
dropped afterwards), else the embedded servers (devtools/embedded.py). The checkout's `.env` is ignored:
this checks the code and its requirements, not a local configuration.
"""

from __future__ import annotations

import argparse
import contextlib
import http.server
import json
import os
import random
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import psycopg2
from psycopg2 import sql

from devtools.embedded import embedded_services
from devtools.processes import stop_process
from factcheck.envfile import ENV_FILE_VARIABLE

REPO = Path(__file__).resolve().parent.parent
ARTICLE = Path(__file__).resolve().with_name("smoke_article.html")
QUEUES = "ingest,sources,webhooks"


def say(message: str) -> None:
    print(f"smoke: {message}", flush=True)


class Failure(Exception):
    """The smoke check failed; the message says at which step."""


def random_loopback_host() -> str:
    """A 127.x.y.z address that nothing else is likely to use (not 127.0.0.0/16: resolvers, hostnames)."""
    return f"127.{random.randint(2, 254)}.{random.randint(0, 255)}.{random.randint(2, 254)}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def article_site():
    """Serve the smoke article at /article.html on a random loopback address; yield its URL."""
    body = ARTICLE.read_bytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server interface
            if self.path != "/article.html":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer((random_loopback_host(), 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = str(server.server_address[0]), server.server_address[1]
        yield f"http://{host}:{port}/article.html"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def scratch_database(server_url: str):
    """A new, empty database on the server of `server_url`; dropped on exit. Yields its URL."""
    parts = urllib.parse.urlsplit(server_url)
    name = f"factcheck_smoke_{os.getpid()}_{secrets.token_hex(3)}"
    admin = urllib.parse.urlunsplit(parts._replace(path="/postgres"))

    def execute(statement) -> None:
        conn = psycopg2.connect(admin, connect_timeout=10)
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(statement)
        finally:
            conn.close()

    execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


class Process:
    """A child process in a session of its own, its output in a log file; stopped by its own pid."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self.log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def tail(self, lines: int = 30) -> str:
        return "\n".join(f"  {self.name} | {line}" for line in self.output().splitlines()[-lines:])

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            raise Failure(f"{self.name} exited with code {self.process.returncode}")

    def stop(self) -> None:
        stop_process(self.process, timeout=30)
        self.log.close()


def manage(env: dict[str, str], *args: str, timeout: float = 300) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise Failure(f"manage.py {' '.join(args)} exited with {result.returncode}:\n{result.stderr[-3000:]}")
    return result.stdout


def api(method: str, url: str, token: str, body: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(
        url,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def wait_until(predicate, *, timeout: float, what: str, processes: list[Process]):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for process in processes:
            process.check_alive()
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    raise Failure(f"timed out after {timeout:.0f}s waiting for {what}")


def check(database_url: str, redis_url: str, log_dir: Path, timeout: float) -> None:
    processes: list[Process] = []
    with scratch_database(database_url) as scratch, article_site() as article_url:
        host, port = urllib.parse.urlsplit(article_url).hostname, urllib.parse.urlsplit(article_url).port
        web_port = free_port()
        env = dict(
            os.environ,
            DATABASE_URL=scratch,
            REDIS_URL=redis_url,
            FACTCHECK_ENV_FILE="",
            FACTCHECK_FETCH_ALLOW_NETWORKS=f"{host}/32",
            FACTCHECK_FETCH_ALLOW_PORTS=str(port),
            FACTCHECK_PROVIDERS="archive",
            GUNICORN_BIND=f"127.0.0.1:{web_port}",
            WEB_CONCURRENCY="1",
            PYTHONUNBUFFERED="1",
        )
        started = time.monotonic()
        manage(env, "migrate", "--noinput", "-v", "0")
        accounts = json.loads(manage(env, "setup_demo", "--json"))
        say(f"migrated a scratch database and created the demo accounts ({time.monotonic() - started:.0f}s)")
        try:
            web = Process(
                "web",
                [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "factcheck.wsgi"],
                env,
                log_dir,
            )
            worker = Process(
                "worker",
                [sys.executable, "-m", "celery", "-A", "factcheck", "worker", "-Q", QUEUES, "-c", "1", "-l", "info",
                 "-n", f"smoke-{os.getpid()}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"],
                env,
                log_dir,
            )  # fmt: skip
            processes += [web, worker]
            base = f"http://127.0.0.1:{web_port}"

            def serving() -> bool:
                try:
                    with urllib.request.urlopen(f"{base}/health/", timeout=2):
                        return True
                except urllib.error.HTTPError:
                    return True  # answering (503 names a broker or database problem), so serving
                except OSError:
                    return False

            wait_until(serving, timeout=60, what="gunicorn to answer /health/", processes=processes)
            wait_until(
                lambda: " ready." in worker.output(), timeout=120, what="the worker", processes=processes
            )
            say(f"gunicorn and a Celery worker are up ({time.monotonic() - started:.0f}s)")

            token = accounts["reviewer"]["token"]
            status, article = api("POST", f"{base}/api/v1/articles/", token, {"url": article_url})
            if status != 202:
                raise Failure(f"POST /api/v1/articles/ answered {status}: {article}")

            def finished() -> dict | None:
                _, current = api("GET", f"{base}/api/v1/articles/{article['id']}/", token)
                return current if current.get("status") in ("ready", "failed") else None

            article = wait_until(finished, timeout=timeout, what="the article to finish", processes=processes)
            progress = article["progress"]
            if (
                article["status"] != "ready"
                or not progress["claims"]
                or progress["sourced"] != progress["claims"]
            ):
                raise Failure(
                    f"the article ended {article['status']} ({article['error']}), progress {progress}"
                )
            say(
                f"article {article['id']} is ready: {progress['claims']} claims, all sourced "
                f"({time.monotonic() - started:.0f}s)"
            )
            worker.check_alive()
            web.check_alive()
        except Failure:
            for process in processes:
                print(f"--- last lines of {process.name} ({process.log_path}):\n{process.tail()}", flush=True)
            raise
        finally:
            for process in processes:
                process.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.smoke", description=__doc__.split("\n\n")[0])
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds for the article to finish")
    args = parser.parse_args(argv)
    os.environ[ENV_FILE_VARIABLE] = ""  # the checkout's .env is not part of what is checked
    say(f"runtime check with {sys.executable}")
    log_dir = Path(tempfile.mkdtemp(prefix="factcheck-smoke-"))
    try:
        with embedded_services(quiet=True) as urls:
            check(urls["DATABASE_URL"], urls["REDIS_URL"], log_dir, args.timeout)
    except Failure as exc:
        say(f"FAILED: {exc} (logs in {log_dir})")
        return 1
    say("passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
