"""The one small interface every evidence provider implements.

Plain Python, no Django: the Django glue builds a `ProviderConfig` from settings and hands it in.
A provider turns a claim into `Candidate`s and signals failures with exactly two exceptions:
`ProviderUnavailable` (transient: timeouts, 5xx — worth retrying later) and `ProviderError`
(permanent: quota exhausted, misconfigured, a response we cannot read). The orchestrator turns both into
a `ProviderReport`, so a failing provider is recorded, never a stack trace.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:  # the fetcher imports nothing from here; the type is only needed for annotations
    from outbound.fetcher import FetchPolicy

logger = logging.getLogger(__name__)

ReportState = Literal["ok", "no_results", "unavailable", "quota_exhausted", "misconfigured", "error"]


@dataclass
class ProviderConfig:
    """Everything a provider and the orchestrator need, built by the Django glue from settings."""

    policy: FetchPolicy
    wikipedia_api: str = "https://{lang}.wikipedia.org/w/api.php"
    searxng_url: str = ""
    factchecktools_key: str = ""
    factchecktools_url: str = "https://factchecktools.googleapis.com/v1alpha1/claims:search"
    max_results: int = 5
    # Search engines with an API (Wikipedia): hits asked per query, and pages read per wiki. Reading more
    # pages than we keep lets passage ranking, not the engine's whole-page score, pick the evidence.
    search_limit: int = 10
    read_pages: int = 10
    # Orchestration knobs (extensions of the brief's interface, all with safe defaults).
    max_queries: int = 3
    provider_timeout: float = 15.0  # one provider's whole search, all its API calls
    page_timeout: float = 10.0  # one candidate page fetch, on top of the fetch policy's own timeouts
    max_concurrency: int = 64  # candidate pages fetched at once, all hosts together (threads, I/O-bound)
    per_host_concurrency: int = 4  # candidate pages fetched at once from one host
    max_sources: int = 20  # ranked sources returned per claim
    max_passages: int = 3  # best passages kept per source
    rerank_k: int = 0  # lexical top passages per claim the encoder re-ranks (0: lexical order only)
    fallback_language: str = "en"  # Wikipedia: the claim language's wiki first, then this one


@dataclass
class Candidate:
    """One source found by a provider, before ranking."""

    url: str
    title: str
    provider: str
    query: str
    publisher: str = ""
    published_at: datetime | None = None
    snippet: str = ""
    text: str = ""  # full text if the provider already has it; otherwise the page is fetched later
    rating: str = ""  # a published fact-check's textual rating (factchecktools)
    extra: dict[str, Any] = field(default_factory=dict)


class ProviderUnavailable(Exception):
    """Transient failure (timeout, connection error, 5xx): reported as `unavailable`."""


class ProviderError(Exception):
    """Permanent failure: `code` is `quota_exhausted`, `misconfigured` or `bad_response`."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(message or code)
        self.code = code
        self.message = message or code


@dataclass
class ProviderReport:
    """What one provider did for one claim."""

    provider: str
    state: ReportState
    detail: str = ""
    queries: list[str] = field(default_factory=list)
    count: int = 0
    elapsed_ms: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "state": self.state,
            "detail": self.detail,
            "queries": list(self.queries),
            "count": self.count,
            "elapsed_ms": self.elapsed_ms,
        }


@runtime_checkable
class Provider(Protocol):
    name: str

    async def search(self, claim_text: str, *, language: str, queries: list[str]) -> list[Candidate]: ...


def provider_failure(exc: Exception, *, service: str) -> Exception:
    """Translate a fetcher error into ProviderUnavailable / ProviderError (the caller raises it).

    Duck-typed on FetchError's attributes (code, transient, status) so this module needs no import of the
    fetcher at run time. 429 is a quota problem, not an outage: retrying soon would only burn more quota.
    """
    code = getattr(exc, "code", "") or type(exc).__name__
    status = getattr(exc, "status", None)
    message = getattr(exc, "message", "") or str(exc)
    if status == 429 or code == "http_429":
        return ProviderError("quota_exhausted", f"{service}: HTTP 429 too many requests")
    if getattr(exc, "transient", False) or (status is not None and status >= 500):
        return ProviderUnavailable(f"{service}: {code}")
    if code in {"blocked_address", "blocked_port", "unsupported_scheme", "invalid_url"}:
        return ProviderError("misconfigured", f"{service}: {code} ({message})")
    return ProviderError("bad_response", f"{service}: {code}")


def json_object(response: Any, *, service: str, what: str) -> dict:
    """The response body as a JSON object, or ProviderError("bad_response") saying what was wrong."""
    try:
        data = response.json()
    except Exception as exc:  # FetchError("invalid_response"); duck-typed like provider_failure above
        raise ProviderError("bad_response", f"{service}: {what} did not answer JSON") from exc
    if not isinstance(data, dict):
        raise ProviderError("bad_response", f"{service}: unexpected JSON")
    return data
