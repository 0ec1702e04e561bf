"""Upstream failures through the real fetch task (RELIABILITY.md B10): 4xx final with its code, 429 and
5xx retried with backoff that honours Retry-After, attempts bounded, the article never stuck."""

from __future__ import annotations

import pytest

from claims import services
from claims.models import ArticleStatus
from claims.tasks import fetch_article_task
from factcheck.retry import backoff
from tests.support.loopback import LoopbackServer, Request, Response, html_response

PAGE = (
    "<html><head><title>Haushalt</title></head><body><article>"
    + "".join(
        f"<p>Der Stadtrat hat am Montag einen Haushalt von {n} Millionen Euro beschlossen.</p>"
        for n in range(8)
    )
    + "</article></body></html>"
)


class Flaky(LoopbackServer):
    """Answers each path with a scripted list of statuses, then 200 with the page."""

    script: dict[str, list[int]] = {}

    def route(self, request: Request) -> Response:
        served = sum(1 for r in self.requests if r.path == request.path) - 1
        statuses = self.script.get(request.path, [])
        status = statuses[served] if served < len(statuses) else 200
        if status == 200:
            return html_response(PAGE)
        headers = {"Content-Type": "text/plain"}
        if status == 429:
            headers["Retry-After"] = "1"
        return status, headers, b"try later"


@pytest.fixture
def flaky(allow_loopback_servers, settings):
    settings.FACTCHECK_PROVIDERS = []
    server = Flaky().start()
    server.script = {
        "/503-twice": [503, 503],
        "/429-once": [429],
        "/always-503": [503] * 50,
        "/gone": [404],
        "/410": [410],
        "/forbidden": [403],
    }
    yield server
    server.stop()


def run_fetch_task(server: Flaky, path: str):
    article, _ = services.submit_article(url=f"{server.base_url}{path}")
    fetch_article_task.apply(args=[article.pk])  # eager: retries run at once, in this process
    article.refresh_from_db()
    requests = sum(1 for r in server.requests if r.path == path)
    return article, requests


pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/503-twice", "/429-once"])
def test_transient_upstream_failures_are_retried_until_the_page_comes(flaky, path):
    article, requests = run_fetch_task(flaky, path)
    assert article.status in (ArticleStatus.SOURCING, ArticleStatus.READY)
    assert requests == len(flaky.script[path]) + 1


def test_retries_are_bounded_and_the_article_fails_with_the_last_code(flaky, settings):
    article, requests = run_fetch_task(flaky, "/always-503")
    assert (article.status, article.error_code) == (ArticleStatus.FAILED, "http_503")
    assert requests == settings.FACTCHECK_FETCH_MAX_ATTEMPTS


@pytest.mark.parametrize(
    "path, code", [("/gone", "http_404"), ("/410", "http_410"), ("/forbidden", "http_403")]
)
def test_client_errors_are_final_at_once_with_their_code(flaky, path, code):
    article, requests = run_fetch_task(flaky, path)
    assert (article.status, article.error_code) == (ArticleStatus.FAILED, code)
    assert article.error["message"]
    assert requests == 1


def test_a_failed_article_can_be_submitted_again(flaky):
    article, _ = run_fetch_task(flaky, "/gone")
    flaky.script["/gone"] = []  # the page is back
    again, created = services.submit_article(url=f"{flaky.base_url}/gone")
    assert (again.pk, created, again.status) == (article.pk, False, ArticleStatus.QUEUED)
    fetch_article_task.apply(args=[again.pk])
    again.refresh_from_db()
    assert again.status in (ArticleStatus.SOURCING, ArticleStatus.READY)


def test_backoff_honours_retry_after_grows_exponentially_and_is_capped():
    assert all(backoff(0, base=2.0, cap=300.0, retry_after=30.0) >= 30.0 for _ in range(50))
    waits = [backoff(3, base=2.0, cap=300.0) for _ in range(400)]
    assert all(8.0 <= w <= 16.0 for w in waits)  # half of 2 * 2^3 fixed, half jittered
    assert len(set(waits)) > 300
    assert min(backoff(4, base=2.0, cap=300.0) for _ in range(200)) >= max(waits)  # each wait longer
    assert all(backoff(20, base=2.0, cap=60.0) <= 60.0 for _ in range(50))
    assert backoff(0, base=2.0, retry_after=10_000.0, cap=300.0) == 300.0
