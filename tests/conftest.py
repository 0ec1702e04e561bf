"""Shared fixtures: named personas, an API client, loopback servers, and a real Celery worker process.

Everything runs against the real PostgreSQL and Redis given by DATABASE_URL / REDIS_URL (the embedded
servers when those are unset, see devtools/embedded.py). No test contacts anything but loopback.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db.backends.signals import connection_created
from rest_framework.test import APIClient

from api.throttling import KEY_PREFIX as THROTTLE_PREFIX
from devtools.processes import stop_process
from reviewers.roles import CONSUMERS, LEADS, REVIEWERS
from reviewers.tokens import ApiToken
from tests.support import evaldata, mediawiki, redisdb
from tests.support.host import ALLOW_NETWORK
from tests.support.pages import PageServer

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
QUEUES = ("ingest", "sources", "webhooks")


# --- tests/pgvector_cases run only in the pytest process tests/claims/test_vector_matching.py starts ---------
def pytest_ignore_collect(collection_path, config):
    from tests.support.pgvector import CASES_VARIABLE

    if collection_path.name == "pgvector_cases" and not os.environ.get(CASES_VARIABLE):
        return True
    return None


# --- Redis databases: this session's broker database is claimed, so no other suite takes it -----------
@pytest.fixture(scope="session", autouse=True)
def claimed_broker_database():
    with contextlib.suppress(redis.RedisError):  # tests that need no Redis still run without one
        redisdb.claim_session_db(settings.CELERY_BROKER_URL)
        # Throttle windows are keyed by account id, and a new test database numbers its accounts from 1
        # again: an earlier run's windows (kept up to a minute) would count against this run's accounts.
        client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
        stale = list(client.scan_iter(match=f"*{THROTTLE_PREFIX}*", count=1000))
        if stale:
            client.delete(*stale)


# --- the verdict table refuses TRUNCATE (reviewers 0007) except where a session says so on purpose -----
def allow_verdict_truncate(sender, connection, **kwargs) -> None:
    """Django's flush between transactional tests TRUNCATEs every table: this test process's connections
    allow it. Tests of the refusal turn it off again (tests/reviewers/test_verdicts.py)."""
    with connection.cursor() as cursor:
        cursor.execute("SET factcheck.allow_verdict_truncate = on")


connection_created.connect(allow_verdict_truncate)


# --- the evaluation data (tests/support/evaldata.py) ---------------------------------------------------
@pytest.fixture(scope="session")
def eval_data() -> Path:
    """FACTCHECK_EVAL_DATA_DIR. Missing: the test is skipped with the reason, or under CI=true it fails
    (pytest_runtest_call below), so that CI never passes without the data."""
    reason = evaldata.missing()
    if reason and not evaldata.in_ci():
        pytest.skip(reason)
    return evaldata.DATA_DIR


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item):
    reason = evaldata.missing()
    if reason and "eval_data" in getattr(item, "fixturenames", ()):
        pytest.fail(f"{reason} (CI=true: tests that need the data fail without it)", pytrace=False)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    reason = evaldata.missing()
    needing = [
        i for i in terminalreporter.stats.get("skipped", []) + terminalreporter.stats.get("failed", [])
    ]
    count = sum(1 for report in needing if reason and reason in str(report.longrepr))
    if count:
        terminalreporter.write_line(f"{count} tests did not run: {reason}", yellow=True, bold=True)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Real password hashing is slow by design; the tests are not about password strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# --- personas ------------------------------------------------------------------------------------
def make_user(username: str, *roles: str, staff: bool = False) -> User:
    user = User.objects.create_user(username=username, password="pw-" + username, is_staff=staff)
    for role in roles:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


def client_for(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {ApiToken.issue(user).key}")
    return client


@pytest.fixture
def reviewer(db) -> User:
    return make_user("reviewer", REVIEWERS, staff=True)


@pytest.fixture
def second_reviewer(db) -> User:
    return make_user("second-reviewer", REVIEWERS, staff=True)


@pytest.fixture
def lead(db) -> User:
    return make_user("lead", LEADS, staff=True)


@pytest.fixture
def consumer(db) -> User:
    return make_user("consumer", CONSUMERS)


@pytest.fixture
def reviewer_client(reviewer) -> APIClient:
    return client_for(reviewer)


@pytest.fixture
def consumer_client(consumer) -> APIClient:
    return client_for(consumer)


@pytest.fixture
def anonymous_client() -> APIClient:
    return APIClient()


# --- outbound rules for loopback test servers ------------------------------------------------------
@pytest.fixture
def allow_loopback_servers(settings):
    """Let the fetcher reach this run's stand-in 'public' servers (tests/support/host.py) on any port, and
    nothing else."""
    settings.FACTCHECK_FETCH_ALLOW_NETWORKS = [ALLOW_NETWORK]
    settings.FACTCHECK_FETCH_ALLOW_PORTS = list(range(1024, 65536))
    return settings


# --- a real Celery worker --------------------------------------------------------------------------
def purge_queues() -> None:
    """Drop messages left in this Redis database's pipeline queues by an earlier run."""
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete(*QUEUES, "unacked", "unacked_index")


