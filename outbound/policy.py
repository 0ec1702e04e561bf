"""The outbound rules from Django settings, for the framework-free fetcher."""

from __future__ import annotations

from django.conf import settings

from outbound.fetcher import FetchPolicy


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
