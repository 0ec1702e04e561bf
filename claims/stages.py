"""The pipeline stages that touch the database. Each is idempotent and safe to run twice, also in
parallel: slow work (network, parsing) happens outside any transaction, then one short atomic write
guarded by a conditional UPDATE whose row count says which delivery won. Tasks call these.
"""

from __future__ import annotations

import hashlib
import logging
import zlib

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.db.models import F, Q

from checkworthiness.claimfinder import CandidateClaim, find_claims
from checkworthiness.speakers import BEFORE_CHARS, find_speaker
from claims import leases
from claims.archive import ArchiveProvider
from claims.matching import link_article_claims, match_keys
from claims.models import Article, ArticleStatus, Claim, ClaimStatus, Snapshot, Source
from claims.search import search_vector
from claims.services import (
    fail_article,
    fail_exhausted_article,
    finish_article_if_complete,
    mark_duplicate,
    record_alias,
)
from encoder import get_encoder, to_bytes
from evidence.config import provider_config
from evidence.gathering import SharedPageCache, gather_evidence_sync
from evidence.providers.base import ProviderReport
from evidence.providers.registry import build_providers
from extraction.decoding import IngestError, to_document
from extraction.main_text import ExtractedArticle, extract_plain_text
from extraction.main_text import extract_article as extract_main_text
from outbound.fetcher import FetchError, fetch
from outbound.policy import fetch_policy
from outbound.urlnorm import same_site
from textkit.similarity import fingerprint

log = logging.getLogger(__name__)

FAILED_PROVIDER_STATES = {"unavailable", "quota_exhausted", "misconfigured", "error"}


def _begin_stage(article_id: int, *, from_: str | list[str], stage: str) -> bool:
    """Count one more attempt at an article's stage and take its lease. False when this delivery has
    nothing to do: the article is gone, another delivery moved it on, or its attempts are used up (then
    it is failed)."""
    started = Article.objects.transition(
        article_id,
        from_=from_,
        to=stage,
        where=Q(attempts__lt=settings.FACTCHECK_MAX_PIPELINE_ATTEMPTS),
        attempts=F("attempts") + 1,
        lease_expires_at=leases.expiry(),  # renewed by the task while it runs (claims/leases.py)
    )
    if not started:
        fail_exhausted_article(article_id=article_id, status=stage)
    return bool(started)


