"""Gather, fetch, score and rank the evidence for one claim.

Plain Python (no Django): the Celery task passes providers and config in and stores the result.

Guarantees:
- providers are queried concurrently; each is bounded by `config.provider_timeout` and by the claim's
  deadline, and its outcome is recorded as a ProviderReport (never an exception);
- candidate pages are fetched concurrently through the one fetcher, at most `max_concurrency` at once and
  `per_host_concurrency` per host, each bounded by `page_timeout`: a hanging source costs at most that;
- the whole call returns within `deadline` seconds (plus ranking, which is CPU-only and fast);
- `page_cache` makes every URL be fetched at most once per article — failures are remembered too, so a
  hanging site is not waited for again by the next claim. A dict does that within one process; a
  `SharedPageCache` (Redis through django.core.cache in production) does it across Celery workers, where
  each claim is its own task: the first task to claim a URL fetches it, the others wait for its result;
- candidates on the article's own site (`exclude_site`) are dropped.
"""

from __future__ import annotations

import asyncio
import hashlib
import html as html_lib
import logging
import re
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from copy import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any, Protocol

import trafilatura
from trafilatura.settings import Extractor

from evidence.providers.base import (
    Candidate,
    Provider,
    ProviderConfig,
    ProviderError,
    ProviderReport,
    ProviderUnavailable,
    ReportState,
    parse_published,
)
from evidence.queries import build_queries
from evidence.ranking import (
    AnalysedPassage,
    DocumentScore,
    analyse_document,
    score_analysed,
    sort_key,
    weighted_relevance,
)
from evidence.stance import stance_hint
from extraction.claimreview import claim_reviews
from extraction.decoding import IngestError, to_document
from outbound.fetcher import FetchError, fetch
from outbound.urlnorm import canonicalize_url, same_site

logger = logging.getLogger(__name__)

PAGE_ACCEPT = "text/html,application/xhtml+xml,application/pdf;q=0.9,text/plain;q=0.8,*/*;q=0.1"
RANKING_RESERVE = 0.5  # seconds of the deadline kept for scoring and ranking


@dataclass
class RankedSource:
    url: str
    canonical_url: str
    title: str
    publisher: str
    provider: str
    query: str
    published_at: datetime | None
    snippet: str
    passages: list[str]
    relevance: float
    stance: str
    stance_reason: str
    rating: str
    content_hash: str
    retrieved_at: datetime
    extra: dict[str, Any] = field(default_factory=dict)
    claim_reviews: list[dict[str, Any]] = field(default_factory=list)  # embedded in the page (ClaimReview)


@dataclass
class EvidenceResult:
    sources: list[RankedSource]
    reports: list[ProviderReport]
    queries: list[str] = field(default_factory=list)
    elapsed_ms: int = 0


@dataclass
class PageText:
    """A fetched candidate page, or why it could not be read (`error`)."""

    url: str
    final_url: str = ""
    text: str = ""
    title: str = ""
    published_at: datetime | None = None
    content_hash: str = ""
    retrieved_at: datetime | None = None
    error: str = ""
    claim_reviews: list[dict[str, Any]] = field(default_factory=list)  # extraction/claimreview.py


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_PUBLISHED = re.compile(
    r'<meta[^>]+(?:property|name)="(?:article:published_time|date|dc\.date|pubdate)"[^>]+content="([^"]+)"',
    re.IGNORECASE,
)


def _published_at(html: str) -> datetime | None:
    match = _PUBLISHED.search(html)
    return parse_published(match.group(1).strip()) if match else None


# trafilatura.extract(fast=True, include_comments=False, include_tables=False, favor_precision=True,
# with_metadata=False), built once: building it per call re-reads trafilatura's settings through
# configparser, a sixth of the extraction's cost. trafilatura copies it before changing anything.
_EVIDENCE_OPTIONS = Extractor(fast=True, precision=True, comments=False, tables=False, with_metadata=False)


def _extractor_for(url: str) -> Extractor:
    options = copy(_EVIDENCE_OPTIONS)
    options.url = url or None
    options.source = url.encode("utf-8", "replace").decode("utf-8") if url else None
    return options


