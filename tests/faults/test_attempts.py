"""A poison message cannot loop forever, and the sweeper leaves nothing stuck (items 1 and 2 of the issue).

Every stage counts the deliveries that started it on its row (Article.attempts per stage, Claim.attempts)
and gives up at FACTCHECK_MAX_PIPELINE_ATTEMPTS; the sweeper re-publishes stale work without counting
(a message the broker lost never ran) and fails what is stale at the limit.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from claims import services, stages
from claims.models import Article, ArticleStatus, Claim, ClaimStatus
from tests.factories import make_article, make_claim
from tests.faults.conftest import submit, wait_all_finished

LIMIT = 5


@pytest.fixture
def limit(settings):
    settings.FACTCHECK_MAX_PIPELINE_ATTEMPTS = LIMIT
    return LIMIT


def stale(article: Article, seconds: int = 3600) -> Article:
    Article.objects.filter(pk=article.pk).update(
        status_changed_at=timezone.now() - timedelta(seconds=seconds)
    )
    return article


@pytest.mark.django_db
def test_a_fetch_delivered_after_its_last_attempt_fails_the_article(limit, finished):
    article = make_article(status=ArticleStatus.FETCHING, attempts=LIMIT, text="")
    assert stages.fetch_article(article_id=article.pk) is False
    article.refresh_from_db()
    assert (article.status, article.error_code) == (ArticleStatus.FAILED, "too_many_attempts")
    assert finished.counts() == {article.pk: ["failed"]}


@pytest.mark.django_db
def test_an_extraction_delivered_after_its_last_attempt_fails_the_article(limit, finished):
    article = make_article(status=ArticleStatus.EXTRACTING, attempts=LIMIT, text="")
    assert stages.extract_article(article_id=article.pk) == []
    article.refresh_from_db()
    assert (article.status, article.error_code) == (ArticleStatus.FAILED, "too_many_attempts")
    assert "extracting stage did not finish after 5 attempts" in article.error_message


@pytest.mark.django_db
def test_each_extraction_start_counts_and_a_finished_stage_resets_the_count(limit, finished):
    article = make_article(status=ArticleStatus.EXTRACTING, attempts=2, text="")
    # No snapshot: the stage starts (counts), then fails the article for a reason of its own.
    assert stages.extract_article(article_id=article.pk) == []
    article.refresh_from_db()
    assert (article.attempts, article.error_code) == (3, "missing_snapshot")


@pytest.mark.django_db
def test_a_claim_searched_too_often_ends_as_sources_failed_and_its_article_becomes_ready(limit, finished):
    article = make_article(status=ArticleStatus.SOURCING)
    done = make_claim(article, start=0, status=ClaimStatus.SOURCED)
    poison = make_claim(article, start=200, status=ClaimStatus.PENDING, attempts=LIMIT)
    assert stages.gather_sources(claim_id=poison.pk) is True
    poison.refresh_from_db()
    assert poison.status == ClaimStatus.SOURCES_FAILED
    assert poison.provider_reports[0]["provider"] == "pipeline"
    assert "did not finish after 5 attempts" in poison.provider_reports[0]["detail"]
    article.refresh_from_db()
    assert article.status == ArticleStatus.READY
    assert finished.counts() == {article.pk: ["ready"]}
    done.refresh_from_db()
    assert done.status == ClaimStatus.SOURCED


@pytest.mark.django_db
def test_retrying_failed_sources_gives_the_claims_their_attempts_back(limit):
    article = make_article(status=ArticleStatus.READY)
    claim = make_claim(article, status=ClaimStatus.SOURCES_FAILED, attempts=LIMIT)
    assert services.retry_failed_sources(article=article) == 1
    claim.refresh_from_db()
    assert (claim.status, claim.attempts) == (ClaimStatus.PENDING, 0)


@pytest.mark.django_db(transaction=True)
def test_the_sweeper_republishes_without_counting_and_fails_only_what_is_at_the_limit(
    limit, private_redis, finished
):
    lost = stale(make_article(status=ArticleStatus.QUEUED, attempts=0, text=""))
    exhausted = stale(make_article(status=ArticleStatus.FETCHING, attempts=LIMIT, text=""))
    busy = stale(make_article(status=ArticleStatus.SOURCING))
    make_claim(busy, status=ClaimStatus.PENDING)  # touched just now: its search is running
    idle = stale(make_article(status=ArticleStatus.SOURCING))
    idle_claim = make_claim(idle, status=ClaimStatus.PENDING)
    Claim.objects.filter(pk=idle_claim.pk).update(updated_at=timezone.now() - timedelta(hours=1))

    counts = services.sweep_stale_articles()

    assert counts == {"republished": 2, "failed": 1, "finished": 0, "lease_expired": 0}
    lost.refresh_from_db()
    assert (lost.status, lost.attempts) == (ArticleStatus.QUEUED, 0)
    assert lost.status_changed_at > timezone.now() - timedelta(minutes=1)  # next sweep waits again
    exhausted.refresh_from_db()
    assert exhausted.error_code == "too_many_attempts"
    assert finished.counts() == {exhausted.pk: ["failed"]}
    client = private_redis.client()
    assert client.llen("ingest") == 1 and client.llen("sources") == 1
    # Sweeping again at once re-publishes nothing: every row was touched.
    assert services.sweep_stale_articles() == {
        "republished": 0,
        "failed": 0,
        "finished": 0,
        "lease_expired": 0,
    }


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_message_that_kills_its_worker_every_time_ends_as_a_failed_article(
    workers, article_site, fault_settings, finished, reviewer_client
):
    worker = workers("poison", concurrency=1, extra_env={"FACTCHECK_MAX_PIPELINE_ATTEMPTS": "2"})
    article_id = submit(reviewer_client, article_site.base_url + "/poison/page")
    wait_all_finished([article_id], timeout=60)
    article = Article.objects.get(pk=article_id)
    assert (article.status, article.error_code, article.attempts) == ("failed", "too_many_attempts", 2)
    assert finished.counts() == {article_id: ["failed"]}
    # Two deliveries killed their pool process and were re-queued; the third gave up.
    assert worker.log().count("Task handler raised error: WorkerLostError") == 2
