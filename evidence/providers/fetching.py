"""The GET every provider makes to its own JSON API."""

from __future__ import annotations

from evidence.providers.base import provider_failure
from outbound.fetcher import FetchError, FetchPolicy, FetchResponse, afetch


async def fetch_api(url: str, *, policy: FetchPolicy, params: dict[str, str], service: str) -> FetchResponse:
    """The API's answer whatever its HTTP status (each provider reads its own error bodies); a fetch that
    fails (timeout, refused address, …) raises provider_failure's ProviderUnavailable / ProviderError."""
    try:
        return await afetch(
            url, policy=policy, params=params, accept="application/json", raise_for_status=False
        )
    except FetchError as exc:
        raise provider_failure(exc, service=service) from exc
