"""One article per page, also when variants are only recognised after fetching: redirects and the page's
own <link rel=canonical> (RELIABILITY.md B12, issue: URL canonicalisation and deduplication)."""

from __future__ import annotations

import pytest

from claims import services, stages
from claims.models import ArticleAlias, ArticleStatus
from tests.support.loopback import LoopbackServer, Request, Response, html_response
from tests.support.pipeline import fetched_and_extracted

BODY = "".join(
    f"<p>Der Stadtrat hat am Montag einen Haushalt von {n} Millionen Euro für das Jahr 2025 beschlossen.</p>"
    for n in range(10, 20)
)


class Site(LoopbackServer):
    def route(self, request: Request) -> Response:
        base = self.base_url
        if request.path == "/story":
            return html_response(
                f"<html><head><title>Haushalt</title></head><body><article>{BODY}</article></body></html>"
            )
        if request.path == "/old-link":
            return 301, {"Location": f"{base}/story"}, b""
        if request.path == "/amp/story":
            return html_response(
                f'<html><head><title>Haushalt</title><link rel="canonical" href="{base}/story"></head>'
                f"<body><article>{BODY}</article></body></html>"
            )
        if request.path == "/copy":
            return html_response(
                '<html><head><title>Haushalt</title><link rel="canonical" href="https://other.example/story">'
                f"</head><body><article>{BODY}</article></body></html>"
            )
        return 404, {"Content-Type": "text/plain"}, b"not found"


@pytest.fixture
def site(allow_loopback_servers):
    with Site() as server:
        yield server


pytestmark = pytest.mark.django_db


def test_a_url_that_redirects_to_a_known_article_becomes_that_article(site):
    original = fetched_and_extracted(f"{site.base_url}/story")
    assert original.status == ArticleStatus.SOURCING

    variant, created = services.submit_article(url=f"{site.base_url}/old-link")
    assert created  # nobody can know before fetching that it redirects
    assert stages.fetch_article(article_id=variant.pk) is False  # no second extraction
    variant.refresh_from_db()
    assert (variant.status, variant.error_code, variant.duplicate_of_id) == (
        "failed",
        "duplicate",
        original.pk,
    )
    assert not variant.claims.exists()

    again, created = services.submit_article(url=f"{site.base_url}/old-link")
    assert (again.pk, created) == (original.pk, False)


def test_a_page_whose_canonical_is_a_known_article_becomes_that_article(site):
    original = fetched_and_extracted(f"{site.base_url}/story")
    amp = fetched_and_extracted(f"{site.base_url}/amp/story")
    assert (amp.status, amp.error_code, amp.duplicate_of_id) == ("failed", "duplicate", original.pk)
    assert not amp.claims.exists()
    again, created = services.submit_article(url=f"{site.base_url}/amp/story")
    assert (again.pk, created) == (original.pk, False)


def test_the_first_page_to_name_a_canonical_keeps_it_and_later_variants_follow(site):
    amp = fetched_and_extracted(f"{site.base_url}/amp/story")  # the canonical page itself was never submitted
    assert amp.status == ArticleStatus.SOURCING
    assert ArticleAlias.objects.filter(article=amp).exists()
    same, created = services.submit_article(url=f"{site.base_url}/story")
    assert (same.pk, created) == (amp.pk, False)


def test_a_canonical_on_another_site_is_ignored(site):
    copy = fetched_and_extracted(f"{site.base_url}/copy")
    assert copy.status == ArticleStatus.SOURCING
    assert not ArticleAlias.objects.filter(url="https://other.example/story").exists()


def test_the_api_shows_which_article_a_duplicate_is(site, consumer_client):
    original = fetched_and_extracted(f"{site.base_url}/story")
    variant, _ = services.submit_article(url=f"{site.base_url}/old-link")
    stages.fetch_article(article_id=variant.pk)
    body = consumer_client.get(f"/api/v1/articles/{variant.pk}/").json()
    assert body["duplicate_of"] == original.pk
    assert body["error"]["code"] == "duplicate"