def extract_evidence_text(html: str, *, url: str = "") -> tuple[str, str, datetime | None]:
    """Main text, title and publication date of a candidate page, cheaply: (text, title, published_at).

    Not the article extractor: evidence pages need neither language detection nor trafilatura's metadata
    and fallback extractors, which cost several times more per page (docs/evidence-quality.md, P4). `fast=True` skips
    the fallbacks; the title and date come from the <title> and meta tags.
    """
    text = trafilatura.extract(html, options=_extractor_for(url))
    title = _TITLE.search(html[:200_000])
    title_text = html_lib.unescape(" ".join(title.group(1).split())) if title else ""
    return (text or "").strip(), title_text, _published_at(html)


def fetch_page_text(url: str, *, config: ProviderConfig) -> PageText:
    """Fetch one candidate page and extract its main text (blocking; runs in a worker thread)."""
    try:
        response = fetch(url, policy=config.policy, accept=PAGE_ACCEPT)
    except FetchError as exc:
        return PageText(url=url, error=exc.code)
    page = PageText(
        url=url,
        final_url=response.final_url,
        content_hash=_sha256(response.content),
        retrieved_at=response.fetched_at,
    )
    try:
        document = to_document(response.content, response.content_type, response.charset)
    except IngestError as exc:
        page.error = getattr(exc, "code", "") or "unsupported_content_type"
        return page
    if document.kind == "html":
        try:
            page.text, page.title, page.published_at = extract_evidence_text(
                document.html or "", url=response.final_url
            )
            page.claim_reviews = claim_reviews(document.html or "", url=response.final_url)
        except Exception:  # one unreadable page must not cost the claim its other sources
            logger.warning("extraction failed for %s", url, exc_info=True)
            page.error = "parse_error"
            return page
    else:
        page.text = document.text or ""
    if not page.text.strip():
        page.error = "no_text"
    return page


# The provider errors that are states of their own in a report; any other is "error".
_ERROR_STATES: dict[str, ReportState] = {
    "quota_exhausted": "quota_exhausted",
    "misconfigured": "misconfigured",
}


async def _run_provider(
    provider: Provider, claim_text: str, *, language: str, queries: list[str], timeout: float
) -> tuple[list[Candidate], ProviderReport]:
    name = getattr(provider, "name", type(provider).__name__)
    report = ProviderReport(provider=name, state="ok", queries=list(queries))
    started = time.monotonic()
    candidates: list[Candidate] = []
    try:
        if timeout <= 0:
            raise TimeoutError
        candidates = list(
            await asyncio.wait_for(provider.search(claim_text, language=language, queries=queries), timeout)
        )
        report.state = "ok" if candidates else "no_results"
    except TimeoutError:
        report.state, report.detail = "unavailable", f"timed out after {timeout:.1f} s"
    except ProviderUnavailable as exc:
        report.state, report.detail = "unavailable", str(exc)[:300]
    except ProviderError as exc:
        state = _ERROR_STATES.get(exc.code, "error")
        report.state, report.detail = state, f"{exc.code}: {exc.message}"[:300]
    except Exception as exc:  # a provider bug must not lose the other providers' evidence
        logger.exception("provider %s failed", name)
        report.state, report.detail = "error", f"{type(exc).__name__}: {exc}"[:300]
    report.count = len(candidates)
    # Providers may widen the queries (Wikipedia's last OR query); the report lists every query that found something.
    report.queries = list(dict.fromkeys([*queries, *(c.query for c in candidates if c.query)]))
    report.elapsed_ms = int((time.monotonic() - started) * 1000)
    logger.info("provider %s: %s (%d) %s", name, report.state, report.count, report.detail)
    return candidates, report


class CacheBackend(Protocol):
    """The part of django.core.cache's API that SharedPageCache needs (any such object will do)."""

    def get(self, key: str, default: Any = None) -> Any: ...

    def get_many(self, keys: list[str]) -> dict[str, Any]: ...

    def add(self, key: str, value: Any, timeout: float | None = None) -> bool: ...

    def set(self, key: str, value: Any, timeout: float | None = None) -> None: ...


