"""Redis failing under the pipeline, and what must never reach it (RELIABILITY.md F5, F6, F8).

Each test has a Redis server of its own (never the machine's shared one), kills it by pid and starts it
again empty on the same port, as a Redis without persistence comes back after a crash.
"""

from __future__ import annotations

import json
import time
import uuid

import pytest
from celery import current_app
from django.db import transaction

from claims import messages, services
from claims.models import Article, ArticleStatus
from tests.conftest import QUEUES
from tests.faults.conftest import (
    assert_each_finished_once,
    submit,
    wait_all_finished,
    wait_until,
)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def url(site, kind: str, label: str) -> tuple[str, str]:
    path = f"/{kind}/{label}-{uuid.uuid4().hex[:8]}"
    return path, site.base_url + path


def messages_waiting(client) -> list[str]:
    """Task names of the messages in the pipeline queues (kombu keeps one Redis list per queue and priority step)."""
    return [
        json.loads(raw)["headers"]["task"]
        for name in QUEUES
        for key in client.scan_iter(f"{name}*")
        for raw in client.lrange(key, 0, -1)
    ]


def test_f5_redis_killed_with_work_queued_and_restarted_empty_loses_nothing(
    private_redis, workers, article_site, fault_settings, finished, reviewer_client
):
    worker = workers("f5", concurrency=2, beat=True)  # beat runs the sweeper every second
    pages = [url(article_site, "slow", f"f5-{n}") for n in range(4)]
    ids = [submit(reviewer_client, page_url) for _, page_url in pages]
    wait_until(
        lambda: sum(article_site.fetches(path) for path, _ in pages) == 2,
        timeout=20,
        message="two fetches in flight (prefetch 1, two pool processes)",
    )
    waiting = messages_waiting(private_redis.client())
    # Two fetches wait behind the two in flight. Under load the one-second sweeper may already have
    # re-published a queued article (at-least-once: the task is idempotent), so there can be more.
    assert waiting.count("claims.tasks.fetch_article_task") >= 2, waiting

    private_redis.kill()
    private_redis.start()  # same port, nothing in it: queued and unacknowledged messages are gone
    assert messages_waiting(private_redis.client()) == []

    wait_all_finished(ids, timeout=60)
    assert_each_finished_once(ids, finished)
    assert worker.process.poll() is None, "the worker reconnects on its own, no restart"
    assert "sweep_stale_articles_task" in worker.log()


def test_f6_submissions_while_redis_is_down_answer_at_once_and_run_when_it_is_back(
    private_redis, workers, article_site, fault_settings, finished, reviewer_client
):
    worker = workers("f6", concurrency=2, beat=True)
    private_redis.kill()

    ids = []
    for n in range(3):
        started = time.monotonic()
        ids.append(submit(reviewer_client, url(article_site, "fast", f"f6-{n}")[1]))
        assert time.monotonic() - started < 3.0, "a submission must not wait for the broker"
    assert list(Article.objects.filter(pk__in=ids).values_list("status", flat=True)) == ["queued"] * 3

    private_redis.start()
    wait_all_finished(ids, timeout=60)
    assert_each_finished_once(ids, finished)
    assert worker.process.poll() is None


def test_f8_a_rolled_back_submission_publishes_nothing_to_the_broker(private_redis, fault_settings):
    client = private_redis.client()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.submit_article(url="https://news.example.com/rolled-back")
        raise RuntimeError("the caller's transaction fails after the submission")
    assert not Article.objects.exists()
    assert messages_waiting(client) == []

    # The same call committed publishes exactly one message, so the check above can fail.
    article, created = services.submit_article(url="https://news.example.com/committed")
    assert created
    assert messages_waiting(client) == ["claims.tasks.fetch_article_task"]


def test_f8_tasks_for_deleted_rows_exit_cleanly_in_a_real_worker(workers, fault_settings, finished):
    article = Article.objects.create(url="https://news.example.com/gone", canonical_url="gone")
    article_id = article.pk
    article.delete()
    sent = [
        current_app.send_task(messages.FETCH_ARTICLE, args=[article_id]),
        current_app.send_task(messages.EXTRACT_ARTICLE, args=[article_id]),
        current_app.send_task(messages.GATHER_SOURCES, args=[987654321]),
    ]
    worker = workers("f8-deleted", concurrency=1)

    def all_succeeded() -> bool:
        log = worker.log()
        return all(f"[{result.id}] succeeded" in log for result in sent)

    wait_until(all_succeeded, timeout=30, message="the three tasks to succeed")
    log = worker.log()
    assert "Traceback" not in log and " ERROR " not in log, log[-3000:]
    assert finished.counts() == {}
    assert not Article.objects.filter(status=ArticleStatus.FAILED).exists()
