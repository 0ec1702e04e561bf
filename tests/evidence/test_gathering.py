import asyncio
import threading
import time
import uuid

import pytest
import trafilatura
from django.core.cache import cache, caches

from evidence.gathering import (
    SharedPageCache,
    extract_evidence_text,
    fetch_pages,
    gather_evidence,
    gather_evidence_sync,
)
from evidence.providers.base import Candidate
from evidence.providers.factchecktools import FactCheckToolsProvider
from evidence.providers.registry import build_providers
from evidence.providers.searxng import SearxNGProvider
from tests.support.factchecktools import VALID_KEY, FactCheckToolsServer
from tests.support.loopback import provider_config
from tests.support.mediawiki import WIKI_CORPUS, MediaWikiServer
from tests.support.pages import PAGES_DIR, manifest
from tests.support.searxng import SearxNGServer

CLAIM = "Polar bears are going extinct because of global warming"


class FakeArchive:
    """Stands in for the database-backed archive provider: candidates that already carry their text."""

    name = "archive"

    def __init__(self, candidates=(), error=None):
        self.candidates = list(candidates)
        self.error = error

    async def search(self, claim_text, *, language, queries):
        if self.error:
            raise self.error
        return [
            Candidate(url=c["url"], title=c["title"], provider=self.name, query=queries[0], text=c["text"])
            for c in self.candidates
        ]


ARCHIVE = [
    {
        "url": "https://news.example/2023/polar-bears",
        "title": "Polar bears and the melting Arctic",
        "text": "Polar bears are going extinct in parts of the Arctic because global warming melts the sea ice. "
        "Our reporters visited Svalbard.",
    }
]


@pytest.fixture
def services():
    with MediaWikiServer(WIKI_CORPUS) as wiki, FactCheckToolsServer() as fct, SearxNGServer() as searx:
        config = provider_config(
            wiki,
            fct,
            searx,
            wikipedia_api=wiki.api_template,
            searxng_url=searx.base_url,
            factchecktools_url=fct.url,
            factchecktools_key=VALID_KEY,
        )
        yield wiki, fct, searx, config


def providers_for(config, archive=None):
    names = ["archive", "wikipedia", "factchecktools", "searxng"]
    return build_providers(names, config, extra={"archive": archive or FakeArchive(ARCHIVE)})


def test_all_providers_ranked_in_one_list_with_fact_checks_first(services):
    _, _, _, config = services
    result = gather_evidence_sync(CLAIM, language="en", providers=providers_for(config), config=config)
    assert {r.provider: r.state for r in result.reports} == {
        "archive": "ok",
        "wikipedia": "ok",
        "factchecktools": "ok",
        "searxng": "ok",
    }
    assert result.sources[0].provider == "factchecktools"
    assert result.sources[0].stance == "supports"  # rated "Mostly true"
    assert {s.provider for s in result.sources} == {"archive", "wikipedia", "factchecktools", "searxng"}
    relevances = [s.relevance for s in result.sources[1:]]
    assert relevances == sorted(relevances, reverse=True)
    for source in result.sources:
        report = next(r for r in result.reports if r.provider == source.provider)
        assert source.query in report.queries
        assert 1 <= len(source.passages) <= 3 and all(len(p) <= 800 for p in source.passages)
        assert source.stance in {"supports", "refutes", "unclear"} and source.stance_reason
        assert len(source.content_hash) == 64


def test_one_provider_failing_does_not_stop_the_others(services):
    wiki, fct, _, config = services
    wiki.mode = "500"
    fct.mode = "hang"
    config.provider_timeout = 1.0
    started = time.monotonic()
    result = gather_evidence_sync(
        CLAIM, language="en", providers=providers_for(config), config=config, deadline=10
    )
    assert time.monotonic() - started < 4
    states = {r.provider: r.state for r in result.reports}
    assert states == {
        "archive": "ok",
        "wikipedia": "unavailable",
        "factchecktools": "unavailable",
        "searxng": "ok",
    }
    assert {s.provider for s in result.sources} == {"archive", "searxng"}


def test_a_provider_bug_is_recorded_not_raised(services):
    _, _, _, config = services
    broken = FakeArchive(error=KeyError("oops"))
    result = gather_evidence_sync(
        CLAIM, language="en", providers=providers_for(config, broken), config=config
    )
    report = next(r for r in result.reports if r.provider == "archive")
    assert report.state == "error" and "KeyError" in report.detail
    assert result.sources


