"""POST /api/v1/matches/ and POST /api/v1/watches/ (docs/api.md): "has this been checked?" for outsiders.

On any server: texts in the claim's language (lexical keys). Across languages (pgvector):
tests/pgvector_cases/test_cross_lingual.py."""

from __future__ import annotations

import pytest

from publishing.models import EventType, Watch, WebhookSubscription
from reviewers.roles import ALL_ROLES, CONSUMERS, INTEGRATIONS
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
    for path in ("/api/v1/watches/", "/api/v1/watches/{id}/"):
        assert "get" in schema["paths"][path], path
    assert "delete" in schema["paths"]["/api/v1/watches/{id}/"]
    assert "secret" in str(schema["components"]["schemas"]["NewWatch"])
    assert "secret" not in str(schema["components"]["schemas"]["Watch"])


def test_an_account_without_a_role_may_not_watch_staff_or_not(allow_loopback_servers):
    for name, staff in (("nobody", False), ("staffer", True)):
        refused = client_for(make_user(name, staff=staff)).post(
            "/api/v1/watches/", {"text": EN, "url": HOOK}, format="json"
        )
        assert refused.status_code == 403, (name, refused.content)
    assert not Watch.objects.exists() and not WebhookSubscription.objects.exists()


def test_each_role_may_watch(allow_loopback_servers):
    for role in ALL_ROLES:
        client = client_for(make_user("u-" + role, role))
        response = client.post("/api/v1/watches/", {"text": EN, "url": HOOK}, format="json")
        assert response.status_code == 201, (role, response.content)
    assert Watch.objects.count() == len(ALL_ROLES)


def test_watches_are_limited_per_account_apart_from_webhooks(settings, allow_loopback_servers):
    settings.FACTCHECK_WATCHES_PER_ACCOUNT = 1
    settings.FACTCHECK_WEBHOOKS_PER_ACCOUNT = 1
    client = client_for(make_user("partner", INTEGRATIONS))
    assert client.post("/api/v1/watches/", {"text": EN, "url": HOOK}, format="json").status_code == 201
    again = client.post("/api/v1/watches/", {"text": EN_UNRELATED, "url": HOOK}, format="json")
    assert again.status_code == 400 and again.json()["code"] == "too_many_watches"
    assert Watch.objects.count() == 1
    # The watch's own subscription does not use up the account's webhooks.
    hook = client.post("/api/v1/webhooks/", {"url": HOOK + "v", "events": ["verdict.created"]}, format="json")
    assert hook.status_code == 201, hook.content


def test_an_account_lists_and_deletes_only_its_own_watches_and_never_sees_a_secret_again(
    consumer_client, allow_loopback_servers
):
    mine = consumer_client.post("/api/v1/watches/", {"text": EN, "url": HOOK}, format="json").json()
    other = client_for(make_user("other", CONSUMERS))
    theirs = other.post("/api/v1/watches/", {"text": EN_UNRELATED, "url": HOOK}, format="json").json()
    listed = consumer_client.get("/api/v1/watches/").json()["results"]
    assert [w["id"] for w in listed] == [mine["id"]] and "secret" not in listed[0]
    one = consumer_client.get(f"/api/v1/watches/{mine['id']}/")
    assert one.status_code == 200 and "secret" not in one.json() and one.json()["text"] == EN
    assert consumer_client.get(f"/api/v1/watches/{theirs['id']}/").status_code == 404
    assert consumer_client.delete(f"/api/v1/watches/{theirs['id']}/").status_code == 404
    assert consumer_client.delete(f"/api/v1/watches/{mine['id']}/").status_code == 204
    assert list(Watch.objects.values_list("id", flat=True)) == [theirs["id"]]
    assert WebhookSubscription.objects.count() == 1  # the deleted watch's subscription went with it
