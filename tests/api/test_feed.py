"""The verdict feed and the ClaimReview feed: keyset paging, filters, supersession, ETags, query counts."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api.authentication import forget_tokens
from reviewers.models import Verdict
from reviewers.roles import REVIEWERS
from reviewers.services import record_verdict
from tests.conftest import client_for, make_user
from tests.factories import make_article, make_claim

pytestmark = pytest.mark.django_db
FEED = "/api/v1/verdicts/"


def decide(reviewer, label="verified", claim=None, **claim_fields):
    claim = claim or make_claim(**claim_fields)
    claim.refresh_from_db()
    return record_verdict(claim=claim, reviewer=reviewer, label=label, rationale="Checked.")


def follow(client, url, params=None):
    ids, pages = [], 0
    response = client.get(url, params)
    while True:
        body = response.json()
        ids += [v["id"] for v in body["results"]]
        pages += 1
        if not body["next"]:
            return ids, body, pages
        response = client.get(body["next"])


def test_paging_never_skips_or_repeats_while_verdicts_arrive(consumer_client, reviewer):
    made = [decide(reviewer).pk for _ in range(7)]
    first = consumer_client.get(FEED, {"page_size": 3}).json()
    assert [v["id"] for v in first["results"]] == made[:3]
    assert first["previous"] is None
    made += [decide(reviewer).pk for _ in range(2)]  # arrive mid-way
    second = consumer_client.get(first["next"]).json()
    rest, last, _ = follow(consumer_client, first["next"])
    assert [v["id"] for v in first["results"]] + rest == made
    assert [v["id"] for v in consumer_client.get(second["previous"]).json()["results"]] == made[:3]
    # Polling: `resume` after the end returns exactly what came later.
    assert consumer_client.get(last["resume"]).json()["results"] == []
    newer = decide(reviewer).pk
    assert [v["id"] for v in consumer_client.get(last["resume"]).json()["results"]] == [newer]


def test_verdicts_decided_in_the_same_instant_are_ordered_by_id(consumer_client, reviewer):
    instant = timezone.now() - timedelta(minutes=1)
    made = [
        Verdict.objects.create(
            claim=make_claim(),
            label="verified",
            rationale="Tie.",
            reviewer=reviewer,
            decided_at=instant,
            claim_version=1,
        )
        for _ in range(4)
    ]
    ids, _, pages = follow(consumer_client, FEED, {"page_size": 1})
    assert ids == [v.pk for v in made]
    assert pages == 4


@pytest.mark.django_db(transaction=True)
def test_a_verdict_committed_late_is_not_skipped(reviewer_and_claims_committed):
    """A verdict whose transaction is still open when a consumer reads must not end up behind the cursor."""
    reviewer, client, slow_claim, fast_claim = reviewer_and_claims_committed
    earlier = decide(reviewer, claim=make_claim())
    page = client.get(FEED).json()
    assert [v["id"] for v in page["results"]] == [earlier.pk]

    in_transaction, release = threading.Event(), threading.Event()
    result = {}

    def slow_reviewer():
        try:
            with transaction.atomic():
                result["verdict"] = decide(reviewer, claim=slow_claim)  # decided first ...
                in_transaction.set()
                release.wait(10)  # ... committed last
        finally:
            connection.close()

    thread = threading.Thread(target=slow_reviewer)
    thread.start()
    assert in_transaction.wait(10)
    later = decide(reviewer, claim=fast_claim)
    assert later.decided_at > result["verdict"].decided_at
    held = client.get(page["resume"]).json()
    assert held["results"] == []  # `later` is held back while an older transaction is open
    release.set()
    thread.join(10)
    after = client.get(page["resume"]).json()
    assert [v["id"] for v in after["results"]] == [result["verdict"].pk, later.pk]


@pytest.fixture
def reviewer_and_claims_committed(transactional_db, settings):
    settings.FACTCHECK_FEED_SETTLE_SECONDS = 0.5
    reviewer = make_user("late-reviewer", REVIEWERS, staff=True)
    return reviewer, client_for(reviewer), make_claim(), make_claim()


def test_superseded_verdicts_point_to_their_replacement(consumer_client, reviewer, second_reviewer):
    claim = make_claim()
    first = decide(reviewer, claim=claim)
    second = decide(second_reviewer, "disputed", claim=claim)
    items = {v["id"]: v for v in consumer_client.get(FEED).json()["results"]}
    assert items[first.pk]["superseded_by"] == second.pk
    assert items[second.pk]["supersedes"] == first.pk
    assert items[second.pk]["superseded_by"] is None
    assert items[second.pk]["label"] == "disputed"
    assert items[second.pk]["final"] is True and items[second.pk]["state"] == "final"
    assert items[first.pk]["decided_at"] == first.decided_at.isoformat().replace("+00:00", "Z")
    assert items[first.pk]["sources"] == first.cited_sources and items[first.pk]["reviewer"] == "reviewer"


def test_feed_filters(consumer_client, reviewer):
    german = decide(reviewer, "disputed", claim=make_claim(make_article(language="de"), language="de"))
    english = decide(reviewer, "verified")
    ids = lambda **q: [v["id"] for v in consumer_client.get(FEED, q).json()["results"]]  # noqa: E731
    assert ids(label="disputed") == [german.pk]
    assert ids(language="de") == [german.pk]
    assert ids(article=english.claim.article_id) == [english.pk]
    assert ids(updated_since=english.decided_at.isoformat()) == [english.pk]
    assert ids(updated_since=(german.decided_at - timedelta(seconds=1)).isoformat()) == [
        german.pk,
        english.pk,
    ]


def test_filters_apply_to_every_page_both_ways(consumer_client, reviewer):
    german = make_article(language="de")
    made = [decide(reviewer, "disputed", claim=make_claim(german, start=100 * n)).pk for n in range(5)]
    decide(reviewer, "disputed")  # English: never in the pages below
    decide(reviewer, "verified", claim=make_claim(german, start=1000))  # another label
    query = {"page_size": 2, "language": "de", "label": "disputed", "article": german.pk}
    ids, last, pages = follow(consumer_client, FEED, query)
    assert ids == made and pages == 3
    assert "language=de" in last["resume"] and "label=disputed" in last["resume"]
    back = consumer_client.get(consumer_client.get(FEED, query).json()["next"]).json()["previous"]
    assert [v["id"] for v in consumer_client.get(back).json()["results"]] == made[:2]
    # The same instant written with an offset PostgreSQL would refuse (+20:00) filters the same.
    since = Verdict.objects.get(pk=made[3]).decided_at
    far_east = since.astimezone(timezone.get_fixed_timezone(20 * 60)).isoformat()
    assert [
        v["id"] for v in consumer_client.get(FEED, {**query, "updated_since": far_east}).json()["results"]
    ] == made[3:]


@pytest.mark.parametrize(
    "params",
    [
        {"cursor": "garbage"},
        {"cursor": "eyJkIjoibiJ9"},
        {"page_size": "0"},
        {"page_size": "501"},
        {"page_size": "x"},
        {"article": "1.5"},
        {"article": "99999999999999999999"},
        {"label": "true"},
        {"updated_since": "yesterday"},
        {"language": "e\x00n"},
    ],
)
def test_bad_parameters_get_a_json_400(consumer_client, params):
    response = consumer_client.get(FEED, params)
    assert response.status_code == 400, response.content
    assert response["Content-Type"].startswith("application/json")


def test_etag_and_if_none_match_give_304_until_the_page_changes(consumer_client, reviewer):
    first = decide(reviewer)
    response = consumer_client.get(FEED)
    etag = response["ETag"]
    not_modified = consumer_client.get(FEED, HTTP_IF_NONE_MATCH=etag)
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert not_modified["ETag"] == etag
    assert consumer_client.get(FEED, HTTP_IF_NONE_MATCH=f'"other", {etag}').status_code == 304
    assert consumer_client.get(FEED, {"label": "disputed"}, HTTP_IF_NONE_MATCH=etag).status_code == 200
    decide(reviewer, "disputed", claim=first.claim)  # supersedes a verdict on the page
    changed = consumer_client.get(FEED, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag


def test_a_page_costs_a_constant_number_of_queries_without_count_or_offset(consumer_client, reviewer):
    for _ in range(5):
        decide(reviewer)
    forget_tokens()
    counts = []
    for params in (
        {"page_size": 2},
        {"page_size": 50},
        {"page_size": 2, "label": "verified", "language": "en"},
    ):
        with CaptureQueriesContext(connection) as queries:
            response = consumer_client.get(FEED, params)
        assert response.status_code == 200
        counts.append(len(queries))
        with CaptureQueriesContext(connection) as queries_next:
            cursor_page = consumer_client.get(response.json()["next"]) if response.json()["next"] else None
        assert cursor_page is None or cursor_page.status_code == 200
        counts.append(len(queries_next) if cursor_page else None)
        sql = " ".join(q["sql"] for q in queries.captured_queries + queries_next.captured_queries).upper()
        assert "COUNT(" not in sql and "OFFSET" not in sql
    # The token once (then remembered for FACTCHECK_TOKEN_CACHE_SECONDS), and one query per page.
    assert counts == [2, 1, 1, None, 1, 1]


def test_without_the_token_cache_a_page_costs_the_token_and_the_page(consumer_client, reviewer, settings):
    settings.FACTCHECK_TOKEN_CACHE_SECONDS = 0
    decide(reviewer)
    forget_tokens()
    for size in (1, 50):
        with CaptureQueriesContext(connection) as queries:
            assert consumer_client.get(FEED, {"page_size": size}).status_code == 200
        assert len(queries) == 2


def test_a_deep_cursor_uses_the_feed_index(consumer_client, reviewer):
    decide(reviewer)
    page = consumer_client.get(FEED).json()
    with CaptureQueriesContext(connection) as queries:
        consumer_client.get(page["resume"])
    feed_sql = queries.captured_queries[-1]["sql"]
    assert '("reviewers_verdict"."decided_at", "reviewers_verdict"."id") >' in feed_sql
    assert "LIMIT 51" in feed_sql


# --------------------------------------------------------------------------- ClaimReview


# schema.org vocabulary (https://schema.org): the properties each type we emit may carry, including
# those inherited (ClaimReview < Review < CreativeWork < Thing; Claim < CreativeWork; Rating < Intangible).
THING = {"@context", "@type", "name", "url", "alternateName", "description", "identifier", "sameAs"}
CREATIVE_WORK = THING | {"author", "datePublished", "headline", "inLanguage", "publisher", "dateModified"}
VOCABULARY = {
    "ClaimReview": CREATIVE_WORK | {"claimReviewed", "reviewRating", "itemReviewed", "reviewBody"},
    "Claim": CREATIVE_WORK | {"appearance", "firstAppearance", "claimInterpreter"},
    "CreativeWork": CREATIVE_WORK,
    "Rating": THING | {"ratingValue", "bestRating", "worstRating", "ratingExplanation", "author"},
    "Organization": THING | {"logo"},
    "Person": THING,
}


def validate_claim_review(review: dict) -> None:
    """Fail unless `review` uses only schema.org properties and has what Google's ClaimReview docs require."""

    def walk(node):
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            assert node.get("@type") in VOCABULARY, node
            assert set(node) <= VOCABULARY[node["@type"]], set(node) - VOCABULARY[node["@type"]]
            for value in node.values():
                walk(value)

    assert review["@context"] == "https://schema.org"
    walk(review)
    for required in ("claimReviewed", "reviewRating", "url", "author", "datePublished", "itemReviewed"):
        assert review.get(required), required
    rating = review["reviewRating"]
    assert rating["@type"] == "Rating" and rating["alternateName"]
    assert rating["worstRating"] <= rating["ratingValue"] <= rating["bestRating"]
    assert all(isinstance(rating[k], int) for k in ("ratingValue", "bestRating", "worstRating"))
    assert (
        review["author"]["@type"] == "Organization" and review["author"]["name"] and review["author"]["url"]
    )
    item = review["itemReviewed"]
    assert item["@type"] == "Claim"
    assert item["appearance"] and all(a["url"].startswith("http") for a in item["appearance"])
    assert item["firstAppearance"]["url"]
    assert review["url"].startswith("http")


