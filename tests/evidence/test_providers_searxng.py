import asyncio

import pytest

from evidence.gathering import gather_evidence_sync
from evidence.providers.registry import build_providers
from evidence.providers.searxng import SearxNGProvider
from tests.support.loopback import provider_config
from tests.support.searxng import SearxNGServer

CLAIM = "Polar bears depend on sea ice and global warming is shrinking it"


@pytest.fixture
def searx():
    with SearxNGServer() as server:
        yield server


def test_results_become_candidates_then_pages_are_fetched_and_extracted(searx):
    config = provider_config(searx, searxng_url=searx.base_url)
    provider = SearxNGProvider(config)
    candidates = asyncio.run(provider.search(CLAIM, language="en", queries=["polar bears sea ice warming"]))
    assert candidates[0].url == searx.page_url("arctic-ice")
    assert candidates[0].text == ""  # the page is read by the orchestrator
    assert candidates[0].published_at is not None
    api = searx.requests[0]
    assert api.path == "/search" and api.query["format"] == "json" and api.query["language"] == "en"

    result = gather_evidence_sync(CLAIM, language="en", providers=[provider], config=config)
    top = result.sources[0]
    assert top.url == searx.page_url("arctic-ice") and top.provider == "searxng"
    assert "depend on sea ice" in top.passages[0]
    assert all("Cookie settings" not in p and "Subscribe" not in p for p in top.passages)  # boilerplate gone
    assert len(top.content_hash) == 64 and top.retrieved_at is not None


def test_nothing_found_is_no_results(searx):
    config = provider_config(searx, searxng_url=searx.base_url)
    result = gather_evidence_sync(
        "Zyxw qqq vvv", language="en", providers=[SearxNGProvider(config)], config=config
    )
    assert result.reports[0].state == "no_results"


@pytest.mark.parametrize(
    ("mode", "state"),
    [
        ("json_disabled", "misconfigured"),
        ("429", "quota_exhausted"),
        ("500", "unavailable"),
        ("503", "unavailable"),
    ],
)
def test_failures_are_reported_per_kind(searx, mode, state):
    searx.mode = mode
    config = provider_config(searx, searxng_url=searx.base_url)
    result = gather_evidence_sync(CLAIM, language="en", providers=[SearxNGProvider(config)], config=config)
    assert result.reports[0].state == state
    if mode == "json_disabled":
        assert "JSON format" in result.reports[0].detail


def test_missing_url_is_skipped_by_the_registry(searx):
    config = provider_config(searx, searxng_url="")
    assert build_providers(["searxng", "wikipedia"], config)[0].name == "wikipedia"
    result = gather_evidence_sync(CLAIM, language="en", providers=[SearxNGProvider(config)], config=config)
    assert result.reports[0].state == "misconfigured"


def test_unreadable_page_falls_back_to_the_snippet(searx):
    searx.hanging_pages = {"arctic-ice"}
    config = provider_config(searx, searxng_url=searx.base_url, page_timeout=0.5)
    result = gather_evidence_sync(CLAIM, language="en", providers=[SearxNGProvider(config)], config=config)
    source = next(s for s in result.sources if s.url == searx.page_url("arctic-ice"))
    assert source.extra["fetch_error"] == "timeout"
    assert source.passages
