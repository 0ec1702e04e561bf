"""Submitting and reading articles over the API."""

from __future__ import annotations

import re

import pytest

from claims.models import Article, ArticleStatus
from tests.factories import make_article, make_claim

pytestmark = pytest.mark.django_db


def test_submitting_a_url_queues_one_article_and_one_pipeline_message(
    reviewer_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = reviewer_client.post(
            "/api/v1/articles/", {"url": "https://News.Example.com/a?utm_source=x"}, format="json"
        )
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "queued"
    assert body["canonical_url"] == "https://news.example.com/a"
    assert body["error"] is None
    assert body["progress"] == {"claims": 0, "sourced": 0}
    assert len(callbacks) == 1


def test_resubmitting_a_url_or_a_variant_returns_the_same_article(
    reviewer_client, django_capture_on_commit_callbacks
):
    first = reviewer_client.post("/api/v1/articles/", {"url": "https://news.example.com/a"}, format="json")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        for variant in [
            "https://news.example.com/a",
            "https://NEWS.example.com:443/a#top",
            "https://news.example.com/a?fbclid=123&utm_medium=social",
        ]:
            again = reviewer_client.post("/api/v1/articles/", {"url": variant}, format="json")
            assert again.status_code == 200
            assert again.json()["id"] == first.json()["id"]
    assert callbacks == []
    assert Article.objects.count() == 1


def test_resubmitting_a_failed_article_queues_it_again(reviewer_client, django_capture_on_commit_callbacks):
    article = make_article(
        status=ArticleStatus.FAILED,
        error_code="http_404",
        error_message="Not found.",
        url="https://news.example.com/gone",
        canonical_url="https://news.example.com/gone",
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = reviewer_client.post("/api/v1/articles/", {"url": article.url}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "queued"
    assert response.json()["error"] is None
    assert len(callbacks) == 1


@pytest.mark.parametrize(
    "url, code",
    [
        ("not a url", "invalid_url"),
        ("ftp://example.com/file", "unsupported_scheme"),
        ("file:///etc/passwd", "unsupported_scheme"),
        ("http://127.0.0.1/", "blocked_address"),
        ("http://169.254.169.254/latest/meta-data/", "blocked_address"),
        ("http://[::1]/", "blocked_address"),
        ("http://2130706433/", "blocked_address"),
        ("http://redis/", "blocked_address"),
        ("http://example.com:6379/", "blocked_port"),
        ("https://example.com/" + "a" * 100_000, "invalid_url"),
    ],
)
def test_unacceptable_urls_get_400_with_a_code(reviewer_client, url, code):
    response = reviewer_client.post("/api/v1/articles/", {"url": url}, format="json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert body.get("code") == code or code in str(body), body
    assert not Article.objects.exists()


@pytest.mark.parametrize(
    "payload, content_type",
    [
        (b"{not json", "application/json"),
        (b'{"url": 42}', "application/json"),
        (b'{"url": ["x"]}', "application/json"),
        (b"[]", "application/json"),
        (b"", "application/json"),
    ],
)
def test_malformed_bodies_get_a_json_400(reviewer_client, payload, content_type):
    response = reviewer_client.generic("POST", "/api/v1/articles/", payload, content_type=content_type)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")


def test_a_huge_body_gets_a_json_error_not_a_500(reviewer_client):
    response = reviewer_client.generic(
        "POST",
        "/api/v1/articles/",
        b'{"url": "' + b"a" * (3 * 1024 * 1024) + b'"}',
        content_type="application/json",
    )
    assert response.status_code in (400, 413)
    assert response["Content-Type"].startswith("application/json")


def test_read_only_accounts_cannot_submit(consumer_client):
    response = consumer_client.post("/api/v1/articles/", {"url": "https://news.example.com/a"}, format="json")
    assert response.status_code == 403
    assert not Article.objects.exists()


def test_clients_cannot_set_status_or_other_server_fields(reviewer_client):
    response = reviewer_client.post(
        "/api/v1/articles/",
        {"url": "https://news.example.com/b", "status": "ready", "title": "Forged", "canonical_url": "x"},
        format="json",
    )
    assert response.status_code == 202
    article = Article.objects.get()
    assert (article.status, article.title, article.canonical_url) == (
        "queued",
        "",
        "https://news.example.com/b",
    )


def test_article_list_reports_progress_with_a_constant_number_of_queries(
    consumer_client, django_assert_max_num_queries
):
    for _ in range(5):
        article = make_article()
        make_claim(article)
        make_claim(article, start=100, text="Critics said the budget was too small.", status="pending")
    with django_assert_max_num_queries(4):
        response = consumer_client.get("/api/v1/articles/")
    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == 5
    assert results[0]["progress"] == {"claims": 2, "sourced": 1}
    assert "next" in response.json()


# RFC 3986's characters, with every % starting an escape.
URI = re.compile(r"^https?://(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?#\[\]]|%[0-9A-F]{2})+$")


def test_an_articles_url_is_a_valid_uri_even_when_submitted_with_an_idn_and_spaces(reviewer_client):
    """Issue 16 (low): `Article.url` is declared `format: uri` but returned the submitted string."""
    submitted = "https://bücher.example/neue liste/ä?q=a b&utm_source=x#teil 2"
    made = reviewer_client.post("/api/v1/articles/", {"url": submitted}, format="json")
    assert made.status_code == 202
    for body in (made.json(), reviewer_client.get(f"/api/v1/articles/{made.json()['id']}/").json()):
        assert URI.match(body["url"]), body["url"]
        assert body["url"] == (
            "https://xn--bcher-kva.example/neue%20liste/%C3%A4?q=a%20b&utm_source=x#teil%202"
        )
    listed = reviewer_client.get("/api/v1/articles/").json()["results"]
    assert all(URI.match(article["url"]) for article in listed)
    assert Article.objects.get().url == submitted  # stored as submitted; encoded on the way out