@pytest.mark.parametrize("label, value", [("disputed", 1), ("unsupported", 2), ("verified", 3)])
def test_claimreview_per_claim_is_valid_schema_org(consumer_client, reviewer, settings, label, value):
    settings.FACTCHECK_ORGANIZATION_NAME = "Faktencheck Desk"
    settings.FACTCHECK_ORGANIZATION_URL = "https://faktencheck.example/"
    article = make_article(author="Jane Doe", published_at="2026-01-05T10:00:00Z")
    claim = make_claim(article)
    decide(reviewer, label, claim=claim)
    response = consumer_client.get(f"/api/v1/claims/{claim.pk}/claimreview/")
    assert response["Content-Type"].startswith("application/ld+json")
    review = response.json()
    validate_claim_review(review)
    assert review["author"] == {
        "@type": "Organization",
        "name": "Faktencheck Desk",
        "url": "https://faktencheck.example/",
    }
    assert review["reviewRating"]["ratingValue"] == value
    assert review["reviewRating"]["alternateName"] == label
    assert review["itemReviewed"]["appearance"][0]["author"] == [{"@type": "Person", "name": "Jane Doe"}]
    assert review["itemReviewed"]["appearance"][0]["url"] == article.canonical_url
    assert review["itemReviewed"]["firstAppearance"]["datePublished"].startswith("2026-01-05")


