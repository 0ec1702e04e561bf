"""Glue between Django settings and the framework-free fetcher and providers."""

from __future__ import annotations

from django.conf import settings

from claims.fetcher import FetchPolicy
from claims.providers.base import ProviderConfig


def fetch_policy() -> FetchPolicy:
    """The outbound rules from settings (cheap to build, so tests can override settings)."""
    return FetchPolicy.build(
        allow_networks=settings.FACTCHECK_FETCH_ALLOW_NETWORKS,
        allow_ports=settings.FACTCHECK_FETCH_ALLOW_PORTS,
        connect_timeout=settings.FACTCHECK_FETCH_CONNECT_TIMEOUT,
        read_timeout=settings.FACTCHECK_FETCH_READ_TIMEOUT,
        total_timeout=settings.FACTCHECK_FETCH_TOTAL_TIMEOUT,
        max_bytes=settings.FACTCHECK_FETCH_MAX_BYTES,
        user_agent=settings.FACTCHECK_FETCH_USER_AGENT,
    )


def provider_config() -> ProviderConfig:
    return ProviderConfig(
        policy=fetch_policy(),
        wikipedia_api=settings.FACTCHECK_WIKIPEDIA_API,
        searxng_url=settings.FACTCHECK_SEARXNG_URL,
        factchecktools_key=settings.FACTCHECK_FACTCHECKTOOLS_KEY,
        factchecktools_url=settings.FACTCHECK_FACTCHECKTOOLS_URL,
        max_results=settings.FACTCHECK_SOURCES_PER_CLAIM,
    )
