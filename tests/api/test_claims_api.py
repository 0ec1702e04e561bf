"""Reading claims and recording verdicts over the API."""

from __future__ import annotations

import pytest
from rest_framework.serializers import ModelSerializer

from api.serializers import VerdictSerializer
from publishing.models import EventType, WebhookSubscription
from reviewers.models import Verdict
from reviewers.roles import REVIEWERS
from reviewers.services import record_verdict
from tests.conftest import client_for, make_user
from tests.factories import make_article, make_claim, make_source
from tests.support.sql import capture_statements, summary

pytestmark = pytest.mark.django_db


def test_claim_detail_has_sources_verdict_and_etag(consumer_client, reviewer):
    claim = make_claim()
    source = make_source(claim, stance="supports")
    record_verdict(
        claim=claim, reviewer=reviewer, label="verified", rationale="Minutes.", source_ids=[source.pk]
    )
    response = consumer_client.get(f"/api/v1/claims/{claim.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["text"] == claim.text
    assert (body["start"], body["end"]) == (claim.start, claim.end)
    assert body["verdict"]["label"] == "verified"
    assert body["sources"][0]["url"] == source.url
    assert body["sources"][0]["stance"] == "supports"
    assert response["ETag"].startswith(f'"claim-{claim.pk}-v1.')


def test_verdict_post_with_if_match(reviewer_client):
    claim = make_claim()
    etag = reviewer_client.get(f"/api/v1/claims/{claim.pk}/")["ETag"]
    body = {"label": "unsupported", "rationale": "Nothing found either way."}
    created = reviewer_client.post(
        f"/api/v1/claims/{claim.pk}/verdict/", body, format="json", HTTP_IF_MATCH=etag
    )
    assert created.status_code == 201
    assert created.json()["label"] == "unsupported"
    assert created["ETag"] == f'"claim-{claim.pk}-v1"'
    stale = reviewer_client.post(
        f"/api/v1/claims/{claim.pk}/verdict/", body, format="json", HTTP_IF_MATCH=etag
    )
    assert stale.status_code == 412
    assert stale.json()["code"] == "precondition_failed"
    assert Verdict.objects.count() == 1


def test_a_version_beyond_32_bits_is_stale_not_a_server_error(reviewer_client):
    """Found by schemathesis: the version in the body or in If-Match can be any integer."""
    claim = make_claim()
    body = {"label": "verified", "rationale": "Minutes.", "version": 86_125_786_732}
    for headers in ({}, {"HTTP_IF_MATCH": f'"claim-{claim.pk}-v{2**40}"'}):
        response = reviewer_client.post(f"/api/v1/claims/{claim.pk}/verdict/", body, format="json", **headers)
        assert response.status_code == 412, response.content
    missing = reviewer_client.post("/api/v1/claims/221608457911/verdict/", body, format="json")
    assert missing.status_code == 404, missing.content
    assert not Verdict.objects.exists()


def test_recording_a_verdict_costs_only_the_services_statements(reviewer):
    """At most five statements per verdict POST (issue 15.4): the token lookup reads the user and their
    roles in one query (so neither the permission class nor the service reads them again), then
    record_verdict's UPDATE, the claim with holder and history after the lock (summarised by the first
    table it reads), the INSERT, and the outbox (the subscriptions, then one INSERT of every message) —
    no claim read before its UPDATE, and a response built from the objects in hand."""
    plain = make_user("plain-reviewer", REVIEWERS)
    client, claim = client_for(plain), make_claim()
    WebhookSubscription.objects.create(
        url="https://hooks.example.org/1", events=[EventType.VERDICT_CREATED], secret="whsec_1"
    )
    body = {"label": "disputed", "rationale": "The minutes say 10 million."}
    with capture_statements() as statements:
        first = client.post(f"/api/v1/claims/{claim.pk}/verdict/", body, format="json")
    assert first.status_code == 201, first.content
    assert summary(statements) == [
        "SELECT auth_group",  # the token with its user and their roles (summarised by the first FROM)
        "UPDATE claims_claim",
        "SELECT claims_claim",  # with its holder and history (the roles came with the token)
        "INSERT reviewers_verdict",
        "SELECT publishing_webhooksubscription",
        "INSERT publishing_webhookmessage",
    ], statements
    verdict = Verdict.objects.get(claim=claim)
    assert first.json() == {
        "id": verdict.pk,
        "claim": claim.pk,
        "label": "disputed",
        "rationale": "The minutes say 10 million.",
        "sources": [],
        "reviewer": "plain-reviewer",
        "decided_at": verdict.decided_at.isoformat().replace("+00:00", "Z"),
        "claim_version": 1,
        "supersedes": None,
        "superseded_by": None,
        "final": True,
        "state": "final",
    }
    source = make_source(claim)
    second = client_for(reviewer).post(
        f"/api/v1/claims/{claim.pk}/verdict/",
        {"label": "verified", "rationale": "Corrected figures.", "sources": [source.pk]},
        format="json",
        HTTP_IF_MATCH=first["ETag"],
    )
    assert second.status_code == 201, second.content
    assert second["ETag"] == f'"claim-{claim.pk}-v2"'
    assert (second.json()["supersedes"], second.json()["superseded_by"]) == (verdict.pk, None)
    assert second.json()["sources"] == [
        {"id": source.pk, "url": source.url, "title": source.title, "provider": "wikipedia"}
    ]
    assert second.json()["reviewer"] == "reviewer"


def test_a_verdicts_representation_is_what_its_declared_fields_render(
    settings, reviewer, second_reviewer, lead
):
    """VerdictSerializer builds its dict directly; DRF's own rendering of the declared fields (which the
    OpenAPI schema describes) must give the same, for every kind of verdict."""
    settings.FACTCHECK_REVIEWS_REQUIRED = 2
    claim = make_claim()
    source = make_source(claim)
    record_verdict(
        claim=claim, reviewer=reviewer, label="verified", rationale="Minutes.", source_ids=[source.pk]
    )
    record_verdict(claim=claim, reviewer=second_reviewer, label="verified", rationale="Agreed.")
    record_verdict(claim=claim, reviewer=reviewer, label="disputed", rationale="Recount.")
    record_verdict(claim=claim, reviewer=second_reviewer, label="unsupported", rationale="No.")
    record_verdict(claim=claim, reviewer=lead, label="disputed", rationale="Settled.", override=True)
    verdicts = list(Verdict.objects.filter(claim=claim).select_related("reviewer").order_by("claim_version"))
    assert {v.state for v in verdicts} == {"provisional", "final", "escalated"}
    for verdict in verdicts:
        serializer = VerdictSerializer(verdict)
        assert serializer.data == ModelSerializer.to_representation(serializer, verdict), (
            verdict.claim_version
        )
    assert VerdictSerializer(verdicts[0]).data["sources"][0]["id"] == source.pk
    assert VerdictSerializer(verdicts[0]).data["superseded_by"] == verdicts[1].pk


def test_a_verdict_on_a_claim_that_does_not_exist_is_404(reviewer_client):
    body = {"label": "verified", "rationale": "Council minutes."}
    missing = make_claim().pk + 1000
    for path in (f"/api/v1/claims/{missing}/verdict/", "/api/v1/claims/abc/verdict/"):
        response = reviewer_client.post(path, body, format="json")
        assert response.status_code == 404, path
        assert response.json() == {"detail": "No Claim matches the given query.", "code": "not_found"}
    assert not Verdict.objects.exists()


def test_without_if_match_or_version_a_verdict_supersedes_whatever_is_current(reviewer_client, lead):
    """No precondition, no version check: the claim is not read before its UPDATE, so the verdict goes on
    the version the claim is at when it is locked."""
    claim = make_claim()
    record_verdict(claim=claim, reviewer=lead, label="verified", rationale="Council minutes.")
    record_verdict(claim=claim, reviewer=lead, label="disputed", rationale="Recount.")
    body = {"label": "unsupported", "rationale": "No figures published."}
    response = reviewer_client.post(f"/api/v1/claims/{claim.pk}/verdict/", body, format="json")
    assert response.status_code == 201, response.content
    assert response["ETag"] == f'"claim-{claim.pk}-v3"'
    assert response.json()["supersedes"] == Verdict.objects.get(claim=claim, claim_version=2).pk


def test_a_revoked_role_counts_from_the_next_request(reviewer):
    """Roles are cached on the user object of one request, never longer (not with the token the process
    remembers either): once the group is gone, record_verdict refuses the next POST, staff or not."""
    plain = make_user("plain-reviewer", REVIEWERS)
    body = {"label": "verified", "rationale": "Council minutes."}
    for user in (plain, reviewer):
        client = client_for(user)
        assert (
            client.post(f"/api/v1/claims/{make_claim().pk}/verdict/", body, format="json").status_code == 201
        )
        user.groups.clear()
        refused = client.post(f"/api/v1/claims/{make_claim().pk}/verdict/", body, format="json")
        assert refused.status_code == 403, (user.username, refused.content)
    assert Verdict.objects.count() == 2


def test_verdict_without_rationale_or_with_bad_label_is_400(reviewer_client):
    claim = make_claim()
    for body in (
        {"label": "verified", "rationale": ""},
        {"label": "true", "rationale": "x"},
        {"label": "verified"},
    ):
        response = reviewer_client.post(f"/api/v1/claims/{claim.pk}/verdict/", body, format="json")
        assert response.status_code == 400, body
    assert not Verdict.objects.exists()


def test_consumers_cannot_record_verdicts(consumer_client):
    claim = make_claim()
    response = consumer_client.post(
        f"/api/v1/claims/{claim.pk}/verdict/", {"label": "verified", "rationale": "x"}, format="json"
    )
    assert response.status_code == 403
    assert not Verdict.objects.exists()


def test_history_lists_every_verdict_oldest_first(reviewer_client, reviewer, second_reviewer):
    claim = make_claim()
    record_verdict(claim=claim, reviewer=reviewer, label="verified", rationale="a")
    claim.refresh_from_db()
    record_verdict(claim=claim, reviewer=second_reviewer, label="disputed", rationale="b")
    history = reviewer_client.get(f"/api/v1/claims/{claim.pk}/verdicts/").json()
    assert [v["label"] for v in history] == ["verified", "disputed"]
    assert history[0]["superseded_by"] == history[1]["id"]
    assert history[1]["supersedes"] == history[0]["id"]


def test_claim_filters(consumer_client, reviewer):
    german = make_claim(
        make_article(language="de"), language="de", text="Der Haushalt betrug 12 Millionen Euro."
    )
    english = make_claim()
    record_verdict(claim=english, reviewer=reviewer, label="disputed", rationale="x")
    ids = lambda **q: [c["id"] for c in consumer_client.get("/api/v1/claims/", q).json()["results"]]  # noqa: E731
    assert ids(language="de") == [german.pk]
    assert ids(verdict="disputed") == [english.pk]
    assert ids(verdict="none") == [german.pk]
    assert ids(article=german.article_id) == [german.pk]
    assert ids(q="Haushalt Millionen") == [german.pk]


def test_claim_list_query_count_does_not_grow_with_claims(
    consumer_client, reviewer, django_assert_max_num_queries
):
    article = make_article()
    for i in range(20):
        claim = make_claim(article, start=i * 200)
        record_verdict(claim=claim, reviewer=reviewer, label="verified", rationale="x")
    with django_assert_max_num_queries(4):
        response = consumer_client.get("/api/v1/claims/")
    assert len(response.json()["results"]) == 20


def test_verdict_feed_is_in_decision_order_and_filterable(consumer_client, reviewer):
    claims = [make_claim() for _ in range(3)]
    made = [
        record_verdict(claim=c, reviewer=reviewer, label=label, rationale="x")
        for c, label in zip(claims, ["verified", "disputed", "verified"], strict=True)
    ]
    feed = consumer_client.get("/api/v1/verdicts/").json()
    assert [v["id"] for v in feed["results"]] == [v.pk for v in made]
    disputed = consumer_client.get("/api/v1/verdicts/", {"label": "disputed"}).json()["results"]
    assert [v["id"] for v in disputed] == [made[1].pk]
    page = consumer_client.get("/api/v1/verdicts/", {"page_size": 2}).json()
    assert len(page["results"]) == 2
    rest = consumer_client.get(page["next"]).json()
    assert [v["id"] for v in rest["results"]] == [made[2].pk]


def test_claimreview_describes_the_current_verdict(consumer_client, reviewer, settings):
    settings.FACTCHECK_ORGANIZATION_NAME = "Faktencheck Desk"
    claim = make_claim(make_article(author="Jane Doe"))
    assert consumer_client.get(f"/api/v1/claims/{claim.pk}/claimreview/").status_code == 404
    record_verdict(claim=claim, reviewer=reviewer, label="disputed", rationale="Minutes say 10 million.")
    review = consumer_client.get(f"/api/v1/claims/{claim.pk}/claimreview/").json()
    assert review["@type"] == "ClaimReview"
    assert review["claimReviewed"] == claim.text
    assert review["author"]["name"] == "Faktencheck Desk"
    assert review["reviewRating"]["alternateName"] == "disputed"
    assert review["reviewRating"]["ratingValue"] == 1
    assert review["itemReviewed"]["@type"] == "Claim"
    assert review["itemReviewed"]["appearance"][0]["url"] == claim.article.canonical_url
    # The byline is the article's: in its appearance, not the claim's author (the article has no publisher).
    assert review["itemReviewed"]["appearance"][0]["author"] == [{"@type": "Person", "name": "Jane Doe"}]
    assert "author" not in review["itemReviewed"]


@pytest.mark.parametrize(
    "query",
    [
        {"article": "-6.7e16"},
        {"article": "1.5"},
        {"article": str(2**70)},
        {"updated_since": "3185-01-13T07:14:10.50+16:54"},
        {"updated_since": "yesterday"},
    ],
)
def test_odd_filter_values_get_400_or_results_never_500(consumer_client, query):
    claim = make_claim()
    for path in ("/api/v1/claims/", f"/api/v1/claims/{claim.pk}/verdicts/", "/api/v1/verdicts/"):
        response = consumer_client.get(path, query)
        assert response.status_code in (200, 400, 404), (path, response.status_code)
        assert response["Content-Type"].startswith("application/json")
