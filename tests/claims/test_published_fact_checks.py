"""Published fact-checks embedded in fetched pages, through the real pipeline and a real Celery worker.

An article site (its own loopback address, so its pages are not "the article's own site" for the sources)
serves an article that is itself a fact-check (ClaimReview as one JSON-LD object). A SearxNG stand-in finds
source pages on another address that carry ClaimReviews inside `@graph`, in a JSON-LD array and as
microdata, and one page that carries none. A worker of this test's own — searxng as the one provider —
fetches, extracts and searches; the claim API and the claim page then show every fact-check with its rating.
The session's worker (archive and Wikipedia only) is stopped meanwhile, so it cannot take these messages.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import reverse

from claims.models import Article, ArticleStatus, Source
from tests.conftest import ARTIFACTS, WorkerProcess, purge_queues, wait_for, worker_env
from tests.support.claimreview import array, claim_review, graph, microdata, page, single
from tests.support.host import HOST, loopback_hosts
from tests.support.loopback import LoopbackServer, Request, Response, html_response
from tests.support.searxng import SearxNGServer

ARTICLE_HOST = next(h for h in loopback_hosts(3) if h != HOST)

RAIL = "Deutsche Bahn carried 1.8 billion passengers in 2023"
ARTICLE_TEXT = [
    "Deutsche Bahn is the largest railway company in Germany and carried 1.8 billion passengers in 2023.",
    "Greta Thunberg sailed across the Atlantic in 2019 to attend the UN climate summit in New York.",
    "The journey by train from Madrid to Stockholm takes about 36 hours with several changes.",
    "We asked readers what they think about sleeping cars. Opinions differ, as always.",
]
SOURCE_PAGES = {
    "rail-graph": (
        "Rail passenger numbers",
        page(
            "Rail passenger numbers",
            [
                "Deutsche Bahn carried 1.8 billion passengers in 2023, according to its annual report.",
                "The largest railway company in Germany reported more passengers than a year before.",
            ],
            head=graph(
                claim_review(RAIL, "Mostly true", value=4, author="Graph Checkers", date="2024-03-01")
            ),
        ),
    ),
    "greta-array": (
        "Greta Thunberg crossed the Atlantic",
        page(
            "Greta Thunberg crossed the Atlantic",
            [
                "Greta Thunberg sailed across the Atlantic in 2019 to attend the UN climate summit in New York.",
                "She travelled on a racing yacht and arrived after two weeks at sea.",
            ],
            head=array(
                claim_review(
                    "Greta Thunberg flew to New York in 2019", "False", value=1, author="Array Checkers"
                )
            ),
        ),
    ),
    "train-microdata": (
        "Madrid to Stockholm by train",
        page(
            "Madrid to Stockholm by train",
            [
                "The journey by train from Madrid to Stockholm takes about 36 hours with several changes.",
                "Night trains shorten the trip, but connections in Europe are few.",
            ],
            body=microdata(
                claim_review(
                    "A train from Madrid to Stockholm takes 36 hours",
                    "Misleading",
                    value=2,
                    author="Microdata Checkers",
                    url="/checks/madrid-stockholm",
                    date="2024-04-05",
                )
            ),
        ),
    ),
    "plain": (
        "Railway passengers in Germany",
        page(
            "Railway passengers in Germany",
            ["Deutsche Bahn passengers in 2023 numbered 1.8 billion; the railway company in Germany grew."],
        ),
    ),
}


class ArticleSite(LoopbackServer):
    def route(self, request: Request) -> Response:
        if request.path != "/article":
            return html_response("<h1>Not found</h1>", 404)
        review = claim_review(
            RAIL, "True", value=5, author="Rail Facts Desk", url=f"{self.base_url}/article", date="2024-02-01"
        )
        return html_response(page("Trains in Europe: the facts", ARTICLE_TEXT, head=single(review)))


@pytest.fixture
def sites() -> Iterator[tuple[ArticleSite, SearxNGServer]]:
    with ArticleSite(host=ARTICLE_HOST) as article_site, SearxNGServer(SOURCE_PAGES) as searx:
        yield article_site, searx


@pytest.fixture
def searxng_worker(celery_worker, sites, settings) -> Iterator[WorkerProcess]:
    article_site, searx = sites
    networks = f"{HOST}/32,{ARTICLE_HOST}/32"
    settings.FACTCHECK_FETCH_ALLOW_NETWORKS = networks.split(",")
    settings.FACTCHECK_FETCH_ALLOW_PORTS = [article_site.port, searx.port]
    celery_worker.stop()
    purge_queues()
    env = worker_env(
        extra={
            "FACTCHECK_FETCH_ALLOW_NETWORKS": networks,
            "FACTCHECK_FETCH_ALLOW_PORTS": f"{article_site.port},{searx.port}",
            "FACTCHECK_PROVIDERS": "searxng",
            "FACTCHECK_SEARXNG_URL": searx.base_url,
        }
    )
    worker = WorkerProcess(env, ARTIFACTS / "celery-worker-claimreview.log", queues=("ingest", "sources"))
    try:
        yield worker.start()
    finally:
        worker.stop()
        purge_queues()
        celery_worker.start()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_claim_reviews_on_the_article_and_on_source_pages_are_shown_with_their_ratings(
    searxng_worker, sites, reviewer, reviewer_client
):
    article_site, searx = sites
    url = f"{article_site.base_url}/article"
    response = reviewer_client.post("/api/v1/articles/", {"url": url}, format="json")
    assert response.status_code == 202, response.content
    article_id = response.json()["id"]

    def finished():
        article = Article.objects.filter(pk=article_id).first()
        return article if article and article.status in (ArticleStatus.READY, ArticleStatus.FAILED) else None

    article = wait_for(finished, timeout=180, message="the article to finish its pipeline")
    assert article.status == ArticleStatus.READY, (article.error_code, article.error_message)
    assert [(r["claim_reviewed"], r["rating"]["name"], r["author"]) for r in article.claim_reviews] == [
        (RAIL, "True", "Rail Facts Desk")
    ]
    stored = {
        r["rating"]["name"]: s
        for s in Source.objects.filter(claim__article_id=article_id)
        for r in s.claim_reviews
    }
    assert set(stored) == {"Mostly true", "False", "Misleading"}, stored
    assert stored["False"].url == searx.page_url("greta-array")
    assert (
        not Source.objects.filter(claim__article_id=article_id, url=searx.page_url("plain"))
        .exclude(claim_reviews=[])
        .exists()
    )

    claims = reviewer_client.get("/api/v1/claims/", {"article": article_id}).json()["results"]
    shown = {}
    for claim in claims:
        detail = reviewer_client.get(f"/api/v1/claims/{claim['id']}/").json()
        assert detail["published_fact_checks"][0] == {  # the article is itself a fact-check: on every claim
            "claim_reviewed": RAIL,
            "rating": {"name": "True", "value": "5", "best": "5", "worst": "1"},
            "author": "Rail Facts Desk",
            "url": url,
            "date_published": "2024-02-01",
            "found_on": "article",
            "found_on_url": url,
            "source": None,
        }
        for check in detail["published_fact_checks"][1:]:
            assert check["found_on"] == "source" and check["source"] in {s["id"] for s in detail["sources"]}
            shown[check["rating"]["name"]] = check
    assert set(shown) == {"Mostly true", "False", "Misleading"}
    assert shown["Misleading"] == {
        "claim_reviewed": "A train from Madrid to Stockholm takes 36 hours",
        "rating": {"name": "Misleading", "value": "2", "best": "5", "worst": ""},
        "author": "Microdata Checkers",
        "url": f"{searx.base_url}/checks/madrid-stockholm",  # microdata's relative url, resolved
        "date_published": "2024-04-05",
        "found_on": "source",
        "found_on_url": searx.page_url("train-microdata"),
        "source": shown["Misleading"]["source"],
    }
    assert shown["Mostly true"]["url"] == searx.page_url("rail-graph")  # no url of its own: the page

    # The claim page (the reviewers' admin) shows them with their ratings.
    claim_id = next(c["id"] for c in claims if "Atlantic" in c["text"])
    browser = Client()
    browser.force_login(reviewer)
    html = browser.get(reverse("admin:claims_claim_change", args=[claim_id])).content.decode()
    assert "rated <strong>True</strong> (5 of 5)" in html and "ClaimReview found on this article" in html
    assert "Rail Facts Desk" in html
    assert (
        "rated <strong>False</strong> (1 of 5)" in html and "Greta Thunberg flew to New York in 2019" in html
    )
