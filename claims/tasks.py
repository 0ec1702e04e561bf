"""Celery tasks: thin adapters that take ids, call a stage and publish the next step.

The wiring diagram of the pipeline:
    fetch_article_task ─► extract_article_task ─► gather_sources_task (one per claim) ─► article ready
Transient failures (timeouts, resets, 429, 5xx) retry with exponential backoff and jitter, honouring
Retry-After; when the attempts run out the article is failed with the last error's code.
"""

from __future__ import annotations

import random

from celery import shared_task

from claims import queue, services, stages
from claims.fetcher import FetchError

MAX_FETCH_RETRIES = 4


def backoff(retries: int, *, retry_after: float | None = None, base: float = 2.0, cap: float = 300.0) -> float:
    """Seconds to wait before retry number `retries + 1`: full-jitter exponential, at least Retry-After."""
    delay = random.uniform(0, min(cap, base * 2**retries))
    if retry_after is not None:
        delay = max(delay, min(retry_after, cap))
    return delay


@shared_task(bind=True, max_retries=MAX_FETCH_RETRIES)
def fetch_article_task(self, article_id: int) -> None:
    try:
        proceed = stages.fetch_article(article_id=article_id)
    except FetchError as exc:  # only transient ones reach here
        if self.request.retries >= self.max_retries:
            services.fail_article(article_id=article_id, code=exc.code, message=exc.message)
            return
        raise self.retry(exc=exc, countdown=backoff(self.request.retries, retry_after=exc.retry_after)) from exc
    if proceed:
        queue.publish(queue.EXTRACT_ARTICLE, article_id)


@shared_task
def extract_article_task(article_id: int) -> None:
    for claim_id in stages.extract_article(article_id=article_id):
        queue.publish(queue.GATHER_SOURCES, claim_id)


@shared_task
def gather_sources_task(claim_id: int) -> None:
    stages.gather_sources(claim_id=claim_id)


@shared_task
def sweep_stale_articles_task() -> dict[str, int]:
    return services.sweep_stale_articles()
