"""Each pipeline stage against real PostgreSQL and loopback servers; running a stage twice changes nothing."""

from __future__ import annotations

import numpy as np
import pytest
from django.db import transaction

from claims import services, stages
from claims.archive import ArchiveProvider
from claims.models import Article, ArticleStatus, Claim, ClaimStatus, Snapshot, Source
from encoder import from_bytes, get_encoder
from tests.factories import make_article

pytestmark = pytest.mark.django_db

ARTICLE = "zeit.de.zugverkehr.html"


def submitted(page_server, name: str = ARTICLE) -> Article:
    article, created = services.submit_article(url=page_server.url(name))
    assert created
    return article


def snapshot_of(article: Article) -> dict:
    article.refresh_from_db()
    return {
        "status": article.status,
        "text": article.text,
        "claims": list(Claim.objects.filter(article=article).order_by("start").values_list("text", "status")),
        "sources": Source.objects.filter(claim__article=article).count(),
        "snapshots": Snapshot.objects.filter(article=article).count(),
    }


def test_fetch_stores_a_snapshot_and_moves_to_extracting(page_server, pipeline_settings):
    article = submitted(page_server)
    assert stages.fetch_article(article_id=article.pk) is True
    article.refresh_from_db()
    assert article.status == ArticleStatus.EXTRACTING
    assert article.http_status == 200
    assert article.content_type == "text/html"
    assert len(article.content_hash) == 64
    assert Snapshot.objects.filter(article=article).count() == 1
    # a second delivery of the same message finds the stage done and changes nothing
    before = snapshot_of(article)
    assert stages.fetch_article(article_id=article.pk) is False
    assert snapshot_of(article) == before


def test_extract_finds_german_claims_with_exact_spans_and_is_idempotent(page_server, pipeline_settings):
    article = submitted(page_server)
    stages.fetch_article(article_id=article.pk)
    claim_ids = stages.extract_article(article_id=article.pk)
    article.refresh_from_db()
    assert article.status == ArticleStatus.SOURCING
    assert article.language == "de"
    assert claim_ids
    for claim in Claim.objects.filter(article=article):
        assert article.text[claim.start : claim.end] == claim.text
        assert 0 <= claim.score <= 1
        assert claim.status == ClaimStatus.PENDING
    before = snapshot_of(article)
    assert stages.extract_article(article_id=article.pk) == []
    assert snapshot_of(article) == before


def test_extraction_stores_each_claims_vector_once_for_ranking_and_matching(page_server, pipeline_settings):
    article = submitted(page_server)
    stages.fetch_article(article_id=article.pk)
    stages.extract_article(article_id=article.pk)
    claims = list(Claim.objects.filter(article=article))
    assert claims
    for claim in claims:
        vector = from_bytes(claim.embedding)
        assert claim.embedding_model == get_encoder().name
        assert vector.shape == (get_encoder().dim,)
        assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-3
        assert np.allclose(vector, get_encoder().encode([claim.text], kind="query")[0], atol=1e-4)


def test_extraction_stores_the_speaker_a_claim_is_attributed_to(page_server, pipeline_settings):
    article = submitted(page_server)
    stages.fetch_article(article_id=article.pk)
    stages.extract_article(article_id=article.pk)
    claims = Claim.objects.filter(article=article)
    audited = claims.get(text__contains="laut dem Europäischen Rechnungshof")
    assert (audited.speaker_name, audited.speaker_type) == ("Europäischen Rechnungshof", "Organization")
    own = claims.get(text__startswith="So lange dauert die schnellste Zugverbindung")
    assert (own.speaker_name, own.speaker_type) == ("", "")


def test_gather_sources_records_provider_reports_and_finishes_the_article(page_server, pipeline_settings):
    article = submitted(page_server)
    stages.fetch_article(article_id=article.pk)
    claim_ids = stages.extract_article(article_id=article.pk)
    finished = [stages.gather_sources(claim_id=claim_id) for claim_id in claim_ids]
    assert finished.count(True) == 1 and finished[-1] is True
    article.refresh_from_db()
    assert article.status == ArticleStatus.READY
    claims = Claim.objects.filter(article=article)
    assert all(c.status == ClaimStatus.SOURCED for c in claims)
    assert all({r["provider"] for r in c.provider_reports} == {"archive", "wikipedia"} for c in claims)
    assert Source.objects.filter(claim__article=article, provider="wikipedia").exists()
    before = snapshot_of(article)
    assert [stages.gather_sources(claim_id=claim_id) for claim_id in claim_ids] == [False] * len(claim_ids)
    assert snapshot_of(article) == before


def test_a_page_that_is_gone_fails_the_article_with_its_code(page_server, pipeline_settings):
    article = submitted(page_server, "no-such-page.html")
    assert stages.fetch_article(article_id=article.pk) is False
    article.refresh_from_db()
    assert article.status == ArticleStatus.FAILED
    assert article.error == {"code": "http_404", "message": article.error_message}
    assert article.error_message


def test_stages_for_a_deleted_row_exit_cleanly(pipeline_settings):
    article = make_article(status=ArticleStatus.QUEUED)
    article_id = article.pk
    article.delete()
    assert stages.fetch_article(article_id=article_id) is False
    assert stages.extract_article(article_id=article_id) == []
    assert stages.gather_sources(claim_id=987654) is False


def test_a_rolled_back_submission_publishes_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            services.submit_article(url="https://news.example.com/rolled-back")
            raise RuntimeError("the caller's transaction fails after the submission")
    assert callbacks == []
    assert not Article.objects.exists()


def test_the_archive_finds_earlier_articles_in_the_claim_language(page_server, pipeline_settings):
    earlier = submitted(page_server)
    stages.fetch_article(article_id=earlier.pk)
    for claim_id in stages.extract_article(article_id=earlier.pk):
        stages.gather_sources(claim_id=claim_id)
    earlier.refresh_from_db()
    assert earlier.status == ArticleStatus.READY
    later = make_article(
        language="de", canonical_url="https://other.example/zug", status=ArticleStatus.SOURCING
    )
    found = ArchiveProvider(exclude_article_id=later.pk).search_sync(
        "Die schnellste Zugverbindung von Madrid nach Stockholm dauert 36 Stunden.",
        language="de",
        queries=["Zugverbindung Madrid Stockholm"],
    )
    assert [c.url for c in found] == [earlier.canonical_url]
    assert found[0].provider == "archive"
