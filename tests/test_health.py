"""GET /health/: 200 with database and broker up (workers reported, not required), 503 when either is down."""

from __future__ import annotations

import time
import uuid
from unittest import mock

import pytest
from django.db import OperationalError

from factcheck import observability
from factcheck.observability import HEARTBEAT_FRESH, record_heartbeat, redis_client


@pytest.fixture
def no_heartbeats(monkeypatch):
    """A heartbeat hash of this test's own, so that workers started by other tests do not count here."""
    key = f"{observability.HEARTBEATS}:test-{uuid.uuid4().hex}"
    monkeypatch.setattr(observability, "HEARTBEATS", key)
    yield
    redis_client().delete(key)


@pytest.mark.django_db
def test_health_is_200_with_workers_reported_but_not_required(anonymous_client, no_heartbeats):
    response = anonymous_client.get("/health/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"] == {"database": "ok", "broker": "ok"}
    assert body["workers"] == {"alive": 0, "last_seen_seconds_ago": None}
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db
def test_health_counts_only_workers_seen_recently(anonymous_client, no_heartbeats):
    record_heartbeat("ingest@a")
    record_heartbeat("sources@b")
    record_heartbeat("gone@c", now=time.time() - HEARTBEAT_FRESH - 5)
    workers = anonymous_client.get("/health/").json()["workers"]
    assert workers["alive"] == 2
    assert workers["last_seen_seconds_ago"] < 5


@pytest.mark.django_db
def test_health_is_503_when_the_broker_is_unreachable(anonymous_client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    started = time.monotonic()
    response = anonymous_client.get("/health/")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["broker"].startswith("error: ")
    assert body["workers"] is None
    assert time.monotonic() - started < 5  # a load balancer's probe must get an answer quickly


@pytest.mark.django_db
def test_health_is_503_when_the_database_is_unreachable(anonymous_client):
    with mock.patch("factcheck.health.connection") as connection:
        connection.cursor.side_effect = OperationalError("connection refused")
        response = anonymous_client.get("/health/")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "error: OperationalError", "broker": "ok"}
