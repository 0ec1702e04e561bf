import asyncio
import time

import pytest

from evidence.gathering import gather_evidence_sync
from evidence.providers.base import ProviderError, ProviderUnavailable
from evidence.providers.wikipedia import WikipediaProvider
from tests.support.loopback import provider_config
from tests.support.mediawiki import WIKI_CORPUS, MediaWikiServer

CLAIM = "Polar bears are a threatened species because of climate change"


@pytest.fixture
def wiki():
    with MediaWikiServer(WIKI_CORPUS) as server:
        yield server


def search(config, claim=CLAIM, language="en", queries=None):
    provider = WikipediaProvider(config)
    return asyncio.run(
        provider.search(claim, language=language, queries=queries or ["polar bear threatened species"])
    )


def test_finds_pages_with_full_extracts_and_urls(wiki):
    candidates = search(provider_config(wiki, wikipedia_api=wiki.api_template))
    assert candidates[0].title == "Polar bear"
    assert candidates[0].url == "https://en.wikipedia.org/wiki/Polar_bear"
    assert "threatened species under the Endangered Species Act" in candidates[0].text
    assert candidates[0].query == "polar bear threatened species"
    assert candidates[0].provider == "wikipedia"
    searches = [r for r in wiki.requests if r.query.get("list") == "search"]
    assert searches[0].path == "/en/w/api.php"
    assert searches[0].query["format"] == "json" and searches[0].query["formatversion"] == "2"
    reads = [r for r in wiki.requests if r.query.get("prop") == "extracts|info"]
    assert reads and all(r.query["explaintext"] == "1" and r.query["inprop"] == "url" for r in reads)
    assert all("|" not in r.query["titles"] for r in reads)  # one whole extract per request


def test_claim_language_wiki_first_then_english():
    corpora = {
        "de": {
            "Eisbär": "Der Eisbär ist eine Raubtierart. Der Eisbär gilt als gefährdet durch den Klimawandel."
        },
        "en": WIKI_CORPUS,
    }
    with MediaWikiServer(corpora=corpora) as server:
        config = provider_config(server, wikipedia_api=server.api_template, max_results=3)
        candidates = search(config, "Der Eisbär ist gefährdet", "de", ["Eisbär gefährdet", "polar bear"])
        assert candidates[0].title == "Eisbär" and candidates[0].url.startswith("https://de.wikipedia.org/")
        assert any(c.url.startswith("https://en.wikipedia.org/") for c in candidates[1:])
        paths = [r.path for r in server.requests]
        assert paths[0] == "/de/w/api.php" and "/en/w/api.php" in paths


def test_nothing_found_is_no_results(wiki):
    config = provider_config(wiki, wikipedia_api=wiki.api_template)
    assert search(config, "Zyxw qqq", queries=["zyxw qqq"]) == []
    result = gather_evidence_sync(
        "Zyxw qqq vvv", language="en", providers=[WikipediaProvider(config)], config=config
    )
    assert [(r.provider, r.state) for r in result.reports] == [("wikipedia", "no_results")]


@pytest.mark.parametrize(
    ("mode", "state"),
    [("503", "unavailable"), ("500", "unavailable"), ("429", "quota_exhausted"), ("badjson", "error")],
)
def test_failures_are_reported_per_kind(wiki, mode, state):
    wiki.mode = mode
    config = provider_config(wiki, wikipedia_api=wiki.api_template)
    result = gather_evidence_sync(CLAIM, language="en", providers=[WikipediaProvider(config)], config=config)
    (report,) = result.reports
    assert report.state == state
    assert report.detail and "Traceback" not in report.detail
    assert result.sources == []


def test_wrong_api_url_is_misconfigured(wiki):
    config = provider_config(wiki, wikipedia_api=f"{wiki.base_url}/nowhere/{{lang}}/api.php")
    with pytest.raises(ProviderError) as info:
        search(config)
    assert info.value.code == "misconfigured"


def test_hanging_api_costs_at_most_the_timeout(wiki):
    wiki.mode = "hang"
    config = provider_config(wiki, wikipedia_api=wiki.api_template, read_timeout=0.5, total_timeout=1.0)
    started = time.monotonic()
    with pytest.raises(ProviderUnavailable):
        search(config)
    assert time.monotonic() - started < 2.5
