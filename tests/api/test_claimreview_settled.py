"""Issue 16.2: only what is settled is published. With FACTCHECK_REVIEWS_REQUIRED=2, a provisional verdict
(one reviewer, or one flipping a final verdict) and an escalated one (two reviewers disagree) are never a
ClaimReview, per claim or in the feed; the claim keeps its newest final verdict. Webhooks carry every
verdict with its `state` and `final` said explicitly."""

from __future__ import annotations

import json

import pytest

from publishing.models import EventType, WebhookMessage, WebhookSubscription
from reviewers.models import ReviewState
from reviewers.services import record_verdict
from tests.conftest import client_for
from tests.factories import make_claim

pytestmark = pytest.mark.django_db


def published(client, claim) -> tuple[str | None, list[str]]:
    """The label of the claim's ClaimReview (None: 404) and the labels of its items in the feed."""
    one = client.get(f"/api/v1/claims/{claim.pk}/claimreview/")
    label = one.json()["reviewRating"]["alternateName"] if one.status_code == 200 else None
    if one.status_code != 200:
        assert (one.status_code, one.json()["code"]) == (404, "no_verdict")
    feed = client.get("/api/v1/claimreviews/").json()["results"]
    mine = [item["reviewRating"]["alternateName"] for item in feed if item["claimReviewed"] == claim.text]
    return label, mine


def test_provisional_and_escalated_verdicts_are_never_published(
    settings, reviewer, second_reviewer, lead, consumer
):
    settings.FACTCHECK_REVIEWS_REQUIRED = 2
    settings.FACTCHECK_FEED_SETTLE_SECONDS = 0
    WebhookSubscription.objects.create(
        url="https://hooks.example.org/1", events=[EventType.VERDICT_CREATED], secret="whsec_1"
    )
    client, claim = client_for(consumer), make_claim()

    def decide(user, label, **kwargs):
        return record_verdict(claim=claim.pk, reviewer=user, label=label, rationale="Why.", **kwargs).state

    assert decide(reviewer, "verified") == ReviewState.PROVISIONAL
    assert published(client, claim) == (None, [])
    assert decide(second_reviewer, "verified") == ReviewState.FINAL
    assert published(client, claim) == ("verified", ["verified"])
    assert decide(reviewer, "disputed") == ReviewState.PROVISIONAL  # one reviewer flips a final verdict
    assert published(client, claim) == ("verified", ["verified"])
    assert decide(second_reviewer, "unsupported") == ReviewState.ESCALATED  # waiting for a lead
    assert published(client, claim) == ("verified", ["verified"])
    assert decide(lead, "disputed") == ReviewState.FINAL
    assert published(client, claim) == ("disputed", ["disputed"])

    bodies = [json.loads(m.body)["data"] for m in WebhookMessage.objects.order_by("id")]
    assert [(b["label"], b["state"], b["final"]) for b in bodies] == [
        ("verified", "provisional", False),
        ("verified", "final", True),
        ("disputed", "provisional", False),
        ("unsupported", "escalated", False),
        ("disputed", "final", True),
    ]