def test_claimreview_feed_lists_current_verdicts_only(consumer_client, reviewer, second_reviewer):
    claim = make_claim(make_article(author=""))
    decide(reviewer, "verified", claim=claim)
    other = decide(reviewer, "unsupported")
    decide(second_reviewer, "disputed", claim=claim)  # replaces the first verdict
    for _ in range(3):
        decide(reviewer)
    reviews, pages = [], 0
    url, params = "/api/v1/claimreviews/", {"page_size": 2}
    while url:
        body = consumer_client.get(url, params).json()
        reviews += body["results"]
        url, params, pages = body["next"], None, pages + 1
    assert len(reviews) == 5 and pages == 3
    for review in reviews:
        validate_claim_review(review)
    assert "author" not in reviews[0]["itemReviewed"]  # unknown author: left out, not empty
    assert reviews[0]["claimReviewed"] == other.claim.text
    assert [r["reviewRating"]["alternateName"] for r in reviews[:2]] == ["unsupported", "disputed"]
    assert reviews[1]["url"].endswith(f"/api/v1/claims/{claim.pk}/claimreview/")


def test_claimreview_feed_costs_constant_queries(consumer_client, reviewer, django_assert_max_num_queries):
    for _ in range(6):
        decide(reviewer)
    with django_assert_max_num_queries(2):
        assert len(consumer_client.get("/api/v1/claimreviews/").json()["results"]) == 6


def test_anonymous_users_get_401_from_the_feeds(anonymous_client):
    for path in (FEED, "/api/v1/claimreviews/"):
        assert anonymous_client.get(path).status_code == 401