class WorkerProcess:
    """A `celery worker` child process against the test database, killed by its own pid."""

    app = "factcheck"
    name_prefix = "test"
    poll = 0.2

    def __init__(
        self, env: dict[str, str], log_path: Path, concurrency: int = 2, queues: tuple[str, ...] = QUEUES
    ) -> None:
        self.env = env
        self.log_path = log_path
        self.concurrency = concurrency
        self.queues = queues
        self.process: subprocess.Popen | None = None
        self.log_offset = 0

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "celery",
            "-A",
            self.app,
            "worker",
            "-Q",
            ",".join(self.queues),
            "-l",
            "info",
            "-c",
            str(self.concurrency),
            "-n",
            f"{self.name_prefix}-{os.getpid()}-{time.time_ns()}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]

    def log(self) -> str:
        """What this run of the worker logged (the file keeps earlier runs for post-mortems)."""
        if not self.log_path.exists():
            return ""
        with self.log_path.open("rb") as fh:
            fh.seek(self.log_offset)
            return fh.read().decode(errors="replace")

    def start(self, timeout: float = 60.0) -> WorkerProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.command(),
            cwd=REPO,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"celery worker exited early:\n{self.log()[-4000:]}")
            if " ready." in self.log():
                return self
            time.sleep(self.poll)
        raise RuntimeError(f"celery worker not ready after {timeout}s:\n{self.log()[-4000:]}")

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process, timeout=20)


@pytest.fixture(scope="session")
def page_server(eval_data) -> Iterator[PageServer]:
    with PageServer() as server:
        yield server


# German pages for the end-to-end article (zeit.de.zugverkehr.html), written for these tests.
GERMAN_CORPUS = {
    "Greta Thunberg": (
        "Greta Thunberg ist eine schwedische Klimaschutzaktivistin. Im Jahr 2019 segelte sie über den Atlantik "
        "zum UN-Klimagipfel in New York. Auf ihrer Rückreise durch Europa fuhr sie mit Zügen, unter anderem "
        "mit einem überfüllten ICE der Deutschen Bahn."
    ),
    "Nachtzug": (
        "Ein Nachtzug ist ein Reisezug, der überwiegend nachts verkehrt. Eine Zugreise von Madrid nach "
        "Stockholm dauert mit mehreren Umstiegen rund 36 Stunden. Viele Nachtzugverbindungen in Europa "
        "wurden in den vergangenen Jahren eingestellt."
    ),
    "Deutsche Bahn": (
        "Die Deutsche Bahn AG ist das größte Eisenbahnunternehmen in Deutschland. Sie betreibt den ICE und "
        "Verbindungen in die Nachbarländer. Die Bahn gilt als klimafreundliches Verkehrsmittel."
    ),
}


@pytest.fixture(scope="session")
def wiki_server() -> Iterator[mediawiki.MediaWikiServer]:
    server = mediawiki.start({**mediawiki.WIKI_CORPUS, **GERMAN_CORPUS})
    yield server
    server.stop()


def worker_env(*, extra: dict[str, str] | None = None) -> dict[str, str]:
    db = settings.DATABASES["default"]
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        REDIS_URL=settings.CELERY_BROKER_URL,
        FACTCHECK_FETCH_ALLOW_NETWORKS=ALLOW_NETWORK,
        PYTHONUNBUFFERED="1",
    )
    env.update(extra or {})
    return env


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker, page_server, wiki_server) -> Iterator[WorkerProcess]:
    """One real worker process for the session, consuming the pipeline's queues, pointed at the test
    database and at the loopback article site and MediaWiki stand-in."""
    purge_queues()
    env = worker_env(
        extra={
            "FACTCHECK_FETCH_ALLOW_PORTS": f"{page_server.port},{wiki_server.port}",
            "FACTCHECK_WIKIPEDIA_API": wiki_server.api_template,
            "FACTCHECK_PROVIDERS": "archive,wikipedia",
        }
    )
    # Not the webhooks queue: a transactional test that records a verdict publishes its webhook to this
    # broker even when it delivers it with a worker of its own (test_webhook_worker.py), and this worker,
    # which cannot reach that test's receiver, would take the attempt first.
    worker = WorkerProcess(env, ARTIFACTS / "celery-worker.log", queues=("ingest", "sources")).start()
    yield worker
    worker.stop()


def wait_for(predicate, *, timeout: float = 60.0, interval: float = 0.2, message: str = "condition"):
    """Poll until predicate() is truthy and return its value; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout}s waiting for {message}")
