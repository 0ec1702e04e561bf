"""POST /api/v1/matches/ and POST /api/v1/watches/ (docs/api.md): "has this been checked?" for outsiders.

On any server: texts in the claim's language (lexical keys). Across languages (pgvector):
tests/pgvector_cases/test_cross_lingual.py."""

from __future__ import annotations

import pytest

from publishing.models import EventType, Watch, WebhookSubscription
from reviewers.roles import INTEGRATIONS
from reviewers.services import record_verdict
from tests.api.test_access import throttle_rates
from tests.conftest import client_for, make_user
from tests.support.host import HOST
from tests.support.matching import EN, EN_EDITED, EN_UNRELATED, stored_claim
from textkit.similarity import MATCH_THRESHOLD

pytestmark = pytest.mark.django_db
HOOK = f"http://{HOST}:8080/hook"  # this run's stand-in public host (tests/support/host.py); nothing listens


def test_a_text_gets_the_decided_claims_that_say_the_same_with_verdict_and_claimreview(
    consumer_client, reviewer
):
    decided = stored_claim(text=EN)
    record_verdict(claim=decided, reviewer=reviewer, label="disputed", rationale="Minutes say 10 million.")
    stored_claim(text=EN.replace("Monday", "Tuesday"))  # matches too, but nobody decided it
    response = consumer_client.post("/api/v1/matches/", {"text": EN_EDITED, "language": "en"}, format="json")
    assert response.status_code == 200, response.content
    (result,) = response.json()["results"]
    assert result["claim"] == decided.pk and result["text"] == EN and result["language"] == "en"
    assert MATCH_THRESHOLD <= result["score"] <= 1.0
    assert result["verdict"]["label"] == "disputed"
    assert result["verdict"]["state"] in {"provisional", "final", "escalated"}
    assert result["verdict"]["final"] == (result["verdict"]["state"] == "final")
    assert result["verdict"]["decided_at"]
    assert result["claimreview"] == f"http://testserver/api/v1/claims/{decided.pk}/claimreview/"
    review = consumer_client.get(result["claimreview"])
    assert review.status_code == 200 and review.json()["@type"] == "ClaimReview"


def test_the_language_is_detected_when_left_out_and_an_unrelated_text_gets_nothing(consumer_client, reviewer):
    decided = stored_claim(text=EN)
    record_verdict(claim=decided, reviewer=reviewer, label="verified", rationale="The minutes say so.")
    found = consumer_client.post("/api/v1/matches/", {"text": EN_EDITED}, format="json").json()["results"]
    assert [r["claim"] for r in found] == [decided.pk]
    unrelated = consumer_client.post("/api/v1/matches/", {"text": EN_UNRELATED}, format="json")
    assert unrelated.status_code == 200 and unrelated.json() == {"results": []}


def test_matches_need_credentials_and_a_text(anonymous_client, consumer_client):
    assert anonymous_client.post("/api/v1/matches/", {"text": EN}, format="json").status_code == 401
    assert consumer_client.post("/api/v1/matches/", {"text": ""}, format="json").status_code == 400
    assert consumer_client.post("/api/v1/matches/", {}, format="json").status_code == 400
    assert consumer_client.get("/api/v1/matches/").status_code == 405


def test_matches_and_watches_are_throttled_like_the_rest(consumer, settings):
    throttle_rates(settings, user="2/min")
    client = client_for(consumer)
    statuses = [client.post("/api/v1/matches/", {"text": EN}, format="json").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_a_watch_answers_its_secret_once_on_its_own_subscription(consumer_client, allow_loopback_servers):
    response = consumer_client.post("/api/v1/watches/", {"text": EN, "url": HOOK}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["secret"].startswith("whsec_") and body["events"] == [EventType.CLAIM_MATCHED_VERDICT]
    assert body["language"] == "en" and body["text"] == EN and body["url"] == HOOK
    watch = Watch.objects.get(pk=body["id"])
    assert watch.subscription.secret == body["secret"] and watch.match_keys and watch.fingerprint


def test_a_watch_refuses_internal_targets_and_needs_credentials(consumer_client, anonymous_client):
    blocked = consumer_client.post(
        "/api/v1/watches/", {"text": EN, "url": "http://10.1.2.3/hook"}, format="json"
    )
    assert blocked.status_code == 400 and blocked.json()["code"] == "blocked_address"
    assert (
        anonymous_client.post("/api/v1/watches/", {"text": EN, "url": "https://a.example/h"}).status_code
        == 401
    )
    assert not Watch.objects.exists()


def test_integrations_webhooks_neither_list_watches_nor_subscribe_to_their_event(
    consumer_client, allow_loopback_servers
):
    consumer_client.post("/api/v1/watches/", {"text": EN, "url": HOOK}, format="json")
    staff = client_for(make_user("staffer", INTEGRATIONS))  # webhooks are the integrations role's (issue 16)
    assert WebhookSubscription.objects.count() == 1
    assert staff.get("/api/v1/webhooks/").json()["results"] == []
    refused = staff.post(
        "/api/v1/webhooks/",
        {"url": HOOK + "all", "events": [EventType.CLAIM_MATCHED_VERDICT]},
        format="json",
    )
    assert refused.status_code == 400


def test_the_schema_documents_both_endpoints(consumer_client):
    schema = consumer_client.get("/api/v1/schema/?format=json").json()
    for path in ("/api/v1/matches/", "/api/v1/watches/"):
        assert "post" in schema["paths"][path], path
    assert "secret" in str(schema["components"]["schemas"]["Watch"])
