"""Wikipedia through the MediaWiki Action API: `list=search` to find pages, `prop=extracts` to read them.

The claim language's wiki first (FACTCHECK_WIKIPEDIA_API with `{lang}`), then the fallback language's
(English) when the first gave fewer than `read_pages` pages. Full plain-text extracts are requested one
title per call because TextExtracts returns only one whole-article extract per request.

CirrusSearch requires every word of a query to match unless the query says `OR`. A claim's keyword
queries are therefore long AND queries that often match nothing (a sentence rarely shares all its words
with one page), so next to them we send one OR query over all the claim's content words, which BM25 ranks
by how many rare claim words a page has. On the Climate-FEVER evaluation (docs/evidence-quality.md) the OR
query finds the gold article for far more claims than the AND queries do.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import re
from typing import Any

from evidence.providers.base import (
    Candidate,
    EvidenceProvider,
    ProviderError,
    ProviderUnavailable,
    json_object,
)
from evidence.providers.fetching import fetch_api
from textkit.terms import normalize_language, tokenize

logger = logging.getLogger(__name__)

RRF_K = 3  # reciprocal-rank fusion constant: small, so the top hits of each query dominate
API_CONCURRENCY = 4  # requests in flight per claim and wiki: Wikimedia asks API clients to be considerate
MAX_OR_TERMS = 16  # CirrusSearch rejects very long queries (300 characters); claims rarely have more words
_TAGS = re.compile(r"<[^>]+>")
# MediaWiki error codes that mean "try again later" rather than "we asked wrongly".
_TRANSIENT_ERRORS = {"maxlag", "readonly", "internal_api_error_DBQueryError", "timeout"}


class WikipediaProvider(EvidenceProvider):
    name = "wikipedia"
    weight = 0.9
    settings = {"api": "https://{lang}.wikipedia.org/w/api.php"}  # FACTCHECK_WIKIPEDIA_API
    required = ("api",)

    async def search(self, claim_text: str, *, language: str, queries: list[str]) -> list[Candidate]:
        languages = [normalize_language(language)]
        if self.config.fallback_language not in languages:
            languages.append(self.config.fallback_language)
        candidates: list[Candidate] = []
        wanted = max(self.config.max_results, self.config.read_pages)
        for index, lang in enumerate(languages):
            if len(candidates) >= wanted:
                break
            try:
                candidates += await self._search_wiki(lang, claim_text, queries, wanted - len(candidates))
            except (ProviderError, ProviderUnavailable) as exc:
                if index == 0 or not candidates:
                    raise
                # The fallback wiki failing does not undo what the claim's own wiki found.
                logger.info("wikipedia fallback %s failed: %s", lang, exc)
        return candidates

    async def _search_wiki(
        self, lang: str, claim_text: str, queries: list[str], limit: int
    ) -> list[Candidate]:
        api = str(self.options["api"]).replace("{lang}", lang)
        # The claim's AND queries (most specific first) plus one OR query over all its content words (see
        # the module docstring), all concurrently; their hit lists are fused by reciprocal rank, so a page
        # found by several queries comes first.
        words = [w for w in dict.fromkeys(tokenize(claim_text, lang)) if not w[0].isdigit()][:MAX_OR_TERMS]
        attempts = list(dict.fromkeys([*queries, *([" OR ".join(words)] if len(words) > 1 else [])]))
        srlimit = max(limit, self.config.search_limit)
        gate = asyncio.Semaphore(API_CONCURRENCY)  # per call: a provider instance outlives event loops
        answers = await asyncio.gather(
            *(self._search_titles(api, query, srlimit, gate) for query in attempts)
        )
        fused: dict[str, float] = {}
        hits: dict[str, tuple[str, dict[str, Any]]] = {}  # title -> (query that ranked it best, search hit)
        best_rank: dict[str, int] = {}
        for query, results in zip(attempts, answers, strict=True):
            for rank, hit in enumerate(results):
                title = hit["title"]
                fused[title] = fused.get(title, 0.0) + 1.0 / (RRF_K + rank)
                if rank < best_rank.get(title, 1 << 30):
                    best_rank[title] = rank
                    hits[title] = (query, hit)
        chosen = sorted(fused, key=lambda t: -fused[t])[:limit]
        hits = {title: hits[title] for title in chosen}
        if not hits:
            return []
        pages = await asyncio.gather(*(self._extract(api, title, gate) for title in hits))
        out = []
        for (title, (query, hit)), page in zip(hits.items(), pages, strict=True):
            if page is None or not page.get("extract"):
                continue
            out.append(
                Candidate(
                    url=page.get("canonicalurl") or page.get("fullurl") or "",
                    title=page.get("title") or title,
                    provider=self.name,
                    query=query,
                    publisher=f"Wikipedia ({lang})",
                    snippet=html.unescape(_TAGS.sub("", hit.get("snippet") or "")),
                    text=page["extract"],
                    extra={
                        "language": lang,
                        "touched": page.get("touched"),
                        "revision": page.get("lastrevid"),
                    },
                )
            )
        return [c for c in out if c.url]

    async def _search_titles(
        self, api: str, query: str, limit: int, gate: asyncio.Semaphore | None = None
    ) -> list[dict[str, Any]]:
        data = await self._call(
            gate,
            api,
            {
                "action": "query",
                "list": "search",
                "srsearch": query,
                "srlimit": str(limit),
                "srprop": "snippet|timestamp",
                "format": "json",
                "formatversion": "2",
            },
        )
        return [
            hit
            for hit in (data.get("query") or {}).get("search") or []
            if isinstance(hit, dict) and isinstance(hit.get("title"), str)
        ]

    async def _extract(
        self, api: str, title: str, gate: asyncio.Semaphore | None = None
    ) -> dict[str, Any] | None:
        data = await self._call(
            gate,
            api,
            {
                "action": "query",
                "prop": "extracts|info",
                "explaintext": "1",
                "inprop": "url",
                "redirects": "1",
                "titles": title,
                "format": "json",
                "formatversion": "2",
            },
        )
        for page in (data.get("query") or {}).get("pages") or []:
            if not page.get("missing") and not page.get("invalid"):
                return page
        return None

    async def _call(self, gate: asyncio.Semaphore | None, api: str, params: dict[str, str]) -> dict[str, Any]:
        async with gate or contextlib.nullcontext():
            response = await fetch_api(api, policy=self.policy, params=params, service="Wikipedia")
        if response.status == 429:
            raise ProviderError("quota_exhausted", "Wikipedia: HTTP 429 too many requests")
        if response.status >= 500:
            raise ProviderUnavailable(f"Wikipedia: HTTP {response.status}")
        if response.status in (401, 403, 404):
            raise ProviderError("misconfigured", f"Wikipedia: HTTP {response.status} from {api}")
        if response.status != 200:
            raise ProviderError("bad_response", f"Wikipedia: HTTP {response.status}")
        data = json_object(response, service="Wikipedia", what="the API")
        error = data.get("error")
        if isinstance(error, dict):
            code = str(error.get("code", ""))
            info = str(error.get("info", ""))[:200]
            if code == "ratelimited":
                raise ProviderError("quota_exhausted", f"Wikipedia: {code}: {info}")
            if code in _TRANSIENT_ERRORS:
                raise ProviderUnavailable(f"Wikipedia: {code}: {info}")
            raise ProviderError("bad_response", f"Wikipedia: {code}: {info}")
        return data
