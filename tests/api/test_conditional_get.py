"""Conditional GET (RFC 9110) on a claim, its ClaimReview and verdict history, and the ClaimReview feed:
each answer carries an ETag; If-None-Match naming it answers 304 without a body until what the answer
says changes. And the words a client reads when its If-Match is stale."""

from __future__ import annotations

import pytest

from reviewers.services import record_verdict
from tests.factories import make_claim, make_source

pytestmark = pytest.mark.django_db


def paths(claim) -> list[str]:
    return [
        f"/api/v1/claims/{claim.pk}/",
        f"/api/v1/claims/{claim.pk}/claimreview/",
        f"/api/v1/claims/{claim.pk}/verdicts/",
        "/api/v1/claimreviews/",
    ]


def test_every_read_answers_304_to_its_own_etag_until_a_new_verdict_changes_it(
    consumer_client, reviewer, second_reviewer
):
    claim = make_claim()
    make_source(claim)
    record_verdict(claim=claim, reviewer=reviewer, label="verified", rationale="Council minutes.")
    tags = {}
    for path in paths(claim):
        first = consumer_client.get(path)
        assert first.status_code == 200, path
        etag = first["ETag"]
        assert etag.startswith('"') and etag.endswith('"'), path
        assert first["Cache-Control"] == "private, no-cache"
        again = consumer_client.get(path, HTTP_IF_NONE_MATCH=etag)
        assert (again.status_code, again.content, again["ETag"]) == (304, b"", etag), path
        listed = consumer_client.get(path, HTTP_IF_NONE_MATCH=f'"something-else", W/{etag}')
        assert listed.status_code == 304, path  # a list, and weak comparison (RFC 9110 13.1.2)
        assert consumer_client.get(path, HTTP_IF_NONE_MATCH='"something-else"').status_code == 200
        assert consumer_client.get(path, HTTP_IF_NONE_MATCH="*").status_code == 304
        tags[path] = etag

    record_verdict(claim=claim.pk, reviewer=second_reviewer, label="disputed", rationale="They say 10.")
    for path in paths(claim):
        changed = consumer_client.get(path, HTTP_IF_NONE_MATCH=tags[path])
        assert changed.status_code == 200, path
        assert changed["ETag"] != tags[path], path


def test_a_claims_etag_changes_with_its_sources_not_only_its_verdicts(consumer_client):
    claim = make_claim()
    etag = consumer_client.get(f"/api/v1/claims/{claim.pk}/")["ETag"]
    make_source(claim, title="Found later")
    response = consumer_client.get(f"/api/v1/claims/{claim.pk}/", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response.json()["sources"][0]["title"] == "Found later"


def test_the_etag_of_a_claim_read_is_accepted_by_if_match(reviewer_client):
    claim = make_claim()
    etag = reviewer_client.get(f"/api/v1/claims/{claim.pk}/")["ETag"]
    assert etag.startswith(f'"claim-{claim.pk}-v0.')
    body = {"label": "verified", "rationale": "Council minutes."}
    created = reviewer_client.post(
        f"/api/v1/claims/{claim.pk}/verdict/", body, format="json", HTTP_IF_MATCH=etag
    )
    assert created.status_code == 201
    stale = reviewer_client.post(
        f"/api/v1/claims/{claim.pk}/verdict/", body, format="json", HTTP_IF_MATCH=etag
    )
    assert stale.status_code == 412
    assert "Another verdict was recorded" in stale.json()["detail"]


def test_a_stale_if_match_on_an_undecided_claim_does_not_say_someone_decided_it(reviewer_client):
    claim = make_claim()
    response = reviewer_client.post(
        f"/api/v1/claims/{claim.pk}/verdict/",
        {"label": "verified", "rationale": "Council minutes."},
        format="json",
        HTTP_IF_MATCH=f'"claim-{claim.pk}-v3"',
    )
    assert response.status_code == 412
    detail = response.json()["detail"]
    assert "decided" not in detail.replace("undecided", "") and "someone else" not in detail
    assert f"Claim {claim.pk} has no verdict yet" in detail and "send its ETag" in detail


def test_unknown_claims_are_404_not_304(consumer_client):
    for suffix in ("", "claimreview/", "verdicts/"):
        response = consumer_client.get(f"/api/v1/claims/987654/{suffix}", HTTP_IF_NONE_MATCH="*")
        assert response.status_code == 404