def test_a_hanging_source_costs_at_most_its_timeout(services):
    _, _, searx, config = services
    searx.hanging_pages = {"arctic-ice"}
    config.page_timeout = 0.8
    started = time.monotonic()
    result = gather_evidence_sync(CLAIM, language="en", providers=[SearxNGProvider(config)], config=config)
    assert time.monotonic() - started < 0.8 + 1.5
    assert result.reports[0].state == "ok"


def test_the_claim_deadline_bounds_everything(services):
    _, fct, searx, config = services
    fct.mode = "hang"
    searx.hanging_pages = {"arctic-ice", "paris-landmarks"}
    config.provider_timeout = 30
    config.page_timeout = 30
    providers = [FactCheckToolsProvider(config), SearxNGProvider(config)]
    started = time.monotonic()
    result = gather_evidence_sync(CLAIM, language="en", providers=providers, config=config, deadline=2.0)
    assert time.monotonic() - started < 3.5
    assert {r.provider: r.state for r in result.reports}["factchecktools"] == "unavailable"


def test_each_url_is_fetched_once_per_article(services):
    _, _, searx, config = services
    cache: dict = {}
    providers = [SearxNGProvider(config)]
    for claim in (CLAIM, "Polar bear populations could decline sharply by 2050 if warming continues"):
        result = gather_evidence_sync(
            claim, language="en", providers=providers, config=config, page_cache=cache
        )
        assert any(s.url == searx.page_url("arctic-ice") for s in result.sources)
    page_requests = [r.path for r in searx.requests if r.path.startswith("/page/")]
    assert page_requests.count("/page/arctic-ice") == 1


def test_the_articles_own_site_is_excluded(services):
    _, _, _, config = services
    archive = FakeArchive(ARCHIVE + [{**ARCHIVE[0], "url": "https://other.example/bears", "title": "Other"}])
    result = gather_evidence_sync(
        CLAIM,
        language="en",
        providers=[archive],
        config=config,
        exclude_site="https://www.news.example/2024/today",
    )
    assert [s.url for s in result.sources] == ["https://other.example/bears"]


def test_duplicate_urls_from_two_providers_become_one_source(services):
    _, _, _, config = services
    twice = [
        FakeArchive(ARCHIVE),
        FakeArchive([{**ARCHIVE[0], "url": "https://news.example/2023/polar-bears?utm_source=x"}]),
    ]
    result = gather_evidence_sync(CLAIM, language="en", providers=twice, config=config)
    assert len(result.sources) == 1


def test_runs_inside_an_existing_event_loop(services):
    _, _, _, config = services
    result = asyncio.run(
        gather_evidence(CLAIM, language="en", providers=[FakeArchive(ARCHIVE)], config=config)
    )
    assert result.sources[0].provider == "archive"


def test_registry_keeps_order_and_skips_what_is_not_configured(services, caplog):
    _, _, _, config = services
    config.options["searxng"]["url"] = ""
    names = [
        p.name
        for p in build_providers(["searxng", "wikipedia", "archive", "bogus", "factchecktools"], config)
    ]
    assert names == ["wikipedia", "factchecktools"]
    assert "searxng skipped" in caplog.text and "bogus" in caplog.text


def test_two_claims_of_one_article_fetch_a_shared_url_once_across_workers(services):
    """Each claim is its own Celery task: the Redis-backed cache, not a dict, must dedupe the fetches."""
    _, _, searx, config = services
    namespace = f"page:test-{uuid.uuid4().hex}"
    providers = [SearxNGProvider(config)]
    claims = (CLAIM, "Polar bear populations could decline sharply by 2050 if warming continues")
    for claim in claims:  # a fresh SharedPageCache per claim, as in two separate tasks
        result = gather_evidence_sync(
            claim,
            language="en",
            providers=providers,
            config=config,
            page_cache=SharedPageCache(cache, namespace),
        )
        assert any(s.url == searx.page_url("arctic-ice") for s in result.sources)
    page_requests = [r.path for r in searx.requests if r.path.startswith("/page/")]
    assert page_requests.count("/page/arctic-ice") == 1


def test_concurrent_claims_wait_for_the_page_another_task_is_fetching(services):
    _, _, searx, config = services
    searx.page_delay = 0.5
    namespace = f"page:test-{uuid.uuid4().hex}"
    providers = [SearxNGProvider(config)]

    async def both():
        return await asyncio.gather(
            *(
                gather_evidence(
                    claim,
                    language="en",
                    providers=providers,
                    config=config,
                    page_cache=SharedPageCache(cache, namespace),
                )
                for claim in (CLAIM, "Polar bears lose their sea ice habitat as the Arctic warms")
            )
        )

    results = asyncio.run(both())
    assert all(any(s.url == searx.page_url("arctic-ice") for s in r.sources) for r in results)
    page_requests = [r.path for r in searx.requests if r.path.startswith("/page/")]
    assert page_requests.count("/page/arctic-ice") == 1


