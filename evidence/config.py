"""The evidence providers' configuration from Django settings."""

from __future__ import annotations

from django.conf import settings

from evidence.providers.base import ProviderConfig
from evidence.providers.registry import discover
from outbound.policy import fetch_policy


def provider_options() -> dict[str, dict]:
    """Each registered provider's options, from its settings (FACTCHECK_<NAME>_<OPTION>) or its defaults."""
    return {
        name: {
            option: getattr(settings, cls.setting_name(option), default)
            for option, default in cls.settings.items()
        }
        for name, cls in discover().items()
    }


def provider_config() -> ProviderConfig:
    return ProviderConfig(
        policy=fetch_policy(),
        options=provider_options(),
        max_results=settings.FACTCHECK_SOURCES_PER_CLAIM,
        rerank_k=settings.FACTCHECK_EVIDENCE_RERANK_K,
    )
