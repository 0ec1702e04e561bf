"""Build the configured providers, in the order FACTCHECK_PROVIDERS names them."""

from __future__ import annotations

import logging

from evidence.providers.base import Provider, ProviderConfig
from evidence.providers.factchecktools import FactCheckToolsProvider
from evidence.providers.searxng import SearxNGProvider
from evidence.providers.wikipedia import WikipediaProvider

logger = logging.getLogger(__name__)

KNOWN = ("archive", "wikipedia", "factchecktools", "searxng")


def build_providers(
    names: list[str], config: ProviderConfig, extra: dict[str, Provider] | None = None
) -> list[Provider]:
    """Providers for `names`; a provider whose setting is missing is skipped with a log line, not an error.

    `extra` supplies instances built elsewhere (the archive provider reads the database, so the Django side
    builds it) and may override a built-in one by name.
    """
    extra = extra or {}
    providers: list[Provider] = []
    seen: set[str] = set()
    for raw in names:
        name = raw.strip().lower()
        if not name or name in seen:
            continue
        seen.add(name)
        if name in extra:
            providers.append(extra[name])
        elif name == "wikipedia":
            if config.wikipedia_api:
                providers.append(WikipediaProvider(config))
            else:
                logger.info("provider wikipedia skipped: FACTCHECK_WIKIPEDIA_API is empty")
        elif name == "factchecktools":
            if config.factchecktools_key:
                providers.append(FactCheckToolsProvider(config))
            else:
                logger.info("provider factchecktools skipped: FACTCHECK_FACTCHECKTOOLS_KEY is not set")
        elif name == "searxng":
            if config.searxng_url:
                providers.append(SearxNGProvider(config))
            else:
                logger.info("provider searxng skipped: FACTCHECK_SEARXNG_URL is not set")
        elif name == "archive":
            logger.info("provider archive skipped: no archive provider instance was passed in")
        else:
            logger.warning("provider %r skipped: unknown (known: %s)", name, ", ".join(KNOWN))
    return providers
