"""F11 (RELIABILITY.md, docs/reliability.md): a worker SIGKILLed mid-stage with the DEFAULT settings has its
task running again within 3 minutes, and a task that is merely slow is not run twice.

No short limits here (unlike FAULT_SETTINGS): visibility timeout 3600 s, time limits 240/300 s, stale
after 900 s, sweep every 30 s, lease 60 s. Only the fetch's own timeouts are raised, so that the stand-in
origin can hold one fetch for longer than a lease and a sweep together.
"""

from __future__ import annotations

import time
import uuid

import pytest
from django.conf import settings

from claims.models import Article, ArticleStatus
from tests.conftest import worker_env
from tests.faults.conftest import (
    FaultWorker,
    assert_each_finished_once,
    submit,
    wait_all_finished,
    wait_until,
)

pytestmark = pytest.mark.slow

RECOVERY_BOUND = 180.0  # seconds, the promise
SLOW_FETCH = 100  # seconds: longer than a lease (60 s) plus a sweep interval (30 s)
KILLED_FETCH = 5  # seconds the origin holds the fetch that the kill interrupts (and its re-run)


@pytest.fixture
def default_env(transactional_db, article_site, private_redis):
    """A worker's environment with the service's defaults: nothing about recovery is tuned."""
    env = worker_env(
        extra={
            "REDIS_URL": private_redis.url,
            "FACTCHECK_FETCH_ALLOW_PORTS": str(article_site.port),
            "FACTCHECK_PROVIDERS": "archive",
            "FACTCHECK_FETCH_READ_TIMEOUT": str(SLOW_FETCH + 20),
            "FACTCHECK_FETCH_TOTAL_TIMEOUT": str(SLOW_FETCH + 30),
        }
    )
    for name in (
        "FACTCHECK_BROKER_VISIBILITY_TIMEOUT",
        "FACTCHECK_TASK_SOFT_TIME_LIMIT",
        "FACTCHECK_TASK_TIME_LIMIT",
        "FACTCHECK_STALE_AFTER_SECONDS",
        "FACTCHECK_SWEEP_INTERVAL",
        "FACTCHECK_LEASE_SECONDS",
    ):
        env.pop(name, None)
    return env


def held_url(site, seconds: int, label: str) -> tuple[str, str]:
    path = f"/hold/{seconds}/{label}-{uuid.uuid4().hex[:8]}"
    return path, site.base_url + path


def test_f11_a_killed_worker_s_fetch_runs_again_within_3_minutes_and_a_slow_one_runs_once(
    default_env, article_site, fault_settings, finished, reviewer_client
):
    started: list[FaultWorker] = []

    def worker(name: str, **kwargs) -> FaultWorker:
        started.append(FaultWorker(default_env, name, concurrency=1, **kwargs).start())
        return started[-1]

    try:
        # A worker with beat (the sweeper) that stays up, busy with a fetch the origin holds for 100 s.
        worker("f11-steady", beat=True)
        slow_path, slow_url = held_url(article_site, SLOW_FETCH, "f11-slow")
        slow_id = submit(reviewer_client, slow_url)
        wait_until(
            lambda: article_site.fetches(slow_path) == 1, timeout=60, message="the slow fetch to start"
        )

        # A second worker takes the next article; it is SIGKILLed (main and pool process) while fetching.
        doomed = worker("f11-doomed")
        lost_path, lost_url = held_url(article_site, KILLED_FETCH, "f11-lost")
        lost_id = submit(reviewer_client, lost_url)
        wait_until(lambda: article_site.fetches(lost_path) == 1, timeout=60, message="the fetch to be killed")
        doomed.kill()
        killed_at = time.monotonic()
        assert Article.objects.get(pk=lost_id).status == ArticleStatus.FETCHING

        # A replacement worker; the message the dead worker held stays unacknowledged in Redis for the
        # visibility timeout (an hour): only the lease brings the fetch back.
        worker("f11-replacement")
        wait_until(
            lambda: article_site.fetches(lost_path) == 2,
            timeout=RECOVERY_BOUND + 30,
            message="the killed fetch to run again",
            interval=0.5,
        )
        recovered_after = article_site.fetch_times(lost_path)[1] - killed_at
        print(f"F11: the killed fetch ran again {recovered_after:.0f} s after SIGKILL (default settings)")
        assert recovered_after <= RECOVERY_BOUND

        wait_all_finished([slow_id, lost_id], timeout=SLOW_FETCH + 120)
        assert_each_finished_once([slow_id, lost_id], finished)
        # The slow fetch outlived a lease and a sweep: its worker kept renewing the lease, so it ran once.
        assert article_site.fetches(slow_path) == 1
        assert article_site.fetches(lost_path) == 2
        assert settings.FACTCHECK_LEASE_SECONDS == 60 and settings.CELERY_BROKER_VISIBILITY_TIMEOUT == 3600
    finally:
        for process in started:
            process.stop()
