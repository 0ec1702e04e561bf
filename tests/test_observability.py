"""Structured logs carry the article and claim ids through web and workers; /metrics shows queue depth,
article counts and stage timings to staff and to the scraper token only."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os

import pytest
import redis
from celery import current_app
from django.conf import settings
from kombu import Connection

from claims import messages
from claims.models import ArticleStatus
from claims.tasks import fetch_article_task
from factcheck import logging as log_context
from factcheck.logging import ContextFilter, JsonFormatter
from factcheck.observability import HEARTBEATS, TASK_RUNS, TASK_SECONDS, redis_client, workers_seen
from reviewers.roles import INTEGRATIONS
from tests.conftest import (
    ARTIFACTS,
    QUEUES,
    WorkerProcess,
    client_for,
    make_user,
    wait_for,
    worker_env,
)
from tests.factories import make_article
from tests.support.redisdb import claim_private_db, release


@pytest.fixture
def json_lines():
    """Everything logged at INFO and above, through the project's JSON formatter and context filter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def test_a_log_line_is_one_json_object_with_the_bound_ids_and_extras(json_lines):
    token = log_context.bind(article_id=7, claim_id=None)
    try:
        logging.getLogger("claims.test").warning('quote " and\nnewline', extra={"attempt": 2})
    finally:
        log_context.reset(token)
    logging.getLogger("claims.test").warning("after")
    first, after = json_lines()
    assert first["message"] == 'quote " and\nnewline'
    assert first["article_id"] == 7 and first["attempt"] == 2 and first["level"] == "WARNING"
    assert "claim_id" not in first
    assert "article_id" not in after


@pytest.mark.django_db
def test_a_stage_run_as_a_task_logs_with_its_article_id(json_lines, page_server, allow_loopback_servers):
    article = make_article(url=page_server.url("no-such-page.html"), status=ArticleStatus.QUEUED)
    fetch_article_task.apply(args=[article.pk])
    logging.getLogger("claims.test").info("outside any task")
    lines = json_lines()
    article.refresh_from_db()
    assert article.status == ArticleStatus.FAILED  # the stage ran: a 404 fails the article
    inside = [line for line in lines if line.get("task") == "claims.tasks.fetch_article_task"]
    assert inside, lines
    assert all(line["article_id"] == article.pk for line in inside)
    assert "succeeded" in inside[-1]["message"]
    assert "article_id" not in lines[-1]  # the context ends with the task


@pytest.mark.django_db
def test_an_api_write_logs_its_request_id_and_the_new_article_id(json_lines, reviewer_client):
    response = reviewer_client.post(
        "/api/v1/articles/",
        {"url": "https://news.example/story"},
        format="json",
        HTTP_X_REQUEST_ID="req-abcdef123",
    )
    assert response.status_code == 202
    assert response["X-Request-ID"] == "req-abcdef123"
    written = [line for line in json_lines() if line["logger"] == "factcheck.request"]
    assert len(written) == 1
    assert written[0]["request_id"] == "req-abcdef123"
    assert written[0]["article_id"] == response.json()["id"]
    assert written[0]["status"] == 202
    # An id that does not look like one is replaced, so that log lines cannot be forged through it.
    forged = reviewer_client.get("/api/v1/articles/", HTTP_X_REQUEST_ID='x" \n{"level": "ERROR"}')
    assert forged["X-Request-ID"] != 'x" \n{"level": "ERROR"}' and len(forged["X-Request-ID"]) == 32


def runs(client: redis.Redis, task: str) -> int:
    return sum(int(v) for k, v in client.hgetall(TASK_RUNS).items() if k.decode().startswith(task + "|"))


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_logs_json_with_ids_records_stage_timings_and_heartbeats(
    page_server, allow_loopback_servers
):
    # A database of its own: the session worker, consuming the queues of the tests' database, would take
    # some of these tasks.
    url = claim_private_db(settings.CELERY_BROKER_URL)
    broker = redis.Redis.from_url(url)
    log_path = ARTIFACTS / f"observability-worker-{os.getpid()}.log"
    log_path.unlink(missing_ok=True)
    env = worker_env(
        extra={
            "REDIS_URL": url,
            "LOG_FORMAT": "json",
            "FACTCHECK_FETCH_ALLOW_PORTS": str(page_server.port),
            "FACTCHECK_PROVIDERS": "archive",
        }
    )
    article = make_article(url=page_server.url("zeit.de.zugverkehr.html"), status=ArticleStatus.QUEUED)
    worker = WorkerProcess(env, log_path, concurrency=1).start()
    try:
        mine = [
            name.decode()
            for name in broker.hgetall(HEARTBEATS)
            if name.decode().startswith(f"test-{os.getpid()}-")
        ]
        assert mine and workers_seen(broker)["alive"] >= 1
        # Published the way the API does it while handling a request: the request id rides along.
        token = log_context.bind(request_id="req-worker-1234")
        try:
            with Connection(url) as connection:
                current_app.send_task(messages.FETCH_ARTICLE, args=[article.pk], connection=connection)
        finally:
            log_context.reset(token)

        def done():
            article.refresh_from_db()
            return article.status in (ArticleStatus.READY, ArticleStatus.FAILED)

        wait_for(done, timeout=90, message="the article to finish")
        assert article.status == ArticleStatus.READY
    finally:
        worker.stop()
        try:
            records = [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]
            sourced = runs(broker, "claims.tasks.gather_sources_task")
            fetch_seconds = float(broker.hget(TASK_SECONDS, "claims.tasks.fetch_article_task") or 0)
            beats_left = {name.decode() for name in broker.hgetall(HEARTBEATS)}
        finally:
            keys = [*QUEUES, "unacked", "unacked_index", TASK_RUNS, TASK_SECONDS, HEARTBEATS]
            broker.delete(*keys, *broker.scan_iter("_kombu.binding.*"))
            release(url)

    about = [r for r in records if r.get("article_id") == article.pk]
    tasks = {r.get("task") for r in about}
    # extraction runs inside the fetch task's delivery (claims/tasks.py), so it logs under that task
    assert "claims.tasks.fetch_article_task" in tasks, records[-20:]
    assert "claims.tasks.gather_sources_task" in tasks  # claim tasks inherit the article id
    assert all(r.get("claim_id") for r in about if r.get("task") == "claims.tasks.gather_sources_task")
    assert {r.get("request_id") for r in about} == {"req-worker-1234"}
    assert sourced == article.claims.count() > 0  # stage timings: one run per claim
    assert fetch_seconds > 0
    assert not set(mine) & beats_left  # a worker that stops cleanly takes its heartbeat with it


