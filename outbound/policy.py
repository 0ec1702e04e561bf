"""The outbound rules from Django settings, for the framework-free fetcher."""

from __future__ import annotations

from django.conf import settings

from outbound.fetcher import FetchError, FetchPolicy, is_blocked_address


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


def allow_hint(error: FetchError) -> str | None:
    """Which setting would let the fetcher through, for an address or port it refused; None otherwise.

    It tells how the network is set up, so callers show it to staff or in development only (DEBUG), never to
    anonymous or ordinary API clients in production.
    """
    if error.code == "blocked_port" and error.port is not None:
        return f"Port {error.port} can be allowed with FACTCHECK_FETCH_ALLOW_PORTS={error.port}."
    if error.code == "blocked_address" and error.address is not None:
        network = f"{error.address}/{error.address.max_prefixlen}"
        if not is_blocked_address(error.address, FetchPolicy.build(allow_networks=[network])):
            return (
                f"The address can be allowed with FACTCHECK_FETCH_ALLOW_NETWORKS={network} (or its network)."
            )
    return None
