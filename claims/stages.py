"""The pipeline stages that touch the database. Each is idempotent and safe to run twice, also in
parallel: slow work (network, parsing) happens outside any transaction, then one short atomic write
guarded by a conditional UPDATE whose row count says which delivery won. Tasks call these.
"""

from __future__ import annotations

import hashlib
import logging
import zlib

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from claims.fetcher import FetchError, fetch
from claims.models import Article, ArticleStatus, Claim, ClaimStatus, Snapshot, Source
from claims.outbound import fetch_policy, provider_config
from claims.pipeline.claimfinder import find_claims
from claims.pipeline.evidence import gather_evidence_sync
from claims.pipeline.extraction import extract_article as extract_main_text
from claims.pipeline.extraction import extract_plain_text
from claims.pipeline.ingest import IngestError, to_document
from claims.providers.archive import ArchiveProvider
from claims.providers.registry import build_providers
from claims.search import search_vector
from claims.services import fail_article, finish_article_if_complete
from claims.signals import article_finished

log = logging.getLogger(__name__)

FAILED_PROVIDER_STATES = {"unavailable", "quota_exhausted", "misconfigured", "error"}


def fetch_article(*, article_id: int) -> bool:
    """Fetch the article's page and keep a snapshot. Returns True when extraction should follow.

    Raises FetchError for transient failures (the task retries); permanent ones fail the article.
    """
    started = Article.objects.filter(
        pk=article_id, status__in=[ArticleStatus.QUEUED, ArticleStatus.FETCHING]
    ).update(
        status=ArticleStatus.FETCHING,
        status_changed_at=timezone.now(),
        attempts=F("attempts") + 1,
        updated_at=timezone.now(),
    )
    if not started:
        return False  # deleted, or another delivery already moved it on
    article = Article.objects.only("url").get(pk=article_id)
    try:
        response = fetch(article.url, policy=fetch_policy(), accept="text/html,application/xhtml+xml,application/pdf;q=0.9,text/plain;q=0.8,*/*;q=0.1")
    except FetchError as exc:
        if exc.transient:
            raise
        fail_article(article_id=article_id, code=exc.code, message=exc.message)
        return False

    content_hash = hashlib.sha256(response.content).hexdigest()
    with transaction.atomic():
        won = Article.objects.filter(pk=article_id, status=ArticleStatus.FETCHING).update(
            status=ArticleStatus.EXTRACTING,
            status_changed_at=timezone.now(),
            final_url=response.final_url,
            http_status=response.status,
            content_type=response.content_type,
            content_hash=content_hash,
            content_length=len(response.content),
            fetched_at=response.fetched_at,
            updated_at=timezone.now(),
        )
        if not won:
            return False
        Snapshot.objects.bulk_create(
            [
                Snapshot(
                    article_id=article_id,
                    url=response.url,
                    final_url=response.final_url,
                    http_status=response.status,
                    content_type=response.content_type,
                    charset=response.charset or "",
                    content_hash=content_hash,
                    content_length=len(response.content),
                    fetched_at=response.fetched_at,
                    body=zlib.compress(response.content, 6),
                )
            ],
            ignore_conflicts=True,
        )
    return True