# --- /metrics -----------------------------------------------------------------------------------------
@pytest.fixture
def metrics_queue(settings):
    """A queue of its own, so that a worker of another test never consumes the messages counted here."""
    name = f"metrics-test-{os.getpid()}"
    settings.CELERY_TASK_QUEUES = {**settings.CELERY_TASK_QUEUES, name: {"routing_key": name}}
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete(name)
    yield name, client
    client.delete(name)


@pytest.mark.django_db
def test_metrics_require_the_integrations_role_or_the_metrics_token(settings, consumer, reviewer):
    """Issue 16: staff status alone (a staff user without a role, a staff reviewer) reads no metrics."""
    settings.FACTCHECK_METRICS_TOKEN = "scrape-" + "x" * 40
    operator = make_user("operator", INTEGRATIONS)
    assert client_for(None).get("/metrics").status_code == 401
    assert client_for(consumer).get("/metrics").status_code == 403
    assert client_for(make_user("staff-only", staff=True)).get("/metrics").status_code == 403
    assert client_for(reviewer).get("/metrics").status_code == 403
    assert client_for(operator).get("/metrics").status_code == 200
    anonymous = client_for(None)
    assert anonymous.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    ok = anonymous.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {settings.FACTCHECK_METRICS_TOKEN}")
    assert ok.status_code == 200
    assert ok["Content-Type"].startswith("text/plain; version=0.0.4")
    settings.FACTCHECK_METRICS_TOKEN = ""  # no token configured: bearer credentials open nothing
    assert anonymous.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 401


@pytest.mark.django_db
def test_the_metrics_token_may_be_configured_as_its_digest(settings):
    """Issue 16.8: the server's environment need not hold the scraper's token, only its SHA-256."""
    token = "scrape-" + "y" * 40
    settings.FACTCHECK_METRICS_TOKEN = "sha256:" + hashlib.sha256(token.encode()).hexdigest().upper()
    anonymous = client_for(None)
    assert anonymous.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    digest_itself = settings.FACTCHECK_METRICS_TOKEN
    for wrong in (token + "z", digest_itself, digest_itself.removeprefix("sha256:")):
        assert anonymous.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {wrong}").status_code == 401


@pytest.mark.django_db
def test_metrics_expose_queue_depth_article_counts_and_stage_timings(metrics_queue):
    name, client = metrics_queue
    client.lpush(name, "a", "b", "c")
    for status in (ArticleStatus.QUEUED, ArticleStatus.QUEUED, ArticleStatus.FAILED):
        make_article(status=status)
    redis_client().hincrbyfloat(TASK_SECONDS, "tests.metrics_probe_task", 0.5)
    redis_client().hincrby(TASK_RUNS, "tests.metrics_probe_task|SUCCESS", 2)
    try:
        text = client_for(make_user("operator", INTEGRATIONS)).get("/metrics").content.decode()
    finally:
        redis_client().hdel(TASK_SECONDS, "tests.metrics_probe_task")
        redis_client().hdel(TASK_RUNS, "tests.metrics_probe_task|SUCCESS")
    samples = dict(line.rsplit(" ", 1) for line in text.splitlines() if line and not line.startswith("#"))
    assert samples[f'factcheck_queue_depth{{queue="{name}"}}'] == "3"
    assert all(f'factcheck_queue_depth{{queue="{q}"}}' in samples for q in QUEUES)
    assert samples['factcheck_articles{status="queued"}'] == "2"
    assert samples['factcheck_articles{status="failed"}'] == "1"
    assert samples['factcheck_articles{status="ready"}'] == "0"
    assert samples['factcheck_task_runs_total{task="tests.metrics_probe_task",state="SUCCESS"}'] == "2"
    assert samples['factcheck_task_duration_seconds_sum{task="tests.metrics_probe_task"}'] == "0.5"
    assert samples['factcheck_task_duration_seconds_count{task="tests.metrics_probe_task"}'] == "2"
    assert samples["factcheck_verdicts_total"] == "0"
    assert samples["factcheck_broker_up"] == "1"