def fetch_article(*, article_id: int) -> bool:
    """Fetch the article's page and keep a snapshot. Returns True when extraction should follow.

    Raises FetchError for transient failures (the task retries); permanent ones fail the article.
    """
    if not _begin_stage(
        article_id, from_=[ArticleStatus.QUEUED, ArticleStatus.FETCHING], stage=ArticleStatus.FETCHING
    ):
        return False
    article = Article.objects.only("url").get(pk=article_id)
    try:
        response = fetch(
            article.url,
            policy=fetch_policy(),
            accept="text/html,application/xhtml+xml,application/pdf;q=0.9,text/plain;q=0.8,*/*;q=0.1",
        )
    except FetchError as exc:
        if exc.transient:
            raise
        fail_article(article_id=article_id, code=exc.code, message=exc.message)
        return False

    content_hash = hashlib.sha256(response.content).hexdigest()
    with transaction.atomic():
        won = Article.objects.transition(
            article_id,
            from_=ArticleStatus.FETCHING,
            to=ArticleStatus.EXTRACTING,
            attempts=0,  # counted per stage: extraction starts with all its attempts
            lease_expires_at=leases.expiry(),  # this delivery goes on to extract under the same lease
            final_url=response.final_url,
            http_status=response.status,
            content_type=response.content_type,
            content_hash=content_hash,
            content_length=len(response.content),
            fetched_at=response.fetched_at,
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
        # Redirected to a URL another article already has: the same page, checked once (B12).
        original = record_alias(article_id=article_id, url=response.final_url)
        if original is not None:
            mark_duplicate(article_id=article_id, original_id=original, status=ArticleStatus.EXTRACTING)
            return False
    return True


def extract_article(*, article_id: int) -> list[int]:
    """Extract main text, metadata and claims from the latest snapshot. Returns the claim ids whose
    sources must now be gathered (empty when another delivery already did this stage)."""
    article = _start_extraction(article_id)
    if article is None:
        return []
    extracted = _extract_snapshot(article)
    if extracted is None:
        return []
    # The page names its canonical URL: if an earlier article has it, this is that article again. Only a
    # canonical on the page's own site counts, so a page cannot claim to be another site's article.
    if extracted.canonical_url and same_site(extracted.canonical_url, article.final_url or article.url):
        original = record_alias(article_id=article_id, url=extracted.canonical_url)
        if original is not None:
            mark_duplicate(article_id=article_id, original_id=original, status=ArticleStatus.EXTRACTING)
            return []
    candidates, notes = _find_candidates(extracted)
    claims = _claim_rows(article_id, extracted, candidates)
    with transaction.atomic():
        won = Article.objects.transition(
            article_id,
            from_=ArticleStatus.EXTRACTING,
            to=ArticleStatus.SOURCING if candidates else ArticleStatus.READY,
            attempts=0,  # from here on each claim counts its own attempts
            title=extracted.title,
            author=extracted.author,
            sitename=extracted.sitename,
            published_at=extracted.published_at,
            language=extracted.language,
            language_note=extracted.language_note,
            text=extracted.text,
            search_vector=search_vector(extracted.title, extracted.text, extracted.language),
            notes=notes,
            claim_reviews=extracted.claim_reviews,
        )
        if not won:
            return []
        Claim.objects.bulk_create(claims, ignore_conflicts=True)
    link_article_claims(article_id=article_id)  # after the commit; never raises (a hint for reviewers)
    return list(
        Claim.objects.filter(article_id=article_id, status=ClaimStatus.PENDING).values_list("pk", flat=True)
    )


def _start_extraction(article_id: int) -> Article | None:
    """Count an extraction attempt and take the lease; the article, or None when this delivery has nothing
    to do (deleted, moved on by another delivery, or its attempts used up, which fails it)."""
    if not _begin_stage(article_id, from_=ArticleStatus.EXTRACTING, stage=ArticleStatus.EXTRACTING):
        return None
    return Article.objects.filter(pk=article_id, status=ArticleStatus.EXTRACTING).first()


def _extract_snapshot(article: Article) -> ExtractedArticle | None:
    """Decode the stored page and extract its main text and metadata; None when the article failed."""
    snapshot = Snapshot.objects.filter(article_id=article.pk, content_hash=article.content_hash).first()
    if snapshot is None or snapshot.body is None:
        fail_article(
            article_id=article.pk, code="missing_snapshot", message="The fetched page was not stored."
        )
        return None
    try:
        document = to_document(
            zlib.decompress(snapshot.body), snapshot.content_type, snapshot.charset or None
        )
        if document.kind == "html":
            return extract_main_text(document.html or "", url=article.final_url or article.url)
        return extract_plain_text(document.text or "")
    except IngestError as exc:
        fail_article(article_id=article.pk, code=exc.code, message=exc.message)
        return None
    except SoftTimeLimitExceeded:
        # Pathological markup (docs/reliability.md B9): end with a code instead of being killed and redelivered.
        fail_article(
            article_id=article.pk,
            code="parse_error",
            message="The page could not be parsed within the time limit.",
        )
        return None


def _find_candidates(extracted: ExtractedArticle) -> tuple[list[CandidateClaim], str]:
    """The check-worthy sentences of the (possibly truncated) text, and the article's note about them.
    Truncates `extracted.text` to FACTCHECK_MAX_TEXT_CHARS in place."""
    truncated = len(extracted.text) > settings.FACTCHECK_MAX_TEXT_CHARS
    if truncated:
        extracted.text = extracted.text[: settings.FACTCHECK_MAX_TEXT_CHARS]
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
    if truncated:
        notes = (
            f"Only the first {settings.FACTCHECK_MAX_TEXT_CHARS:,} characters of the text were analysed. "
            + notes
        ).strip()
    return candidates, notes


def _claim_rows(
    article_id: int, extracted: ExtractedArticle, candidates: list[CandidateClaim]
) -> list[Claim]:
    """The unsaved claims for the candidates: vector, speaker, match keys and rank within the article."""
    encoder = get_encoder()
    # The claim finder encoded every candidate sentence to score it ("query" kind): store those vectors.
    vectors = [
        c.vector if c.vector is not None else encoder.encode([c.text], kind="query")[0] for c in candidates
    ]
    language = extracted.language or "en"
    speakers = [
        find_speaker(
            c.text,
            language=c.language or language,
            before=extracted.text[max(0, c.start - BEFORE_CHARS) : c.start],
            after=c.context.get("after", ""),
        )
        for c in candidates
    ]
    ranks = rank_by_score(candidates)
    cap = settings.FACTCHECK_CLAIMS_PER_ARTICLE
    return [
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
            match_keys=match_keys(c.text, c.language or extracted.language or "en"),
            embedding=to_bytes(vector),
            embedding_model=encoder.name,
            speaker_name=speaker.name[:255] if speaker else "",
            speaker_type=speaker.type if speaker else "",
            rank=rank,
            below_cut=bool(cap) and rank > cap,
        )
        for c, vector, speaker, rank in zip(candidates, vectors, speakers, ranks, strict=True)
    ]


