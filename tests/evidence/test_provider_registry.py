"""A provider is one class: defined here, in a test module, it is found, configured from settings and used.

Nothing else is touched: no registry list, no ProviderConfig field, no weight table, no outbound setting.
The stand-in catalogue answers on a port that FACTCHECK_FETCH_ALLOW_PORTS does not list, at an address
FACTCHECK_FETCH_ALLOW_NETWORKS does not list: the provider's declared outbound needs (its configured URL)
let its own API calls through, and nothing else.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from evidence.config import provider_config
from evidence.gathering import gather_evidence_sync
from evidence.providers.base import Candidate, EvidenceProvider, ProviderError
from evidence.providers.registry import build_providers, discover
from evidence.ranking import provider_weight
from outbound.fetcher import FetchError, afetch, fetch
from tests.support.loopback import LoopbackServer, Request, Response, json_response

CLAIM = "The city library lends more than two million books every year"
RECORD = (
    "The city library lends more than two million books every year, according to its annual report. "
    "Loans rose again in 2024 as the branches extended their opening hours."
)


class CatalogueProvider(EvidenceProvider):
    """A library catalogue's JSON search: the whole provider, in one class."""

    name = "catalogue"
    weight = 0.95
    settings = {"url": "", "shelf": "all"}  # FACTCHECK_CATALOGUE_URL, FACTCHECK_CATALOGUE_SHELF
    required = ("url",)

    async def search(self, claim_text: str, *, language: str, queries: list[str]) -> list[Candidate]:
        base = str(self.options["url"]).rstrip("/")
        try:
            response = await afetch(
                f"{base}/find",
                policy=self.policy,
                params={"q": (queries or [claim_text])[0], "shelf": str(self.options["shelf"])},
                accept="application/json",
            )
        except FetchError as exc:
            raise ProviderError("bad_response", f"catalogue: {exc.code}") from exc
        return [
            Candidate(url=r["url"], title=r["title"], provider=self.name, query=claim_text, text=r["text"])
            for r in response.json()["records"]
        ]


class CatalogueServer(LoopbackServer):
    def route(self, request: Request) -> Response:
        if request.path != "/find":
            return json_response(404, {"error": "not found"})
        record = {"url": f"{self.base_url}/record/1", "title": "Annual report", "text": RECORD}
        return json_response(200, {"records": [record]})


@pytest.fixture
def catalogue():
    with CatalogueServer() as server:
        yield server


@pytest.fixture
def closed_policy(settings):
    """The global outbound policy reaches no private address and no extra port."""
    settings.FACTCHECK_FETCH_ALLOW_NETWORKS = []
    settings.FACTCHECK_FETCH_ALLOW_PORTS = []
    settings.FACTCHECK_FETCH_TOTAL_TIMEOUT = 3.0
    return settings


def test_a_provider_class_is_found_configured_from_settings_and_used(catalogue, closed_policy):
    closed_policy.FACTCHECK_CATALOGUE_URL = catalogue.base_url
    closed_policy.FACTCHECK_CATALOGUE_SHELF = "reports"
    assert discover()["catalogue"] is CatalogueProvider
    config = provider_config()
    (provider,) = build_providers(["catalogue"], config)
    assert isinstance(provider, CatalogueProvider)
    assert provider.options == {"url": catalogue.base_url, "shelf": "reports"}

    result = gather_evidence_sync(CLAIM, language="en", providers=[provider], config=config)
    assert result.reports[0].state == "ok"
    (source,) = result.sources
    assert source.provider == "catalogue" and "two million books" in source.passages[0]
    assert catalogue.requests[0].query["shelf"] == "reports" and "library" in catalogue.requests[0].query["q"]
    # Ranking reads the class's weight: the same passages from an unknown provider rank lower.
    assert provider_weight("catalogue") == 0.95 and provider_weight("nobody") == 0.8
    assert 0 < source.relevance <= 0.95


def test_outbound_needs_open_the_providers_own_service_and_nothing_else(catalogue, closed_policy):
    closed_policy.FACTCHECK_CATALOGUE_URL = catalogue.base_url
    config = provider_config()
    (provider,) = build_providers(["catalogue"], config)
    assert provider.outbound().hosts == {catalogue.host} and provider.outbound().ports == {catalogue.port}
    with pytest.raises(FetchError) as blocked:
        fetch(f"{catalogue.base_url}/find", policy=config.policy)  # the global policy: still closed
    assert blocked.value.code in {"blocked_address", "blocked_port"}
    assert asyncio.run(provider.search(CLAIM, language="en", queries=[]))[0].title == "Annual report"


def test_a_provider_without_its_required_setting_is_skipped_with_the_setting_named(closed_policy, caplog):
    closed_policy.FACTCHECK_CATALOGUE_URL = ""
    with caplog.at_level(logging.INFO, logger="evidence.providers.registry"):
        assert build_providers(["catalogue"], provider_config()) == []
    assert "FACTCHECK_CATALOGUE_URL is not set" in caplog.text


def test_an_unset_option_takes_the_class_default(catalogue, closed_policy):
    closed_policy.FACTCHECK_CATALOGUE_URL = catalogue.base_url
    options: dict[str, Any] = build_providers(["catalogue"], provider_config())[0].options
    assert options["shelf"] == "all"
