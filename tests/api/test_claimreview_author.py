"""ClaimReview names who made the claim (itemReviewed.author): the speaker its sentence names, a Person or
an Organization; the publisher for the article's own statement; nobody when the sentence quotes someone it
does not name, and never the journalist who reported a quotation. The byline, split into its people and
organisations, and the publisher stay in the appearance."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from reviewers.services import record_verdict
from tests.api.test_feed import validate_claim_review
from tests.factories import make_article, make_claim

pytestmark = pytest.mark.django_db

BYLINE = "Frankfurter Allgemeine Zeitung GmbH; Benjamin Fischer; Marcus Theurer"


def review_of(client, reviewer, **claim_fields) -> dict:
    article = make_article(author=BYLINE, sitename="Frankfurter Allgemeine Zeitung", language="de")
    claim = make_claim(article, **claim_fields)
    record_verdict(claim=claim, reviewer=reviewer, label="disputed", rationale="The minutes say 10 million.")
    review = client.get(f"/api/v1/claims/{claim.pk}/claimreview/").json()
    validate_claim_review(review)
    return review


def test_a_quoted_spokesperson_is_the_author_not_the_journalists(consumer_client, reviewer):
    review = review_of(
        consumer_client,
        reviewer,
        text="„Wir haben 12 Millionen Euro ausgegeben“, sagte Regierungssprecher Steffen Hebestreit.",
        speaker_name="Steffen Hebestreit",
        speaker_type="Person",
        signals={"attribution": ["sagte"], "quote": ["„"]},
    )
    item = review["itemReviewed"]
    assert item["author"] == {"@type": "Person", "name": "Steffen Hebestreit"}
    appearance = item["appearance"][0]
    assert appearance["author"] == [
        {"@type": "Organization", "name": "Frankfurter Allgemeine Zeitung GmbH"},
        {"@type": "Person", "name": "Benjamin Fischer"},
        {"@type": "Person", "name": "Marcus Theurer"},
    ]
    assert appearance["publisher"] == {"@type": "Organization", "name": "Frankfurter Allgemeine Zeitung"}
    assert item["firstAppearance"] == appearance


def test_an_organisation_that_speaks_is_an_organization(consumer_client, reviewer):
    review = review_of(
        consumer_client,
        reviewer,
        text="Nach Angaben der Polizei wurden drei Menschen verletzt.",
        speaker_name="Polizei",
        speaker_type="Organization",
        signals={"attribution": ["nach Angaben"]},
    )
    assert review["itemReviewed"]["author"] == {"@type": "Organization", "name": "Polizei"}


def test_a_quotation_whose_speaker_is_not_named_has_no_author(consumer_client, reviewer):
    review = review_of(
        consumer_client,
        reviewer,
        text="„Es waren 12 Millionen Euro“, hieß es.",
        signals={"attribution": ["hieß es"], "quote": ["„"]},
    )
    assert "author" not in review["itemReviewed"]


def test_the_articles_own_statement_is_the_publishers(consumer_client, reviewer):
    review = review_of(consumer_client, reviewer, signals={"number": ["12 Millionen"]})
    assert review["itemReviewed"]["author"] == {
        "@type": "Organization",
        "name": "Frankfurter Allgemeine Zeitung",
    }


def test_the_claimreview_feed_carries_the_same_authors(consumer_client, reviewer):
    review_of(consumer_client, reviewer, speaker_name="Polizei", speaker_type="Organization")
    feed = consumer_client.get("/api/v1/claimreviews/").json()["results"]
    assert feed[0]["itemReviewed"]["author"] == {"@type": "Organization", "name": "Polizei"}
    assert len(feed[0]["itemReviewed"]["appearance"][0]["author"]) == 3


def test_the_claim_detail_and_page_show_the_speaker(consumer_client, reviewer):
    claim = make_claim(speaker_name="Bernd Lucke", speaker_type="Person")
    assert consumer_client.get(f"/api/v1/claims/{claim.pk}/").json()["speaker"] == {
        "name": "Bernd Lucke",
        "type": "Person",
    }
    assert consumer_client.get(f"/api/v1/claims/?article={claim.article_id}").json()["results"][0]["speaker"]
    client = Client()
    client.force_login(reviewer)
    page = client.get(reverse("admin:claims_claim_change", args=[claim.pk])).content.decode()
    assert 'id="speaker">said by <strong>Bernd Lucke</strong> (person)' in page