def rank_by_score(candidates: list) -> list[int]:
    """Each candidate's place by score within its article (1 = best; ties go to the earlier sentence)."""
    order = sorted(range(len(candidates)), key=lambda i: (-candidates[i].score, candidates[i].start))
    ranks = [0] * len(candidates)
    for place, index in enumerate(order, start=1):
        ranks[index] = place
    return ranks


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
    started = Claim.objects.filter(pk=claim_id).transition(
        from_=ClaimStatus.PENDING,
        to=ClaimStatus.PENDING,
        where=Q(attempts__lt=settings.FACTCHECK_MAX_PIPELINE_ATTEMPTS),
        attempts=F("attempts") + 1,
        lease_expires_at=leases.expiry(),  # renewed by the task while it runs (claims/leases.py)
    )
    if not started:  # another delivery finished it just now, or its attempts are used up
        give_up_on_claim(claim_id=claim_id)
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
        # One fetch per URL and article across workers (each claim is its own task). This thread's client,
        # not the `cache` proxy: the fetch threads share it instead of each opening a connection.
        page_cache=SharedPageCache(caches["default"], f"page:{article.pk}"),
    )
    reports = [r.as_dict() for r in result.reports]
    all_failed = bool(reports) and all(r["state"] in FAILED_PROVIDER_STATES for r in reports)
    status = ClaimStatus.SOURCES_FAILED if all_failed and not result.sources else ClaimStatus.SOURCED
    with transaction.atomic():
        won = Claim.objects.filter(pk=claim_id).transition(
            from_=ClaimStatus.PENDING, to=status, provider_reports=reports
        )
        if won:
            if claim.sourced_at is not None or claim.provider_reports:
                # A search run again (services.retry_claim_sources): its result replaces the last one's.
                Source.objects.filter(claim_id=claim_id).delete()
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
                        claim_reviews=s.claim_reviews,
                    )
                    for rank, s in enumerate(result.sources[: settings.FACTCHECK_SOURCES_PER_CLAIM], start=1)
                ],
                ignore_conflicts=True,
            )
    return finish_article_if_complete(article_id=article.pk)


def give_up_on_claim(*, claim_id: int) -> bool:
    """End a claim whose source search was started too often: `sources_failed`, with the reason in its
    reports, so that its article can still become ready. Conditional UPDATE: no-op once it finished."""
    limit = settings.FACTCHECK_MAX_PIPELINE_ATTEMPTS
    report = ProviderReport(
        provider="pipeline", state="error", detail=f"The source search did not finish after {limit} attempts."
    )
    return bool(
        Claim.objects.filter(pk=claim_id).transition(
            from_=ClaimStatus.PENDING,
            to=ClaimStatus.SOURCES_FAILED,
            where=Q(attempts__gte=limit),
            provider_reports=[report.as_dict()],
        )
    )
