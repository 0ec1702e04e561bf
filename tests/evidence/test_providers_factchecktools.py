import asyncio

import pytest

from evidence.gathering import gather_evidence_sync
from evidence.providers.factchecktools import FactCheckToolsProvider
from evidence.providers.registry import build_providers
from tests.support.factchecktools import VALID_KEY, FactCheckToolsServer
from tests.support.loopback import provider_config

CLAIM = "The Eiffel Tower was completed in 1925"


@pytest.fixture
def fct():
    with FactCheckToolsServer() as server:
        yield server


def config_for(server, key=VALID_KEY, **kw):
    return provider_config(server, factchecktools_url=server.url, factchecktools_key=key, **kw)


def test_published_fact_check_becomes_a_candidate_with_its_rating(fct):
    provider = FactCheckToolsProvider(config_for(fct))
    candidates = asyncio.run(provider.search(CLAIM, language="en", queries=["Eiffel Tower completed 1925"]))
    (candidate,) = candidates
    assert candidate.url == "https://factcheck.example/eiffel-1925"
    assert candidate.rating == "False"
    assert candidate.publisher == "AFP Factuel"
    assert candidate.published_at is not None and candidate.published_at.year == 2024
    assert "Eiffel Tower was completed in 1925" in candidate.text
    request = fct.requests[0]
    assert request.path == "/v1alpha1/claims:search"
    assert request.query["key"] == VALID_KEY and request.query["languageCode"] == "en"
    assert request.query["query"] == "Eiffel Tower completed 1925"


def test_matching_fact_check_is_ranked_first_and_refutes(fct):
    config = config_for(fct)
    result = gather_evidence_sync(
        CLAIM, language="en", providers=[FactCheckToolsProvider(config)], config=config
    )
    assert result.reports[0].state == "ok"
    top = result.sources[0]
    assert top.provider == "factchecktools" and top.stance == "refutes"
    assert "False" in top.stance_reason


def test_no_match_is_no_results(fct):
    config = config_for(fct)
    result = gather_evidence_sync(
        "Kangaroos vote in Tasmania", language="en", providers=[FactCheckToolsProvider(config)], config=config
    )
    assert result.reports[0].state == "no_results"


@pytest.mark.parametrize(
    ("mode", "state"),
    [
        ("429", "quota_exhausted"),
        ("403_quota", "quota_exhausted"),
        ("400_key", "misconfigured"),
        ("403_disabled", "misconfigured"),
        ("500", "unavailable"),
        ("503", "unavailable"),
    ],
)
def test_failures_are_reported_per_kind(fct, mode, state):
    fct.mode = mode
    config = config_for(fct)
    result = gather_evidence_sync(
        CLAIM, language="en", providers=[FactCheckToolsProvider(config)], config=config
    )
    assert result.reports[0].state == state
    assert result.reports[0].detail


def test_wrong_key_is_misconfigured(fct):
    config = config_for(fct, key="wrong")
    result = gather_evidence_sync(
        CLAIM, language="en", providers=[FactCheckToolsProvider(config)], config=config
    )
    assert result.reports[0].state == "misconfigured"
    assert "API key not valid" in result.reports[0].detail


def test_missing_key_is_skipped_by_the_registry_and_misconfigured_when_forced(fct):
    config = config_for(fct, key="")
    assert build_providers(["factchecktools"], config) == []
    result = gather_evidence_sync(
        CLAIM, language="en", providers=[FactCheckToolsProvider(config)], config=config
    )
    assert result.reports[0].state == "misconfigured"
    assert fct.requests == []  # nothing was sent without a key


def test_hanging_api_is_unavailable_within_the_timeout(fct):
    fct.mode = "hang"
    config = config_for(fct, read_timeout=0.5, total_timeout=1.0, provider_timeout=5.0)
    result = gather_evidence_sync(
        CLAIM, language="en", providers=[FactCheckToolsProvider(config)], config=config
    )
    assert result.reports[0].state == "unavailable"
    assert result.reports[0].elapsed_ms < 2500
