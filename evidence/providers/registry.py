"""Find the provider classes and build the configured ones, in the order FACTCHECK_PROVIDERS names them.

A provider is one class (a subclass of `EvidenceProvider`, see base.py) carrying its name, weight, settings
and outbound needs. Every module of this package is imported here, so a new module in
`evidence/providers/` is found without being listed; a provider defined elsewhere (the archive, which reads
the database, lives in `claims/`) registers when its module is imported.
"""

from __future__ import annotations

import functools
import importlib
import logging
import pkgutil

import evidence.providers
from evidence.providers.base import EvidenceProvider, Provider, ProviderConfig, registered

logger = logging.getLogger(__name__)

_BUILT_IN_SKIP = {"__init__", "base", "registry"}


@functools.cache
def _import_built_ins() -> None:
    for module in pkgutil.iter_modules(evidence.providers.__path__):
        if module.name not in _BUILT_IN_SKIP:
            importlib.import_module(f"evidence.providers.{module.name}")


def discover() -> dict[str, type[EvidenceProvider]]:
    """Every provider class: the modules of this package (imported once) and any other defined so far."""
    _import_built_ins()
    return registered()


def provider_class(name: str) -> type[EvidenceProvider] | None:
    return discover().get(name)


def _build(name: str, config: ProviderConfig) -> Provider | None:
    known = discover()
    cls = known.get(name)
    if cls is None:
        logger.warning("provider %r skipped: unknown (known: %s)", name, ", ".join(sorted(known)))
        return None
    if cls.built_by_caller:
        logger.info("provider %s skipped: no %s provider instance was passed in", name, name)
        return None
    missing = cls.missing(config)
    if missing:
        logger.info("provider %s skipped: %s is not set", name, ", ".join(missing))
        return None
    return cls(config)


def build_providers(
    names: list[str], config: ProviderConfig, extra: dict[str, Provider] | None = None
) -> list[Provider]:
    """Providers for `names`; a provider whose setting is missing is skipped with a log line, not an error.

    `extra` supplies instances built elsewhere (the archive provider reads the database, so the Django side
    builds it) and may override a registered one by name.
    """
    extra = extra or {}
    providers: list[Provider] = []
    seen: set[str] = set()
    for raw in names:
        name = raw.strip().lower()
        if not name or name in seen:
            continue
        seen.add(name)
        provider = extra[name] if name in extra else _build(name, config)
        if provider is not None:
            providers.append(provider)
    return providers
