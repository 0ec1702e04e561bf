"""The OpenAPI schema is trustworthy: it validates, and schemathesis fuzzing a live server (gunicorn on
loopback, against the test database) finds no 5xx and no answer the schema does not describe."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command

from publishing import services as publishing
from reviewers.roles import REVIEWERS
from reviewers.services import record_verdict
from reviewers.tokens import ApiToken
from tests.conftest import ARTIFACTS, make_user, worker_env
from tests.factories import make_claim, make_source
from tests.support.redisdb import claim_private_db, release

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
FUZZ_SECONDS = int(os.environ.get("FACTCHECK_SCHEMATHESIS_SECONDS", "30"))


def test_the_schema_validates_without_warnings(db, tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    schema = (tmp_path / "schema.yml").read_text()
    for path in ("/api/v1/verdicts/", "/api/v1/claimreviews/", "/api/v1/webhooks/{id}/rotate-secret/"):
        assert f"  {path}:" in schema


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def live_server_url(transactional_db) -> Iterator[tuple[str, str]]:
    """gunicorn serving the test database with production-like settings (DEBUG off), and a staff token."""
    user = make_user("fuzzer", REVIEWERS, staff=True)
    User.objects.filter(pk=user.pk).update(is_superuser=True)
    claim = make_claim()
    make_source(claim)
    record_verdict(claim=claim, reviewer=user, label="verified", rationale="Seed data.")
    publishing.create_subscription(url="https://hooks.example.org/fc", events=["verdict.created"])
    token = ApiToken.issue(user).key

    port = free_port()
    # A Redis database of its own: messages published by fuzzed writes reach no worker, throttling
    # counters stay apart, and the database is dropped afterwards.
    broker = claim_private_db(settings.CELERY_BROKER_URL)
    env = worker_env(extra={"REDIS_URL": broker, "DEBUG": "0", "FACTCHECK_THROTTLE_USER": "1000000/min"})
    ARTIFACTS.mkdir(exist_ok=True)
    log = (ARTIFACTS / "gunicorn-openapi.log").open("ab")
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "factcheck.wsgi", "-b", f"127.0.0.1:{port}", "-w", "2", "--timeout", "30"],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health/", timeout=2):
                    break
            except urllib.error.HTTPError:
                break  # answering (503 = broker state), so serving
            except OSError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)
        yield url, token
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=20)
        release(broker)


@pytest.mark.slow
def test_schemathesis_finds_no_server_errors_and_no_schema_violations(live_server_url):
    url, token = live_server_url
    command = [
        str(BIN / "schemathesis"),
        "run",
        f"{url}/api/v1/schema/?format=json",
        "--url",
        url,
        "--header",
        f"Authorization: Token {token}",
        "--checks",
        "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance",
        "--phases",
        "examples,coverage,fuzzing",
        "--max-time",
        str(FUZZ_SECONDS),
        # One worker: CPython 3.11.7's ast.parse is not thread-safe ("AST constructor recursion depth
        # mismatch"), and hypothesis parses lambda sources while schemathesis generates cases.
        "--workers",
        "1",
        "--request-timeout",
        "20",
        "--seed",
        "20260101",
        # Submitting articles would make the pipeline fetch generated URLs; its validation is tested directly.
        "--exclude-by",
        'method == "POST" and path == "/api/v1/articles/"',
    ]
    # Run from test-artifacts/ so its .schemathesis/ cache stays out of the work tree.
    result = subprocess.run(
        command, cwd=ARTIFACTS, capture_output=True, text=True, timeout=FUZZ_SECONDS + 120
    )
    report = result.stdout[-20000:] + result.stderr[-5000:]
    (ARTIFACTS / "schemathesis.txt").write_text(result.stdout + result.stderr)
    assert result.returncode == 0, report
    assert "generated" in result.stdout and " passed" in result.stdout, report


def test_an_over_long_url_gets_the_documented_414(live_server_url):
    """gunicorn answers a request line over its limit itself; the schema documents that answer, so a
    client (and schemathesis) can expect it. Found by schemathesis with a long filter list."""
    url, token = live_server_url
    request = urllib.request.Request(
        f"{url}/api/v1/verdicts/?label=" + "x" * 5000, headers={"Authorization": f"Token {token}"}
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 414
    schema = urllib.request.urlopen(
        urllib.request.Request(
            f"{url}/api/v1/schema/?format=json", headers={"Authorization": f"Token {token}"}
        ),
        timeout=10,
    )
    operation = json.loads(schema.read())["paths"]["/api/v1/verdicts/"]["get"]
    assert "414" in operation["responses"]