class SharedPageCache:
    """Fetched pages shared by every claim of one article, across processes: `{namespace}:{sha1(url)}`.

    Pages are kept for `ttl` seconds, failures for `error_ttl` (a site that was down may be back soon).
    `claim(url)` is an atomic add of a short-lived marker: it returns False while another task is fetching
    the URL, and the caller then waits for that task's result (`wait`) instead of fetching it again.
    Every call is a blocking round trip: fetch_pages makes them in its fetch threads, never on the event
    loop, except for one `get_many` for all the URLs at the start. The backend is therefore used from many
    threads: give it a thread-safe client such as django's `caches["default"]` (RedisCache over redis-py's
    pool), not the `django.core.cache.cache` proxy, which opens a new client in every new thread.
    """

    def __init__(
        self, backend: CacheBackend, namespace: str, *, ttl: int = 3600, error_ttl: int = 300
    ) -> None:
        self.backend, self.namespace, self.ttl, self.error_ttl = backend, namespace, ttl, error_ttl

    def _key(self, url: str) -> str:
        return f"{self.namespace}:{hashlib.sha1(url.encode()).hexdigest()}"

    def get(self, url: str) -> PageText | None:
        page = self.backend.get(self._key(url))
        return page if isinstance(page, PageText) else None

    def get_many(self, urls: list[str]) -> dict[str, PageText]:
        """The cached pages among `urls`, in one round trip."""
        keys = {self._key(url): url for url in urls}
        found = self.backend.get_many(list(keys)) if keys else {}
        return {keys[k]: page for k, page in found.items() if k in keys and isinstance(page, PageText)}

    def put(self, url: str, page: PageText) -> None:
        self.backend.set(self._key(url), page, self.error_ttl if page.error else self.ttl)

    def claim(self, url: str, *, seconds: float) -> bool:
        return bool(self.backend.add(self._key(url) + ":fetching", 1, max(1, int(seconds) + 1)))

    async def wait(self, url: str, *, until: float) -> PageText | None:
        loop = asyncio.get_running_loop()
        while loop.time() < until:
            page = self.get(url)
            if page is not None:
                return page
            await asyncio.sleep(0.05)
        return None


def _host(url: str) -> str:
    try:
        return canonicalize_url(url).split("/")[2]
    except (ValueError, IndexError):
        return url


async def fetch_pages(
    urls: list[str],
    *,
    config: ProviderConfig,
    page_cache: dict[str, PageText] | SharedPageCache,
    until: float,
    on_page: Callable[[str, PageText], None] | None = None,
) -> dict[str, PageText]:
    """Fetch every URL (keys: canonical URLs) concurrently within the bounds; results also go to page_cache.

    Blocking fetches run in a private thread pool, which is abandoned (not joined) at the end: a thread
    stuck on a hanging socket is freed by the fetch policy's own timeouts, never waited for here.
    `on_page(url, page)` is called in that pool right after each page is fetched and read, while the others
    are still in flight (gather_evidence cuts the page into passages there); it is not called for pages
    taken from the cache, nor for a page whose fetch outlived its timeout.
    """
    loop = asyncio.get_running_loop()
    shared = page_cache if isinstance(page_cache, SharedPageCache) else None
    local = None if isinstance(page_cache, SharedPageCache) else page_cache
    unique = list(dict.fromkeys(urls))
    if isinstance(page_cache, SharedPageCache):
        pages: dict[str, PageText] = page_cache.get_many(unique)
    else:
        pages = {u: page_cache[u] for u in unique if page_cache.get(u) is not None}
    todo = [u for u in unique if u not in pages]
    if not todo:
        return {u: pages[u] for u in urls}
    overall = asyncio.Semaphore(max(1, config.max_concurrency))
    per_host: dict[str, asyncio.Semaphore] = defaultdict(
        lambda: asyncio.Semaphore(max(1, config.per_host_concurrency))
    )
    executor = ThreadPoolExecutor(
        max_workers=min(len(todo), max(1, config.max_concurrency)) + 2, thread_name_prefix="evidence-fetch"
    )

    async def fetch_bounded(url: str, *, claim: bool) -> PageText | None:
        """The page, fetched within the bounds; None if another task holds the URL's claim."""
        async with overall, per_host[_host(url)]:
            timeout = min(config.page_timeout, until - loop.time())
            if timeout <= 0:
                return PageText(url=url, error="deadline")  # not cached: the next claim may have time for it
            job = partial(_fetch_and_report, url, config, on_page, shared if claim else None, shared)
            try:
                return await asyncio.wait_for(loop.run_in_executor(executor, job), timeout)
            except TimeoutError:
                page = PageText(url=url, error="timeout")
                if shared:  # the stuck thread never got to store it; the next claim must not wait again
                    await loop.run_in_executor(executor, shared.put, url, page)
                return page

    async def one(url: str) -> None:
        page = await fetch_bounded(url, claim=shared is not None)
        if page is None and shared is not None:
            # Another claim's task is fetching this page right now: its result is ours too.
            page = await shared.wait(url, until=min(until, loop.time() + config.page_timeout))
        if page is None:
            page = await fetch_bounded(url, claim=False)
        assert page is not None  # fetch_bounded returns None only to a task that claims
        pages[url] = page
        if local is not None and page.error != "deadline":
            local[url] = page

    try:
        await asyncio.gather(*(one(u) for u in todo))
    finally:
        executor.shutdown(wait=False, cancel_futures=True)
    return {u: pages[u] for u in urls}


