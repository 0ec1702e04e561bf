"""The web through a SearxNG instance's JSON API (`/search?format=json`).

SearxNG gives URLs, titles and snippets; the pages themselves are fetched and their main text extracted by
the evidence orchestrator, concurrently with every other candidate page of the claim.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from evidence.providers.base import (
    Candidate,
    EvidenceProvider,
    ProviderError,
    ProviderUnavailable,
    json_object,
    parse_published,
)
from evidence.providers.fetching import fetch_api

logger = logging.getLogger(__name__)


class SearxNGProvider(EvidenceProvider):
    name = "searxng"
    weight = 0.85
    settings = {"url": ""}  # FACTCHECK_SEARXNG_URL
    required = ("url",)

    async def search(self, claim_text: str, *, language: str, queries: list[str]) -> list[Candidate]:
        base = str(self.options["url"]).rstrip("/")
        if not base:
            raise ProviderError("misconfigured", "FACTCHECK_SEARXNG_URL is not set")
        candidates: list[Candidate] = []
        seen: set[str] = set()
        for query in queries or [claim_text]:
            if len(candidates) >= self.config.max_results:
                break
            for result in await self._search(base, query, language):
                url = result.get("url")
                if not isinstance(url, str) or not url.startswith(("http://", "https://")) or url in seen:
                    continue
                seen.add(url)
                candidates.append(
                    Candidate(
                        url=url,
                        title=str(result.get("title") or ""),
                        provider=self.name,
                        query=query,
                        publisher=urlsplit(url).hostname or "",
                        published_at=parse_published(result.get("publishedDate")),
                        snippet=str(result.get("content") or ""),
                        extra={"engines": result.get("engines") or [result.get("engine")]},
                    )
                )
                if len(candidates) >= self.config.max_results:
                    break
        return candidates

    async def _search(self, base: str, query: str, language: str) -> list[dict[str, Any]]:
        params = {"q": query, "format": "json", "pageno": "1", "safesearch": "0"}
        if language:
            params["language"] = language
        response = await fetch_api(f"{base}/search", policy=self.policy, params=params, service="SearxNG")
        if response.status == 403:
            raise ProviderError(
                "misconfigured",
                "SearxNG: 403 Forbidden — enable the JSON format (search.formats: [html, json]) on the instance",
            )
        if response.status == 429:
            raise ProviderError("quota_exhausted", "SearxNG: 429 rate limited by the instance's limiter")
        if response.status >= 500:
            raise ProviderUnavailable(f"SearxNG: HTTP {response.status}")
        if response.status == 404:
            raise ProviderError("misconfigured", f"SearxNG: HTTP 404 — is {base} a SearxNG instance?")
        if response.status != 200:
            raise ProviderError("bad_response", f"SearxNG: HTTP {response.status}")
        data = json_object(response, service="SearxNG", what="the instance")
        results = [r for r in data.get("results") or [] if isinstance(r, dict)]
        if not results and data.get("unresponsive_engines"):
            engines = ", ".join(
                str(e[0]) if isinstance(e, list) else str(e) for e in data["unresponsive_engines"]
            )
            raise ProviderUnavailable(f"SearxNG: no results, engines unresponsive: {engines}"[:200])
        return results