def test_pages_are_read_and_cut_into_passages_as_they_arrive(services):
    """on_page runs in a fetch thread as soon as a page is in, not after the slowest page (P4)."""
    _, _, searx, config = services
    searx.hanging_pages = {"paris-landmarks"}
    config.page_timeout = 1.0
    urls = [searx.page_url("arctic-ice"), searx.page_url("paris-landmarks")]
    seen: dict[str, tuple[float, str, str]] = {}

    def on_page(url, page):
        seen[url] = (time.monotonic(), threading.current_thread().name, page.text)

    async def run():
        loop = asyncio.get_running_loop()
        started = time.monotonic()
        pages = await fetch_pages(urls, config=config, page_cache={}, until=loop.time() + 10, on_page=on_page)
        return started, time.monotonic(), pages, threading.current_thread().name

    started, ended, pages, loop_thread = asyncio.run(run())
    assert ended - started >= 1.0  # the hanging page was waited for up to its timeout …
    assert pages[urls[1]].error == "timeout"
    assert list(seen) == [urls[0]]  # … but not for the other page's callback, nor for a timed-out page
    at, thread, text = seen[urls[0]]
    assert at - started < 0.8
    assert thread != loop_thread and thread.startswith("evidence-fetch")
    assert text == pages[urls[0]].text and "sea ice" in text


class RecordingBackend:
    """django's cache, recording which thread makes each call (the event loop must make one round trip)."""

    def __init__(self, backend):
        self.backend = backend
        self.calls: list[tuple[str, str]] = []

    def _record(self, name):
        self.calls.append((name, threading.current_thread().name))

    def get(self, key, default=None):
        self._record("get")
        return self.backend.get(key, default)

    def get_many(self, keys):
        self._record("get_many")
        return self.backend.get_many(keys)

    def add(self, key, value, timeout=None):
        self._record("add")
        return self.backend.add(key, value, timeout)

    def set(self, key, value, timeout=None):
        self._record("set")
        return self.backend.set(key, value, timeout)


def test_shared_cache_round_trips_stay_off_the_event_loop(services):
    _, _, searx, config = services
    searx.hanging_pages = {"paris-landmarks"}
    config.page_timeout = 0.8
    namespace = f"page:test-{uuid.uuid4().hex}"
    slugs = [
        "arctic-ice",
        "paris-landmarks",
        *[s for s in searx.pages if s not in {"arctic-ice", "paris-landmarks"}],
    ]
    urls = [searx.page_url(s) for s in slugs]
    backend = RecordingBackend(caches["default"])

    async def run(page_cache):
        loop = asyncio.get_running_loop()
        pages = await fetch_pages(urls, config=config, page_cache=page_cache, until=loop.time() + 10)
        return pages, threading.current_thread().name

    pages, loop_thread = asyncio.run(run(SharedPageCache(backend, namespace)))
    on_loop = [name for name, thread in backend.calls if thread == loop_thread]
    assert on_loop == ["get_many"]
    assert sorted(name for name, _ in backend.calls).count("add") == len(urls)
    assert sorted(name for name, _ in backend.calls).count("set") == len(urls)  # the timeout too
    assert pages[urls[1]].error == "timeout" and not pages[urls[0]].error

    # The next claim of the article finds every page, the hanging one as a remembered failure, in one get_many.
    requests_before = len(searx.requests)
    backend.calls.clear()
    again, _ = asyncio.run(run(SharedPageCache(backend, namespace)))
    assert [name for name, _ in backend.calls] == ["get_many"]
    assert len(searx.requests) == requests_before
    assert again[urls[0]].text == pages[urls[0]].text and again[urls[1]].error == "timeout"


@pytest.mark.usefixtures("eval_data")
def test_evidence_extraction_is_trafilaturas_fast_precision_mode():
    """extract_evidence_text reuses one trafilatura Extractor; the text must be what the keyword call gives."""
    for entry in manifest()[:12]:
        html = (PAGES_DIR / entry["file"]).read_bytes().decode("utf-8", errors="replace")
        expected = trafilatura.extract(
            html,
            url=entry["url"],
            fast=True,
            include_comments=False,
            include_tables=False,
            favor_precision=True,
            with_metadata=False,
        )
        text, _, _ = extract_evidence_text(html, url=entry["url"])
        assert text == (expected or "").strip()
        assert text, entry["file"]