def _fetch_and_report(
    url: str,
    config: ProviderConfig,
    on_page: Callable[[str, PageText], None] | None,
    claim_in: SharedPageCache | None,
    store_in: SharedPageCache | None,
) -> PageText | None:
    """One fetch thread's work: claim the URL (None if another task holds it), fetch and read the page,
    store it for the other claims, hand it to on_page."""
    if claim_in is not None and not claim_in.claim(url, seconds=config.page_timeout):
        return None
    page = fetch_page_text(url, config=config)
    if store_in is not None:
        store_in.put(url, page)
    if on_page is not None:
        try:
            on_page(url, page)
        except Exception:  # the caller redoes the work later; the page itself is fine
            logger.warning("on_page failed for %s", url, exc_info=True)
    return page


def _candidate_key(candidate: Candidate) -> str:
    try:
        return canonicalize_url(candidate.url)
    except ValueError:
        return ""


async def gather_evidence(
    claim_text: str,
    *,
    language: str,
    providers: list[Provider],
    config: ProviderConfig,
    exclude_site: str = "",
    deadline: float = 30.0,
    page_cache: dict | SharedPageCache | None = None,
) -> EvidenceResult:
    """Query every provider, fetch the candidate pages, rank passages and sources; see the module docstring."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    until = started + max(0.1, deadline - RANKING_RESERVE)
    page_cache = {} if page_cache is None else page_cache
    queries = build_queries(claim_text, language, config.max_queries)

    provider_timeout = min(config.provider_timeout, until - loop.time())
    runs = await asyncio.gather(
        *(
            _run_provider(p, claim_text, language=language, queries=queries, timeout=provider_timeout)
            for p in providers
        )
    )
    reports = [report for _, report in runs]
    candidates = _unique_candidates([found for found, _ in runs], exclude_site)
    pages, analysed = await _fetch_and_analyse(
        candidates, language=language, config=config, page_cache=page_cache, until=until
    )
    documents, reviews = _documents(candidates, pages, exclude_site)
    scores = score_analysed(
        claim_text,
        [
            analysed[(key, text)] if (key, text) in analysed else analyse_document(text, language=language)
            for key, _, text, _, _ in documents
        ],
        language=language,
        max_passages=config.max_passages,
        rerank_k=config.rerank_k,
    )
    sources = [
        _ranked_source(claim_text, document, score, language=language, reviews=reviews.get(document[0], []))
        for document, score in zip(documents, scores, strict=True)
        if score.passages
    ]
    sources.sort(key=lambda s: sort_key(s.provider, s.relevance, s.rating))
    return EvidenceResult(
        sources=sources[: config.max_sources],
        reports=reports,
        queries=queries,
        elapsed_ms=int((loop.time() - started) * 1000),
    )


# key, candidate, text, content hash, retrieved at
Document = tuple[str, Candidate, str, str, datetime]


def _unique_candidates(found_per_provider: list[list[Candidate]], exclude_site: str) -> dict[str, Candidate]:
    """One candidate per canonical URL, the first provider (in configured order) winning; none on the
    article's own site."""
    candidates: dict[str, Candidate] = {}
    for found in found_per_provider:
        for candidate in found:
            key = _candidate_key(candidate)
            if not key or key in candidates:
                continue
            if exclude_site and same_site(candidate.url, exclude_site):
                continue
            candidates[key] = candidate
    return candidates


