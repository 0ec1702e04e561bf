"""How a claim's source search went, provider by provider: what was asked, what came back, and why a
provider failed (quota, timeout, DNS, connection, service down, misconfiguration, error), kept apart from
"searched and found nothing" (FIELD.md: search backends that fail loudly; a failed search is no evidence).

Read from what the search stored: Claim.provider_reports (one ProviderReport per provider: state, detail,
queries, count, elapsed) and the claim's sources (how many of each provider's results were kept after
ranking). The claim page and the API's claim detail both show it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from claims.models import Claim, ClaimStatus

FOUND = "found"
NOTHING_FOUND = "nothing_found"
FAILED = "failed"

# Why a provider failed, in the words a reviewer (and a lead deciding whether to re-run) needs.
FAILURES = {
    "quota": "quota exhausted",
    "timeout": "timed out",
    "dns": "name lookup failed",
    "connection": "could not connect",
    "unavailable": "service unavailable",
    "misconfigured": "not configured correctly",
    "error": "failed",
}
_TIMEOUT = re.compile(r"time(?:d)?[ _-]?out", re.IGNORECASE)
_DNS = re.compile(r"\bdns|name resolution|resolv|no addresses", re.IGNORECASE)
_CONNECTION = re.compile(r"connect|refused|reset|tls_error|ssl", re.IGNORECASE)


def failure_kind(state: str, detail: str) -> str | None:
    """The kind of failure a provider report records, None when the provider answered."""
    if state in ("ok", "no_results"):
        return None
    if state == "quota_exhausted" or "429" in detail:
        return "quota"
    if state == "misconfigured":
        return "misconfigured"
    if _TIMEOUT.search(detail):
        return "timeout"
    if _DNS.search(detail):
        return "dns"
    if _CONNECTION.search(detail):
        return "connection"
    return "unavailable" if state == "unavailable" else "error"


@dataclass(frozen=True)
class ProviderOutcome:
    provider: str
    outcome: str  # found, nothing_found or failed
    failure: str | None  # a FAILURES key when failed
    detail: str
    queries: list[str] = field(default_factory=list)
    candidates: int = 0  # results the provider returned
    kept: int = 0  # of them, sources kept for the claim after ranking
    elapsed_ms: int = 0

    @property
    def failure_wording(self) -> str:
        return FAILURES.get(self.failure or "", "")


@dataclass(frozen=True)
class SearchStory:
    status: str
    searched_at: datetime | None
    providers: list[ProviderOutcome]

    @property
    def failed(self) -> list[ProviderOutcome]:
        return [p for p in self.providers if p.outcome == FAILED]

    @property
    def running(self) -> bool:
        return self.status == ClaimStatus.PENDING

    @property
    def summary(self) -> str:
        """One line for the top of the sources: what was searched and what failed."""
        if self.running:
            return "The source search is running."
        if not self.providers:
            return "No provider was asked."
        found = sum(p.kept for p in self.providers)
        failed = self.failed
        asked = len(self.providers)
        line = f"{asked} provider{'s' if asked != 1 else ''} asked, {found} source{'s' if found != 1 else ''} kept"
        if failed:
            names = ", ".join(f"{p.provider} ({p.failure_wording})" for p in failed)
            line += f"; failed: {names} — these searched nothing, so a missing source there is not evidence"
        return line + "."


def search_story(claim: Claim, providers_of_sources: Iterable[str]) -> SearchStory:
    """The story of `claim`'s last search. `providers_of_sources` is the provider of each of its sources."""
    kept = Counter(providers_of_sources)
    outcomes = []
    for report in claim.provider_reports or []:
        state = str(report.get("state", ""))
        detail = str(report.get("detail", ""))
        count = int(report.get("count") or 0)
        failure = failure_kind(state, detail)
        outcome = FAILED if failure else (FOUND if count else NOTHING_FOUND)
        provider = str(report.get("provider", "?"))
        outcomes.append(
            ProviderOutcome(
                provider=provider,
                outcome=outcome,
                failure=failure,
                detail=detail,
                queries=[str(q) for q in report.get("queries") or []],
                candidates=count,
                kept=kept.get(provider, 0),
                elapsed_ms=int(report.get("elapsed_ms") or 0),
            )
        )
    return SearchStory(status=claim.status, searched_at=claim.sourced_at, providers=outcomes)
