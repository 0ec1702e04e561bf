"""The one small interface every evidence provider implements.

Plain Python, no Django: the Django glue builds a `ProviderConfig` from settings and hands it in.
A provider turns a claim into `Candidate`s and signals failures with exactly two exceptions:
`ProviderUnavailable` (transient: timeouts, 5xx — worth retrying later) and `ProviderError`
(permanent: quota exhausted, misconfigured, a response we cannot read). The orchestrator turns both into
a `ProviderReport`, so a failing provider is recorded, never a stack trace.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol, runtime_checkable
from urllib.parse import urlsplit

if TYPE_CHECKING:  # the fetcher imports nothing from here; the type is only needed for annotations
    from outbound.fetcher import FetchPolicy

logger = logging.getLogger(__name__)

ReportState = Literal["ok", "no_results", "unavailable", "quota_exhausted", "misconfigured", "error"]


@dataclass
class ProviderConfig:
    """Everything a provider and the orchestrator need, built by the Django glue from settings."""

    policy: FetchPolicy
    # Each provider's own settings, by provider name then option (see EvidenceProvider.settings); an option
    # missing here takes the provider class's default.
    options: dict[str, dict[str, Any]] = field(default_factory=dict)
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
    @property
    def name(self) -> str: ...

    async def search(self, claim_text: str, *, language: str, queries: list[str]) -> list[Candidate]: ...


@dataclass(frozen=True)
class OutboundNeeds:
    """The hosts and ports a provider's own API requests go to (its candidate pages use the plain policy)."""

    hosts: frozenset[str] = frozenset()
    ports: frozenset[int] = frozenset()


_REGISTRY: dict[str, type[EvidenceProvider]] = {}


class EvidenceProvider:
    """A provider declared in one class: subclassing with a `name` registers it (see `registered()`).

    - `name`: what FACTCHECK_PROVIDERS lists and what `Candidate.provider` says;
    - `weight`: a source's relevance is multiplied by it in ranking;
    - `settings`: its options with their defaults; option `url` is read from the Django setting (and the
      environment variable) FACTCHECK_<NAME>_URL, see `setting_name()`;
    - `required`: options that must be non-empty, else the registry skips the provider with a log line;
    - `outbound()`: the hosts and ports its API calls reach; by default those of its URL-valued options.
      `self.policy` is the fetch policy widened to exactly those (FetchPolicy.allowing), so an intranet
      SearxNG on port 8888 needs no global FACTCHECK_FETCH_ALLOW_PORTS;
    - `publishes_ratings`: its candidates are published fact-checks, ranked first when they match the claim;
    - `built_by_caller`: the Django side builds the instance (it reads the database) and passes it in.
    """

    name: ClassVar[str] = ""
    weight: ClassVar[float] = 0.8
    settings: ClassVar[Mapping[str, Any]] = {}
    required: ClassVar[tuple[str, ...]] = ()
    publishes_ratings: ClassVar[bool] = False
    built_by_caller: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.name:
            _REGISTRY[cls.name] = cls

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config
        self.options: dict[str, Any] = self.configured_options(config)
        self.policy: FetchPolicy = config.policy.allowing(self.outbound())

    @classmethod
    def setting_name(cls, option: str) -> str:
        return f"FACTCHECK_{cls.name.upper()}_{option.upper()}"

    @classmethod
    def configured_options(cls, config: ProviderConfig) -> dict[str, Any]:
        return {**cls.settings, **config.options.get(cls.name, {})}

    @classmethod
    def missing(cls, config: ProviderConfig) -> list[str]:
        """The settings of `required` options that are empty in `config`."""
        options = cls.configured_options(config)
        return [cls.setting_name(option) for option in cls.required if not options.get(option)]

    def outbound(self) -> OutboundNeeds:
        hosts: set[str] = set()
        ports: set[int] = set()
        for value in self.options.values():
            if not isinstance(value, str) or not value.startswith(("http://", "https://")):
                continue
            parts = urlsplit(value)
            try:
                port = parts.port or (443 if parts.scheme == "https" else 80)
            except ValueError:
                continue
            if parts.hostname:
                hosts.add(parts.hostname)
                ports.add(port)
        return OutboundNeeds(hosts=frozenset(hosts), ports=frozenset(ports))

    async def search(self, claim_text: str, *, language: str, queries: list[str]) -> list[Candidate]:
        raise NotImplementedError


def registered() -> dict[str, type[EvidenceProvider]]:
    """Every provider class defined so far, by name (evidence.providers.registry imports the built-in ones)."""
    return dict(_REGISTRY)


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


def parse_published(value: Any) -> datetime | None:
    """An ISO 8601 time as providers and pages give it ("…Z" included), aware (UTC when it names no zone);
    None for anything else."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
