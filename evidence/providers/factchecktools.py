"""Published fact-checks from Google Fact Check Tools (`v1alpha1/claims:search`).

Each ClaimReview becomes one candidate whose text is the reviewed claim, the rating and the review title,
so ranking can tell whether the published check is about *this* claim.
"""

from __future__ import annotations

import logging
from typing import Any

from evidence.providers.base import (
    Candidate,
    EvidenceProvider,
    ProviderError,
    ProviderUnavailable,
    parse_published,
)
from evidence.providers.fetching import fetch_api
from outbound.fetcher import FetchError

logger = logging.getLogger(__name__)


def _google_error(status: int, data: Any) -> Exception:
    """Google's JSON error → quota_exhausted / misconfigured / bad_response / unavailable."""
    error = data.get("error") if isinstance(data, dict) else None
    error = error if isinstance(error, dict) else {}
    state = str(error.get("status", ""))
    message = str(error.get("message", ""))[:200]
    reasons = {str(d.get("reason", "")) for d in error.get("details") or [] if isinstance(d, dict)} | {
        str(e.get("reason", "")) for e in error.get("errors") or [] if isinstance(e, dict)
    }
    text = f"Fact Check Tools: HTTP {status} {state} {message}".strip()
    if status >= 500:
        return ProviderUnavailable(text)
    quota = (
        status == 429
        or state == "RESOURCE_EXHAUSTED"
        or "quota" in message.lower()
        or any("limit" in r.lower() or "quota" in r.lower() for r in reasons)
    )
    if quota and status in (403, 429):
        return ProviderError("quota_exhausted", text)
    if status in (400, 401, 403) and (
        "API_KEY_INVALID" in reasons
        or "key" in message.lower()
        or state in {"PERMISSION_DENIED", "UNAUTHENTICATED"}
        or "SERVICE_DISABLED" in reasons
    ):
        return ProviderError("misconfigured", text)
    if status == 404:
        return ProviderError("misconfigured", text)
    return ProviderError("bad_response", text)


class FactCheckToolsProvider(EvidenceProvider):
    name = "factchecktools"
    weight = 1.0
    # FACTCHECK_FACTCHECKTOOLS_KEY, FACTCHECK_FACTCHECKTOOLS_URL
    settings = {"key": "", "url": "https://factchecktools.googleapis.com/v1alpha1/claims:search"}
    required = ("key",)
    publishes_ratings = True

    async def search(self, claim_text: str, *, language: str, queries: list[str]) -> list[Candidate]:
        if not self.options["key"]:
            raise ProviderError("misconfigured", "FACTCHECK_FACTCHECKTOOLS_KEY is not set")
        candidates: list[Candidate] = []
        seen: set[str] = set()
        # Google's index is small and its matching strict: the most specific query that finds anything wins,
        # the broader ones are only tried while nothing was found.
        for query in queries or [claim_text]:
            for claim in await self._search(query, language):
                for review in claim.get("claimReview") or []:
                    url = review.get("url")
                    if not isinstance(url, str) or not url or url in seen:
                        continue
                    seen.add(url)
                    candidates.append(self._candidate(claim, review, query))
            if candidates:
                break
        return candidates[: self.config.max_results]

    def _candidate(self, claim: dict[str, Any], review: dict[str, Any], query: str) -> Candidate:
        publisher = review.get("publisher") or {}
        publisher_name = str(publisher.get("name") or publisher.get("site") or "")
        rating = str(review.get("textualRating") or "")
        claim_text = str(claim.get("text") or "")
        claimant = str(claim.get("claimant") or "")
        title = str(review.get("title") or claim_text)
        said = f"{claimant}: “{claim_text}”" if claimant else f"“{claim_text}”"
        text = f"{claim_text}\n\n{title}\n\nRated “{rating}” by {publisher_name}."
        return Candidate(
            url=review["url"],
            title=title,
            provider=self.name,
            query=query,
            publisher=publisher_name,
            published_at=parse_published(review.get("reviewDate")),
            snippet=f"{said} — rated “{rating}”",
            text=text,
            rating=rating,
            extra={
                "claim_text": claim_text,
                "claimant": claimant,
                "claim_date": claim.get("claimDate"),
                "site": publisher.get("site"),
                "language": review.get("languageCode"),
            },
        )

    async def _search(self, query: str, language: str) -> list[dict[str, Any]]:
        params = {
            "query": query,
            "pageSize": str(self.config.max_results),
            "key": self.options["key"],
        }
        if language:
            params["languageCode"] = language
        response = await fetch_api(
            str(self.options["url"]), policy=self.policy, params=params, service="Fact Check Tools"
        )
        try:
            data = response.json()
        except FetchError:
            data = None
        if response.status != 200:
            raise _google_error(response.status, data)
        if not isinstance(data, dict):
            raise ProviderError("bad_response", "Fact Check Tools: the API did not answer a JSON object")
        claims = data.get("claims") or []
        return [c for c in claims if isinstance(c, dict)]
