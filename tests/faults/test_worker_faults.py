"""Workers dying, being deployed over, and delivering a task twice (RELIABILITY.md F1, F2, F3, C3).

Every test submits through the API or publishes real messages to a private Redis, lets real worker
processes run the pipeline against the test database, kills something by its pid, and then asserts the
end state: every accepted article ready and finished exactly once, no duplicate rows.
"""

from __future__ import annotations

import os
import signal
import uuid

import pytest
from celery import current_app

from claims import messages, stages
from claims.models import Article, ArticleStatus, Claim
from tests.faults.conftest import (
    CLAIMS_PER_ARTICLE,
    assert_each_finished_once,
    pids_connected_to,
    submit,
    wait_all_finished,
    wait_until,
)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def slow_url(site, label: str) -> tuple[str, str]:
    path = f"/slow/{label}-{uuid.uuid4().hex[:8]}"
    return path, site.base_url + path


def test_f1_a_pool_process_killed_mid_task_reruns_it_and_the_article_finishes_once(
    workers, article_site, fault_settings, finished, reviewer_client
):
    worker = workers(concurrency=2)
    path, url = slow_url(article_site, "f1")
    article_id = submit(reviewer_client, url)

    wait_until(lambda: article_site.fetches(path) == 1, timeout=20, message="the fetch to be in flight")
    victims = wait_until(
        lambda: pids_connected_to(article_site.port, worker.children()),
        timeout=5,
        message="the pool process that is fetching",
    )
    assert len(victims) == 1
    os.kill(victims[0], signal.SIGKILL)

    wait_all_finished([article_id], timeout=60)
    assert_each_finished_once([article_id], finished)
    # The killed run and the re-delivered one (reject_on_worker_lost + acks_late), nothing more.
    assert article_site.fetches(path) == 2
    assert "WorkerLostError" in worker.log()
    assert worker.process.poll() is None, "the worker itself must survive the loss of a pool process"


def test_f2_the_whole_worker_killed_and_restarted_completes_all_work(
    workers, article_site, fault_settings, finished, reviewer_client
):
    first = workers("f2-first", concurrency=2)
    in_flight = [slow_url(article_site, f"f2-{n}") for n in range(2)]
    ids = [submit(reviewer_client, url) for _, url in in_flight]
    wait_until(
        lambda: all(article_site.fetches(path) == 1 for path, _ in in_flight),
        timeout=20,
        message="both fetches to be in flight",
    )
    # Prefetch 1: this one waits in Redis, not inside the worker that is about to die.
    ids.append(submit(reviewer_client, slow_url(article_site, "f2-queued")[1]))
    first.kill()
    assert Article.objects.filter(pk__in=ids, status=ArticleStatus.READY).count() == 0

    # No sweeper here: the broker itself hands the unacknowledged messages out again once the
    # visibility timeout (12 s in the fault settings) has passed.
    workers("f2-second", concurrency=2)
    wait_all_finished(ids, timeout=90)
    assert_each_finished_once(ids, finished)
    assert all(article_site.fetches(path) == 2 for path, _ in in_flight)


def test_f3_sigterm_lets_the_running_task_finish_and_the_rest_waits_in_the_queue(
    workers, article_site, fault_settings, finished, reviewer_client
):
    worker = workers("f3-deploy", concurrency=1)
    path, url = slow_url(article_site, "f3")
    article_id = submit(reviewer_client, url)
    wait_until(lambda: article_site.fetches(path) == 1, timeout=20, message="the fetch to be in flight")

    assert worker.terminate(timeout=30) == 0
    # Warm shutdown: the fetch (and the extraction in the same delivery) that was running finished and
    # published the claims' source searches before exit; those wait in the queue.
    article = Article.objects.get(pk=article_id)
    assert article.status == ArticleStatus.SOURCING
    assert "fetch_article_task[" in worker.log() and "succeeded" in worker.log()

    workers("f3-after-deploy", concurrency=1)
    wait_all_finished([article_id], timeout=60)
    assert_each_finished_once([article_id], finished)
    assert article_site.fetches(path) == 1


def test_c3_every_stage_delivered_twice_in_parallel_ends_as_if_delivered_once(
    workers, article_site, fault_settings, finished, small_detector
):
    """The same fetch, extract and gather messages published twice while two pool processes consume."""
    fetch_path, fetch_url = slow_url(article_site, "c3-fetch")
    twice_fetched = Article.objects.create(url=fetch_url, canonical_url=fetch_url)

    extract_url = article_site.base_url + f"/fast/c3-extract-{uuid.uuid4().hex[:8]}"
    twice_extracted = Article.objects.create(url=extract_url, canonical_url=extract_url)
    assert stages.fetch_article(article_id=twice_extracted.pk)

    gather_url = article_site.base_url + f"/fast/c3-gather-{uuid.uuid4().hex[:8]}"
    twice_gathered = Article.objects.create(url=gather_url, canonical_url=gather_url)
    assert stages.fetch_article(article_id=twice_gathered.pk)
    claim_ids = stages.extract_article(article_id=twice_gathered.pk)
    assert len(claim_ids) == CLAIMS_PER_ARTICLE

    # Copies next to each other in the queue, so that the two pool processes take them at the same time.
    deliveries = [(messages.FETCH_ARTICLE, twice_fetched.pk), (messages.EXTRACT_ARTICLE, twice_extracted.pk)]
    deliveries += [(messages.GATHER_SOURCES, claim_id) for claim_id in claim_ids]
    for name, row_id in deliveries:
        for _ in range(2):
            current_app.send_task(name, args=[row_id])
    workers("c3", concurrency=2)

    ids = [twice_fetched.pk, twice_extracted.pk, twice_gathered.pk]
    wait_all_finished(ids, timeout=60)
    assert_each_finished_once(ids, finished)
    assert article_site.fetches(fetch_path) == 2  # both deliveries really ran the slow stage
    assert Claim.objects.filter(article_id__in=ids).count() == 3 * CLAIMS_PER_ARTICLE
