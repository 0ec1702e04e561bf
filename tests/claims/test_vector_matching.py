"""Claim matching across languages needs pgvector: its tests (tests/pgvector_cases/) run here against a
real embedded PostgreSQL 18 that has it, in a pytest process of their own; on the suite's own server the
state it reports (lexical only or vectors) is checked."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.core.management import call_command

from claims import vectors
from tests.support.pgvector import CASES_VARIABLE, embedded_pgvector
from tests.support.redisdb import CLAIM_KEY, OWNER, claim_private_db, release

REPO = Path(__file__).resolve().parents[2]
CASES = REPO / "tests" / "pgvector_cases"


def test_the_pgvector_cases_pass_on_a_server_with_pgvector():
    """Every test in tests/pgvector_cases passes against the embedded PostgreSQL 18 (none skipped)."""
    broker = claim_private_db(settings.CELERY_BROKER_URL)  # its workers must not meet this session's
    try:
        with embedded_pgvector() as url:
            env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": broker, CASES_VARIABLE: "1"}
            result = subprocess.run(
                [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(CASES)],
                cwd=REPO,
                env=env,
                capture_output=True,
                text=True,
                timeout=1800,
            )
    finally:
        redis.Redis.from_url(broker).set(CLAIM_KEY, OWNER)  # the child claimed it as its session's
        release(broker)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-8000:]
    summary = result.stdout.strip().splitlines()[-1]
    passed = re.search(r"(\d+) passed", summary)
    assert passed and int(passed.group(1)) >= 8, summary
    assert not re.search(r"skipped|failed|error|deselected", summary), summary


@pytest.mark.django_db
def test_the_database_check_and_health_say_whether_matching_uses_vectors(anonymous_client):
    """On a server without pgvector (CI's PostgreSQL 15): claims.W001 and "lexical only"; with it, neither."""
    lexical_only = not vectors.available()
    out, err = StringIO(), StringIO()
    call_command("check", "--database", "default", stdout=out, stderr=err)
    assert ("claims.W001" in out.getvalue() + err.getvalue()) == lexical_only
    body = anonymous_client.get("/health/").json()
    assert body["matching"] == ("lexical only" if lexical_only else "vectors")
    assert bool(body["warnings"]) == lexical_only
    plain = StringIO()
    call_command("check", stdout=plain)  # a database check: the static `check` never queries
    assert "claims.W001" not in plain.getvalue()
