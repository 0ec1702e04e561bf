"""Celery tasks: thin adapters that take ids, call a stage and publish the next step.

The wiring diagram of the pipeline:
    fetch_article_task ─► extract_article_task ─► gather_sources_task (one per claim) ─► article ready
    sweep_stale_articles_task (beat) ─► re-publishes whatever stage has not moved (lost message, dead worker)

Delivery is at-least-once (factcheck/celery.py): every stage is idempotent and counts its starts on the
row (Article.attempts, Claim.attempts), so a message that kills its worker every time ends as a failed
article or a `sources_failed` claim instead of looping. Transient fetch failures (timeouts, resets, 429,
5xx) retry with jittered exponential backoff, honouring Retry-After, never longer than the broker's
visibility timeout allows; when the retries run out the article fails with the last error's code.
"""

from __future__ import annotations

import logging

from celery import shared_task
from celery.signals import worker_init
from django.conf import settings
from django.db import InterfaceError, OperationalError

from checkworthiness.model import get_model
from claims import leases, messages, services, stages
from claims.models import Article, Claim
from encoder import get_encoder
from extraction.main_text import get_detector
from factcheck import queue
from factcheck.celery import app, max_retry_countdown
from factcheck.retry import backoff
from outbound.fetcher import FetchError

log = logging.getLogger(__name__)

# The longest a retry may wait: its message stays unacknowledged meanwhile (see factcheck/celery.py).
MAX_COUNTDOWN = max_retry_countdown(app.conf)

# A database that restarts or fails over (docs/reliability.md F7) is transient: the delivery is retried a few
# times with jittered backoff; past that the message is dropped and the sweeper re-publishes the stage.
RETRY_ON_DATABASE_ERRORS = {
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 1,
    "retry_backoff_max": int(MAX_COUNTDOWN),
    "retry_jitter": True,
    "max_retries": 3,
}


@worker_init.connect
def load_models(**_) -> None:
    """Load the language detector, the check-worthiness model and the text encoder once, in the worker's
    main process before it forks: every pool process then shares them instead of loading its own. The
    encoder is only loaded here, never used: its thread pool would not survive the fork (encoder/)."""
    get_detector()
    get_model()
    get_encoder()
    log.info("language detector, check-worthiness model and text encoder loaded")


def fetch_retry_delay(retries: int, *, retry_after: float | None = None) -> float:
    """Seconds before the next fetch attempt: factcheck.retry.backoff from 2 s, never longer than a
    message may stay unacknowledged."""
    return backoff(retries, base=2.0, cap=MAX_COUNTDOWN, retry_after=retry_after)


@shared_task(bind=True, **RETRY_ON_DATABASE_ERRORS)
def fetch_article_task(self, article_id: int) -> None:
    with leases.renewed(Article, article_id):
        try:
            proceed = stages.fetch_article(article_id=article_id)
        except FetchError as exc:  # only transient ones reach here
            if self.request.retries >= settings.FACTCHECK_FETCH_MAX_ATTEMPTS - 1:
                services.fail_article(article_id=article_id, code=exc.code, message=exc.message)
                return
            countdown = fetch_retry_delay(self.request.retries, retry_after=exc.retry_after)
            # The retry waits in the broker: the lease covers the wait, so the sweeper does not take it
            # for a dead worker's and publish the fetch early.
            leases.extend(Article, article_id, seconds=countdown + settings.FACTCHECK_LEASE_SECONDS)
            raise self.retry(exc=exc, countdown=countdown, max_retries=None) from exc
        if proceed:
            # Extract in the same delivery: one message and one queue wait fewer per article
            # (docs/benchmarks.md, P3). A crash from here on leaves the article in `extracting` with a
            # lease that runs out, and the sweeper re-publishes it as extract_article_task.
            extract_and_fan_out(article_id)


@shared_task(**RETRY_ON_DATABASE_ERRORS)
def extract_article_task(article_id: int) -> None:
    with leases.renewed(Article, article_id):
        extract_and_fan_out(article_id)


def extract_and_fan_out(article_id: int) -> None:
    for claim_id in stages.extract_article(article_id=article_id):
        queue.publish(messages.GATHER_SOURCES, claim_id)


@shared_task(**RETRY_ON_DATABASE_ERRORS)
def gather_sources_task(claim_id: int) -> None:
    with leases.renewed(Claim, claim_id):
        stages.gather_sources(claim_id=claim_id)


@shared_task
def sweep_stale_articles_task() -> dict[str, int]:
    return services.sweep_stale_articles()


@shared_task
def drop_expired_snapshot_bodies_task() -> int:
    return services.drop_expired_snapshot_bodies()
