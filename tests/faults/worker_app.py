"""The Celery app that fault-test workers run (`celery -A tests.faults.worker_app worker`).

It is the production app (factcheck.celery) with two test-only additions, loaded in the worker's main
process before it forks its pool:

- every `article_finished` signal inserts a row into the `faults_finished` table inside the sender's
  transaction, so a test can count exactly how often each article finished (it must be once);
- fetching a URL containing `/poison/` kills the pool process that fetches it, as a segfault or the
  kernel's OOM killer would, so that a test can watch a poison message being bounded by its attempts;
- a small en/de/fr language detector (quick to build) is built up front instead of the full one, which
  takes many seconds of CPU per process on first use and would not fit the fault tests' short time limits.
"""

from __future__ import annotations

import os
import signal

from celery.signals import worker_init, worker_process_init
from django.db import connection
from lingua import Language, LanguageDetectorBuilder

from claims.signals import article_finished
from extraction import main_text as extraction
from factcheck.celery import app

__all__ = ["app"]

FINISHED_TABLE = "faults_finished"


def record_finish(sender, *, article_id: int, status: str, **kwargs) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {FINISHED_TABLE} (article_id, status) VALUES (%s, %s)", [article_id, status]
        )


def build_small_detector():
    return (
        LanguageDetectorBuilder.from_languages(Language.ENGLISH, Language.GERMAN, Language.FRENCH)
        .with_preloaded_language_models()
        .with_low_accuracy_mode()
        .build()
    )


POISON_MARKER = "/poison/"


@worker_process_init.connect
def poison_fetches(**kwargs) -> None:
    # Imported here: the stages need Django's app registry, which is ready in the pool processes only.
    from claims import stages

    real_fetch = stages.fetch

    def fetch_or_die(url: str, **options):
        if POISON_MARKER in url:
            os.kill(os.getpid(), signal.SIGKILL)
        return real_fetch(url, **options)

    stages.fetch = fetch_or_die


@worker_init.connect
def prepare_worker(**kwargs) -> None:
    """In the worker's main process only (importing this module must not change the test process),
    before the pool forks, so that the pool processes inherit both."""
    article_finished.connect(record_finish, dispatch_uid="tests.faults.record_finish")
    extraction._detector = build_small_detector()