async def _fetch_and_analyse(
    candidates: dict[str, Candidate],
    *,
    language: str,
    config: ProviderConfig,
    page_cache: dict | SharedPageCache,
    until: float,
) -> tuple[dict[str, PageText], dict[tuple[str, str], list[AnalysedPassage]]]:
    """Fetch the candidates that came without text; the pages by key, and the passages analysed so far.

    Cutting a page into passages and their terms does not depend on the other pages: it is done as each
    page arrives (in the fetch threads) and for the providers' own texts while the pages are in flight,
    so that only the corpus-wide BM25 and the stance of the best passages remain after the last page.
    """
    analysed: dict[tuple[str, str], list[AnalysedPassage]] = {}

    def analyse(key: str, text: str) -> None:
        analysed[(key, text)] = analyse_document(text, language=language)

    def on_page(key: str, page: PageText) -> None:
        if not page.error:
            analyse(key, page.text)

    def analyse_given() -> None:
        for key, candidate in candidates.items():
            if candidate.text.strip():
                analyse(key, candidate.text)

    to_fetch = [key for key, c in candidates.items() if not c.text.strip()]
    if not to_fetch:
        analyse_given()
        return {}, analysed
    jobs: list[Any] = [
        fetch_pages(to_fetch, config=config, page_cache=page_cache, until=until, on_page=on_page)
    ]
    if len(to_fetch) < len(candidates):
        jobs.append(asyncio.get_running_loop().run_in_executor(None, analyse_given))
    pages = (await asyncio.gather(*jobs))[0]
    return pages, analysed


def _documents(
    candidates: dict[str, Candidate], pages: dict[str, PageText], exclude_site: str
) -> tuple[list[Document], dict[str, list[dict[str, Any]]]]:
    """The text to rank for each candidate (its own, its page's, or else its snippet), and the ClaimReviews
    embedded in each page by key."""
    documents: list[Document] = []
    reviews: dict[str, list[dict[str, Any]]] = {}
    now = datetime.now(UTC)
    for key, candidate in candidates.items():
        if candidate.text.strip():
            documents.append((key, candidate, candidate.text, _sha256(candidate.text.encode()), now))
            continue
        page = pages.get(key)
        if page is not None and not page.error:
            if page.final_url and exclude_site and same_site(page.final_url, exclude_site):
                continue  # redirected onto the article's own site
            if not candidate.title and page.title:
                candidate.title = page.title
            if candidate.published_at is None and page.published_at is not None:
                candidate.published_at = page.published_at
            documents.append((key, candidate, page.text, page.content_hash, page.retrieved_at or now))
            reviews[key] = getattr(page, "claim_reviews", [])  # pages cached before the field have none
        elif candidate.snippet.strip():
            # The page could not be read: the search engine's snippet is still evidence, marked as such.
            candidate.extra["fetch_error"] = page.error if page else "not_fetched"
            documents.append((key, candidate, candidate.snippet, _sha256(candidate.snippet.encode()), now))
    return documents, reviews


def _ranked_source(
    claim_text: str, document: Document, score: DocumentScore, *, language: str, reviews: list[dict[str, Any]]
) -> RankedSource:
    """One scored document as a source: its best passages, weighted relevance and stance."""
    key, candidate, _text, content_hash, retrieved_at = document
    passages = [p.text for p in score.passages]
    stance, reason = stance_hint(
        claim_text,
        passages,
        language=language,
        rating=candidate.rating,
        terms=[p.terms for p in score.passages],
        read=[p.vectors for p in score.passages],
    )
    return RankedSource(
        url=candidate.url,
        canonical_url=key,
        title=candidate.title,
        publisher=candidate.publisher,
        provider=candidate.provider,
        query=candidate.query,
        published_at=candidate.published_at,
        snippet=candidate.snippet,
        passages=passages,
        relevance=weighted_relevance(candidate.provider, score.relevance),
        stance=stance,
        stance_reason=reason,
        rating=candidate.rating,
        content_hash=content_hash,
        retrieved_at=retrieved_at,
        extra=dict(candidate.extra),
        claim_reviews=reviews,
    )


def gather_evidence_sync(claim_text: str, **kwargs: Any) -> EvidenceResult:
    """Run gather_evidence on a private event loop (for Celery tasks and commands).

    Not asyncio.run(): that joins the default thread pool on exit, so one fetch stuck in a thread would
    hold the caller past the deadline. The pool is given enough threads for the providers' API calls.
    """
    loop = asyncio.new_event_loop()
    loop.set_default_executor(ThreadPoolExecutor(max_workers=32, thread_name_prefix="evidence-api"))
    try:
        return loop.run_until_complete(gather_evidence(claim_text, **kwargs))
    finally:
        try:
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()  # shuts the default executor down without waiting
