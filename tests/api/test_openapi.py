"""The OpenAPI schema is trustworthy: it validates, and schemathesis fuzzing a live server (gunicorn on
loopback, against the test database) with each role's token finds no 5xx and no answer the schema does not
describe (issue 16, "Done when")."""

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
from reviewers.roles import CONSUMERS, INTEGRATIONS, LEADS, REVIEWERS
from reviewers.services import record_verdict
from reviewers.tokens import ApiToken
from tests.conftest import ARTIFACTS, make_user, worker_env
from tests.factories import make_claim, make_source
from tests.support.redisdb import claim_private_db, release

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# Cases per operation and phase, for each role: a fixed amount of work, not a time budget (runtime
# measured in docs/reliability.md); raise it for a deeper run.
FUZZ_EXAMPLES = int(os.environ.get("FACTCHECK_SCHEMATHESIS_EXAMPLES", "20"))
FUZZ_TIMEOUT = int(os.environ.get("FACTCHECK_SCHEMATHESIS_TIMEOUT", "600"))
# Every role of reviewers/roles.py, a superuser, and a staff account without a role (which gets nothing).
ROLES = [CONSUMERS, REVIEWERS, LEADS, INTEGRATIONS, "superuser", "staff-without-role"]


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
def live_server_url(transactional_db) -> Iterator[tuple[str, str, dict[str, str]]]:
    """gunicorn serving the test database with production-like settings (DEBUG off), and a token per role
    (`tokens`; the superuser's is yielded alone for tests that need any valid token)."""
    tokens = {}
    for role in ROLES:
        if role == "superuser":
            user = User.objects.create_superuser("fuzz-superuser", password="pw")
        else:
            user = make_user(f"fuzz-{role}", *([] if role == "staff-without-role" else [role]), staff=True)
        tokens[role] = ApiToken.issue(user).key
    claim = make_claim()
    make_source(claim)
    lead = User.objects.get(username=f"fuzz-{LEADS}")
    record_verdict(claim=claim, reviewer=lead, label="verified", rationale="Seed data.")
    publishing.create_subscription(url="https://hooks.example.org/fc", events=["verdict.created"])
    token = tokens["superuser"]

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
        yield url, token, tokens
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=20)
        release(broker)


@pytest.mark.slow
# A fixed amount of work (FUZZ_EXAMPLES per operation, six roles), ~200 s on an idle 2-core machine and over
# the suite's 300 s default when other jobs load it (docs/reliability.md): the limit here catches a hang, not
# slowness; each role's run has its own FUZZ_TIMEOUT too.
@pytest.mark.timeout(1200)
def test_schemathesis_finds_no_server_errors_and_no_schema_violations_with_any_roles_token(live_server_url):
    """The whole schema, once per role (a consumer's writes are 403s the schema must describe, a lead's
    go through): no 5xx, no undocumented status, body or content type. Writes change the seeded data as
    they go; every role after the first meets what the earlier ones left."""
    url, _, tokens = live_server_url
    timings, failed = {}, []
    for role in ROLES:
        started = time.monotonic()
        result = run_schemathesis(url, tokens[role])
        timings[role] = round(time.monotonic() - started, 1)
        (ARTIFACTS / f"schemathesis-{role}.txt").write_text(result.stdout + result.stderr)
        if result.returncode != 0 or "generated" not in result.stdout or " passed" not in result.stdout:
            failed.append(f"role {role}:\n" + result.stdout[-15000:] + result.stderr[-3000:])
    (ARTIFACTS / "schemathesis-timings.json").write_text(json.dumps(timings))
    assert not failed, "\n\n".join(failed)


def run_schemathesis(url: str, token: str) -> subprocess.CompletedProcess:
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
        "--max-examples",
        str(FUZZ_EXAMPLES),
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
    return subprocess.run(command, cwd=ARTIFACTS, capture_output=True, text=True, timeout=FUZZ_TIMEOUT)


def test_an_over_long_url_gets_the_documented_414(live_server_url):
    """gunicorn answers a request line over its limit itself; the schema documents that answer, so a
    client (and schemathesis) can expect it. Found by schemathesis with a long filter list."""
    url, token, _ = live_server_url
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
