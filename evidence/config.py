"""The evidence providers' configuration from Django settings."""

from __future__ import annotations

from django.conf import settings

from evidence.providers.base import ProviderConfig
from outbound.policy import fetch_policy


def provider_config() -> ProviderConfig:
    return ProviderConfig(
        policy=fetch_policy(),
        wikipedia_api=settings.FACTCHECK_WIKIPEDIA_API,
        searxng_url=settings.FACTCHECK_SEARXNG_URL,
        factchecktools_key=settings.FACTCHECK_FACTCHECKTOOLS_KEY,
        factchecktools_url=settings.FACTCHECK_FACTCHECKTOOLS_URL,
        max_results=settings.FACTCHECK_SOURCES_PER_CLAIM,
        rerank_k=settings.FACTCHECK_EVIDENCE_RERANK_K,
    )