def extract_article(*, article_id: int) -> list[int]:
    """Extract main text, metadata and claims from the latest snapshot. Returns the claim ids whose
    sources must now be gathered (empty when another delivery already did this stage)."""
    article = Article.objects.filter(pk=article_id, status=ArticleStatus.EXTRACTING).first()
    if article is None:
        return []
    snapshot = Snapshot.objects.filter(article_id=article_id, content_hash=article.content_hash).first()
    if snapshot is None or snapshot.body is None:
        fail_article(article_id=article_id, code="missing_snapshot", message="The fetched page was not stored.")
        return []
    try:
        document = to_document(zlib.decompress(snapshot.body), snapshot.content_type, snapshot.charset or None)
        if document.kind == "html":
            extracted = extract_main_text(document.html or "", url=article.final_url or article.url)
        else:
            extracted = extract_plain_text(document.text or "")
    except IngestError as exc:
        fail_article(article_id=article_id, code=exc.code, message=exc.message)
        return []
    candidates = (
        find_claims(
            extracted.text,
            language=extracted.language,
            title=extracted.title,
            threshold=settings.FACTCHECK_CHECKWORTHINESS_THRESHOLD,
        )
        if extracted.text.strip()
        else []
    )
    notes = ""
    if not extracted.text.strip():
        notes = "No main text could be extracted from the page."
    elif not candidates:
        notes = "No check-worthy claims were found in the text."

    now = timezone.now()
    with transaction.atomic():
        won = Article.objects.filter(pk=article_id, status=ArticleStatus.EXTRACTING).update(
            status=ArticleStatus.SOURCING if candidates else ArticleStatus.READY,
            status_changed_at=now,
            title=extracted.title,
            author=extracted.author,
            sitename=extracted.sitename,
            published_at=extracted.published_at,
            language=extracted.language,
            language_note=extracted.language_note,
            text=extracted.text,
            search_vector=search_vector(extracted.title, extracted.text, extracted.language),
            notes=notes,
            updated_at=now,
        )
        if not won:
            return []
        if not candidates:
            article_finished.send(sender=Article, article_id=article_id, status=ArticleStatus.READY)
        Claim.objects.bulk_create(
            [
                Claim(
                    article_id=article_id,
                    text=c.text,
                    start=c.start,
                    end=c.end,
                    spans=[list(span) for span in c.spans],
                    context=c.context,
                    language=c.language,
                    score=c.score,
                    signals=c.signals,
                    fingerprint=fingerprint(c.text),
                )
                for c in candidates
            ],
            ignore_conflicts=True,
        )
    return list(
        Claim.objects.filter(article_id=article_id, status=ClaimStatus.PENDING).values_list("pk", flat=True)
    )


def fingerprint(text: str) -> str:
    """Hash of the claim text with case, punctuation and spacing normalised (exact-duplicate matching)."""
    normalised = " ".join("".join(ch if ch.isalnum() else " " for ch in text.casefold()).split())
    return hashlib.sha256(normalised.encode()).hexdigest()


def gather_sources(*, claim_id: int) -> bool:
    """Query the configured providers for one claim and store its ranked sources.

    Returns True when this claim was the last one its article waited for (the article is now ready).
    A provider that fails is recorded in the claim's provider reports; the others are still used.
    """
    claim = Claim.objects.select_related("article").filter(pk=claim_id).first()
    if claim is None:
        return False
    if claim.status != ClaimStatus.PENDING:
        return finish_article_if_complete(article_id=claim.article_id)
    article = claim.article
    config = provider_config()
    providers = build_providers(
        settings.FACTCHECK_PROVIDERS,
        config,
        extra={"archive": ArchiveProvider(exclude_article_id=article.pk)},
    )
    result = gather_evidence_sync(
        claim.text,
        language=claim.language or article.language or "en",
        providers=providers,
        config=config,
        exclude_site=article.final_url or article.canonical_url,
        deadline=settings.FACTCHECK_SOURCES_DEADLINE,
    )
    reports = [report_as_json(r) for r in result.reports]
    all_failed = bool(reports) and all(r["state"] in FAILED_PROVIDER_STATES for r in reports)
    status = ClaimStatus.SOURCES_FAILED if all_failed and not result.sources else ClaimStatus.SOURCED
    now = timezone.now()
    with transaction.atomic():
        won = Claim.objects.filter(pk=claim_id, status=ClaimStatus.PENDING).update(
            status=status, provider_reports=reports, sourced_at=now, updated_at=now
        )
        if won:
            Source.objects.bulk_create(
                [
                    Source(
                        claim_id=claim_id,
                        url=s.url,
                        canonical_url=s.canonical_url,
                        title=s.title,
                        publisher=s.publisher,
                        provider=s.provider,
                        query=s.query,
                        published_at=s.published_at,
                        retrieved_at=s.retrieved_at,
                        content_hash=s.content_hash,
                        snippet=s.snippet,
                        passages=s.passages,
                        relevance=s.relevance,
                        rank=rank,
                        stance=s.stance,
                        stance_reason=s.stance_reason,
                        rating=s.rating,
                    )
                    for rank, s in enumerate(result.sources[: settings.FACTCHECK_SOURCES_PER_CLAIM], start=1)
                ],
                ignore_conflicts=True,
            )
    return finish_article_if_complete(article_id=article.pk)


def report_as_json(report) -> dict:
    return {
        "provider": report.provider,
        "state": report.state,
        "detail": report.detail,
        "queries": list(report.queries),
        "count": report.count,
        "elapsed_ms": report.elapsed_ms,
    }
