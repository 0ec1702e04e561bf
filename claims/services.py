"""Use cases on articles: submitting, re-submitting, and sweeping stale pipeline runs."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from claims import messages
from claims.models import (
    ACTIVE_STATUSES,
    Article,
    ArticleAlias,
    ArticleStatus,
    Claim,
    ClaimStatus,
    Snapshot,
)
from factcheck import queue
from outbound.fetcher import FetchError, validate_url
from outbound.policy import allow_hint, fetch_policy
from outbound.urlnorm import canonicalize_url

log = logging.getLogger(__name__)

MAX_URL_LENGTH = 2048


class SubmissionRefused(ValidationError):
    """A URL the service will not fetch; `code` is part of the public API (invalid_url, blocked_address, ...).

    `hint` names the setting that would allow a refused address or port (outbound.policy.allow_hint): for
    operators, staff and development only.
    """

    hint: str | None = None


def check_submitted_url(url: str) -> str:
    """Return the canonical form of a submitted URL or raise SubmissionRefused with a public code."""
    if len(url) > MAX_URL_LENGTH:
        raise SubmissionRefused(f"The URL is longer than {MAX_URL_LENGTH} characters.", code="invalid_url")
    if "://" not in url:
        raise SubmissionRefused(
            "This is not an absolute URL such as https://example.com/story.", code="invalid_url"
        )
    try:
        checked = validate_url(url, fetch_policy())
        return canonicalize_url(checked)
    except FetchError as exc:
        refused = SubmissionRefused(exc.message, code=exc.code)
        refused.hint = allow_hint(exc)
        raise refused from exc
    except ValueError as exc:
        raise SubmissionRefused("The URL could not be parsed.", code="invalid_url") from exc


def submit_article(*, url: str) -> tuple[Article, bool]:
    """Store the article (one per canonical URL) and queue its pipeline. Returns (article, created).

    Atomic and idempotent: concurrent submissions of the same URL or its variants race on the unique
    canonical URL, and exactly one of them creates the row and publishes the pipeline message.
    A failed article submitted again is re-queued.
    """
    url = url.strip()
    canonical = check_submitted_url(url)
    article = find_article(canonical_url=canonical)
    if article is None:
        try:
            with transaction.atomic():
                article = Article.objects.create(url=url, canonical_url=canonical)
                queue.publish_on_commit(messages.FETCH_ARTICLE, article.pk)
                return article, True
        except IntegrityError:  # another request created it first: that row is the article
            article = find_article(canonical_url=canonical)
            if article is None:  # and it was deleted meanwhile
                raise
    if article.status == ArticleStatus.FAILED:
        retry_article(article=article)
        article.refresh_from_db()
    return article, False


def find_article(*, canonical_url: str) -> Article | None:
    """The article known under this canonical URL or one of its aliases; a page found to duplicate an
    earlier article resolves to that one."""
    article = Article.objects.filter(canonical_url=canonical_url).first()
    if article is None:
        alias = ArticleAlias.objects.select_related("article").filter(url=canonical_url).first()
        article = alias.article if alias else None
    if article is not None and article.duplicate_of_id:
        return Article.objects.get(pk=article.duplicate_of_id)
    return article


def record_alias(*, article_id: int, url: str) -> int | None:
    """Register `url` (a final URL after redirects, or a rel=canonical) as another name of the article.

    Returns the id of an *earlier* article that already owns this URL (so this one is a duplicate of it),
    else None. Idempotent; call it inside the stage's transaction.
    """
    try:
        canonical = canonicalize_url(url)
    except ValueError:
        return None
    owner = Article.objects.filter(canonical_url=canonical).values_list("pk", flat=True).first()
    if owner is None:
        owner = ArticleAlias.objects.filter(url=canonical).values_list("article_id", flat=True).first()
    if owner is not None:
        return owner if owner != article_id else None
    try:
        with transaction.atomic():
            ArticleAlias.objects.create(url=canonical, article_id=article_id)
    except IntegrityError:  # another article registered it a moment ago: it came first
        other = ArticleAlias.objects.filter(url=canonical).values_list("article_id", flat=True).first()
        return other if other != article_id else None
    return None


def mark_duplicate(*, article_id: int, original_id: int, status: str) -> bool:
    """End an article that turned out to be the same page as an earlier one. No-op unless still `status`."""
    return Article.objects.transition(
        article_id,
        from_=status,
        to=ArticleStatus.FAILED,
        duplicate_of_id=original_id,
        error_code="duplicate",
        error_message=f"This page is the same article as article {original_id}; its claims are there.",
    )


def retry_article(*, article: Article) -> bool:
    """Re-queue a failed article from the start. Returns False if it was not failed (nothing changed)."""
    with transaction.atomic():
        restarted = Article.objects.transition(
            article.pk,
            from_=ArticleStatus.FAILED,
            to=ArticleStatus.QUEUED,
            error_code="",
            error_message="",
            attempts=0,
        )
        if restarted:
            queue.publish_on_commit(messages.FETCH_ARTICLE, article.pk)
    return restarted


def retry_failed_sources(*, article: Article) -> int:
    """Search sources again for the article's claims whose search failed. Returns how many were re-queued.

    Atomic and idempotent: only `sources_failed` claims move back to `pending` (a conditional UPDATE), and
    a ready article goes back to `sourcing` so that the sweeper watches the new searches.
    """
    with transaction.atomic():
        claim_ids = list(
            Claim.objects.select_for_update()
            .filter(article_id=article.pk, status=ClaimStatus.SOURCES_FAILED)
            .values_list("pk", flat=True)
        )
        if not claim_ids:
            return 0
        Claim.objects.filter(pk__in=claim_ids).transition(
            from_=ClaimStatus.SOURCES_FAILED, to=ClaimStatus.PENDING, attempts=0
        )
        Article.objects.transition(article.pk, from_=ArticleStatus.READY, to=ArticleStatus.SOURCING)
        for claim_id in claim_ids:
            queue.publish_on_commit(messages.GATHER_SOURCES, claim_id)
    return len(claim_ids)


def retry_claim_sources(*, claim_id: int) -> bool:
    """Search one claim's sources again: after a provider failed, or to look again. Returns False while its
    search is still running (a pending claim: nothing changes).

    Atomic: the claim moves from `sourced` or `sources_failed` back to `pending` (a conditional UPDATE, so
    two requests at once re-queue it once), its attempts start over, a ready article goes back to
    `sourcing` for the sweeper to watch, and the search is published on commit. Its current sources stay
    until the new search replaces them (stages.gather_sources).
    """
    with transaction.atomic():
        moved = Claim.objects.filter(pk=claim_id).transition(
            from_=[ClaimStatus.SOURCED, ClaimStatus.SOURCES_FAILED], to=ClaimStatus.PENDING, attempts=0
        )
        if not moved:
            return False
        article_id = Claim.objects.filter(pk=claim_id).values_list("article_id", flat=True).get()
        Article.objects.transition(article_id, from_=ArticleStatus.READY, to=ArticleStatus.SOURCING)
        queue.publish_on_commit(messages.GATHER_SOURCES, claim_id)
    return True


def fail_article(*, article_id: int, code: str, message: str) -> bool:
    """Mark an unfinished article failed with a readable code. No-op if it already finished."""
    return Article.objects.transition(
        article_id, from_=ACTIVE_STATUSES, to=ArticleStatus.FAILED, error_code=code, error_message=message
    )


def fail_exhausted_article(*, article_id: int, status: str) -> bool:
    """Fail an article whose current stage was started too often (a message that kills its worker, or
    fails, every time) with `too_many_attempts`. Locks the row first, so that a delivery moving the
    article on at the same moment is never overruled. No-op unless it is still in `status` at the limit."""
    with transaction.atomic():
        article = (
            Article.objects.select_for_update()
            .filter(pk=article_id, status=status, attempts__gte=settings.FACTCHECK_MAX_PIPELINE_ATTEMPTS)
            .only("attempts")
            .first()
        )
        return article is not None and fail_article(
            article_id=article_id,
            code="too_many_attempts",
            message=f"The {status} stage did not finish after {article.attempts} attempts.",
        )


def finish_article_if_complete(*, article_id: int) -> bool:
    """Mark a sourcing article ready once none of its claims still waits for sources.

    The article row is locked first, so two claims finishing at the same moment serialise here and
    the second one sees the first one's committed status (no article left in `sourcing` forever).
    """
    with transaction.atomic():
        article = Article.objects.select_for_update().filter(pk=article_id).only("status").first()
        if article is None or article.status != ArticleStatus.SOURCING:
            return False
        if Claim.objects.filter(article_id=article_id, status=ClaimStatus.PENDING).exists():
            return False
        return Article.objects.transition(article_id, from_=ArticleStatus.SOURCING, to=ArticleStatus.READY)


def sweep_expired_leases() -> int:
    """Re-publish every stage whose worker stopped renewing its lease (claims/leases.py): killed, or its
    machine gone. The lease is cleared by the same conditional UPDATE, so of two sweepers one publishes,
    and the stage is published once per lost worker; the delivery that starts it takes a new lease (and
    counts the attempt). Returns how many stages were published."""
    now = timezone.now()
    published = 0
    running = [ArticleStatus.FETCHING, ArticleStatus.EXTRACTING]
    expired = Article.objects.filter(status__in=running, lease_expires_at__lt=now)
    for article_id, status, lease in expired.values_list("pk", "status", "lease_expires_at"):
        if Article.objects.filter(pk=article_id, status=status, lease_expires_at=lease).update(
            lease_expires_at=None, status_changed_at=now
        ):
            log.warning("article %s: its %s lease ran out; published again", article_id, status)
            fetching = status == ArticleStatus.FETCHING
            queue.publish(messages.FETCH_ARTICLE if fetching else messages.EXTRACT_ARTICLE, article_id)
            published += 1
    claims = Claim.objects.filter(status=ClaimStatus.PENDING, lease_expires_at__lt=now)
    for claim_id, lease in claims.values_list("pk", "lease_expires_at"):
        if Claim.objects.filter(pk=claim_id, status=ClaimStatus.PENDING, lease_expires_at=lease).update(
            lease_expires_at=None
        ):
            log.warning("claim %s: its source search lease ran out; published again", claim_id)
            queue.publish(messages.GATHER_SOURCES, claim_id)
            published += 1
    return published


def sweep_stale_articles(*, older_than: timedelta | None = None) -> dict[str, int]:
    """Re-publish work that was accepted but has not moved (broker lost it, worker died); fail what
    exceeded its attempts. Safe to run at any time and concurrently: every stage is idempotent.
    Stages whose worker died are found sooner, by their lease (sweep_expired_leases)."""
    older_than = older_than or timedelta(seconds=settings.FACTCHECK_STALE_AFTER_SECONDS)
    cutoff = timezone.now() - older_than
    counts = {"republished": 0, "failed": 0, "finished": 0, "lease_expired": sweep_expired_leases()}
    for article in Article.objects.stale(older_than=older_than).only("pk", "status", "attempts"):
        if article.attempts >= settings.FACTCHECK_MAX_PIPELINE_ATTEMPTS:
            if fail_exhausted_article(article_id=article.pk, status=article.status):
                counts["failed"] += 1
            continue
        if (
            article.status == ArticleStatus.SOURCING
            and Claim.objects.filter(article_id=article.pk, updated_at__gte=cutoff).exists()
        ):
            continue  # its claims are being searched right now (each start touches the claim)
        # Touch the row so that the next sweep waits a full period before trying again. Attempts are
        # counted by the stages when a delivery starts, not here: a message the broker lost never ran.
        if not Article.objects.restart_clock(article.pk, status=article.status):
            continue
        if article.status in (ArticleStatus.QUEUED, ArticleStatus.FETCHING):
            queue.publish(messages.FETCH_ARTICLE, article.pk)
        elif article.status == ArticleStatus.EXTRACTING:
            queue.publish(messages.EXTRACT_ARTICLE, article.pk)
        elif article.status == ArticleStatus.SOURCING:
            pending = list(
                Claim.objects.filter(article_id=article.pk, status=ClaimStatus.PENDING).values_list(
                    "pk", flat=True
                )
            )
            if not pending:
                finish_article_if_complete(article_id=article.pk)
                counts["finished"] += 1
                continue
            for claim_id in pending:
                queue.publish(messages.GATHER_SOURCES, claim_id)
        counts["republished"] += 1
    return counts


def drop_expired_snapshot_bodies(*, now=None) -> int:
    """Drop the raw bytes of snapshots older than the retention (their provenance metadata stays).
    Idempotent; returns how many bodies were dropped."""
    days = settings.FACTCHECK_SNAPSHOT_RETENTION_DAYS
    if days <= 0:
        return 0
    cutoff = (now or timezone.now()) - timedelta(days=days)
    return Snapshot.objects.filter(fetched_at__lt=cutoff, body__isnull=False).update(body=None)
