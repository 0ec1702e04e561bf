"""The story of a claim's source search, per provider: what was asked, what came back, and why a provider
failed, kept apart from "searched and found nothing"; on the claim page and in the API's claim detail."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from claims.search_story import failure_kind
from tests.factories import make_claim, make_source


@pytest.mark.parametrize(
    ("state", "detail", "kind"),
    [
        ("ok", "", None),
        ("no_results", "", None),
        ("quota_exhausted", "quota_exhausted: Fact Check Tools: HTTP 429 too many requests", "quota"),
        ("unavailable", "timed out after 15.0 s", "timeout"),
        ("unavailable", "Wikipedia: timeout", "timeout"),
        ("unavailable", "Wikipedia: dns_error", "dns"),
        ("unavailable", "SearxNG: connection_error", "connection"),
        ("unavailable", "SearxNG: HTTP 503", "unavailable"),
        ("misconfigured", "FACTCHECK_SEARXNG_URL is not set", "misconfigured"),
        ("error", "bad_response: Wikipedia: unexpected JSON", "error"),
        ("error", "The source search did not finish after 5 attempts.", "error"),
    ],
)
def test_each_failure_is_named_by_its_kind(state, detail, kind):
    assert failure_kind(state, detail) == kind


REPORTS = [
    {
        "provider": "archive",
        "state": "ok",
        "detail": "",
        "queries": ["budget 12 million"],
        "count": 2,
        "elapsed_ms": 4,
    },
    {
        "provider": "wikipedia",
        "state": "unavailable",
        "detail": "Wikipedia: dns_error",
        "queries": ["budget 12 million", "city council budget"],
        "count": 0,
        "elapsed_ms": 2000,
    },
    {
        "provider": "searxng",
        "state": "no_results",
        "detail": "",
        "queries": ["budget"],
        "count": 0,
        "elapsed_ms": 7,
    },
]


@pytest.mark.django_db
def test_the_api_tells_what_each_provider_was_asked_returned_or_why_it_failed(consumer_client):
    claim = make_claim(provider_reports=REPORTS)
    make_source(claim, provider="archive")
    search = consumer_client.get(f"/api/v1/claims/{claim.pk}/").json()["search"]
    assert search["status"] == "sourced"
    assert search["providers"] == [
        {
            "provider": "archive",
            "outcome": "found",
            "failure": None,
            "detail": "",
            "queries": ["budget 12 million"],
            "candidates": 2,
            "kept": 1,
            "elapsed_ms": 4,
        },
        {
            "provider": "wikipedia",
            "outcome": "failed",
            "failure": "dns",
            "detail": "Wikipedia: dns_error",
            "queries": ["budget 12 million", "city council budget"],
            "candidates": 0,
            "kept": 0,
            "elapsed_ms": 2000,
        },
        {
            "provider": "searxng",
            "outcome": "nothing_found",
            "failure": None,
            "detail": "",
            "queries": ["budget"],
            "candidates": 0,
            "kept": 0,
            "elapsed_ms": 7,
        },
    ]


@pytest.mark.django_db
def test_the_claim_page_shows_a_failed_provider_apart_from_one_that_found_nothing(reviewer):
    claim = make_claim(provider_reports=REPORTS)  # no sources kept at all
    client = Client()
    client.force_login(reviewer)
    html = client.get(reverse("admin:claims_claim_change", args=[claim.pk])).content.decode()
    search = html[html.index('id="search"') : html.index('id="sources"')]
    assert "failed: wikipedia (name lookup failed)" in search
    assert 'id="provider-wikipedia"' in search and "failed: name lookup failed" in search
    assert "“city council budget”" in search  # what it was asked
    assert "searched, found nothing" in search[search.index('id="provider-searxng"') :]
    assert "2 results, 0 kept as sources" in search
    sources = html[html.index('id="sources"') : html.index('id="fact-checks"')]
    assert "1 of 3 providers failed, so this is not “nothing exists”" in sources
    assert "No sources were found" not in html


@pytest.mark.django_db
def test_when_every_provider_searched_and_found_nothing_the_page_says_so(reviewer):
    claim = make_claim(
        provider_reports=[{"provider": "archive", "state": "no_results", "queries": ["x"], "count": 0}]
    )
    client = Client()
    client.force_login(reviewer)
    html = client.get(reverse("admin:claims_claim_change", args=[claim.pk])).content.decode()
    assert "every provider searched and found nothing" in html
    assert "search-failed" not in html
