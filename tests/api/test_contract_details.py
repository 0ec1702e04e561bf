"""Issue 16 (low findings): an invalid cursor gets the same answer on every paginated list, and an
If-Match listing several ETags succeeds when any one of them matches (RFC 9110 13.1.1). Each case failed
before: claims/articles answered 404 to a cursor the feeds answered 400, and a list always got 412."""

from __future__ import annotations

import pytest

from publishing import services as publishing
from reviewers.roles import INTEGRATIONS
from tests.conftest import client_for, make_user
from tests.factories import make_claim

pytestmark = pytest.mark.django_db

LISTS = [
    "/api/v1/articles/",
    "/api/v1/claims/",
    "/api/v1/verdicts/",
    "/api/v1/claimreviews/",
    "/api/v1/webhooks/",
    "/api/v1/webhooks/{hook}/deliveries/",
]


@pytest.mark.parametrize("cursor", ["not-a-cursor", "eyJ4IjogMX0", "bz0xJnA9eA"])
def test_an_invalid_cursor_is_400_invalid_cursor_on_every_list(cursor):
    client = client_for(make_user("integrator", INTEGRATIONS))
    hook = publishing.create_subscription(url="https://hooks.example.org/fc", events=["verdict.created"])
    answers = {}
    for path in LISTS:
        response = client.get(path.format(hook=hook.pk) + "?cursor=" + cursor)
        answers[path] = (response.status_code, response.json().get("code"))
    assert answers == {path: (400, "invalid_cursor") for path in LISTS}


def post_verdict(client, claim, if_match: str):
    body = {"label": "verified", "rationale": "Council minutes."}
    return client.post(f"/api/v1/claims/{claim.pk}/verdict/", body, format="json", HTTP_IF_MATCH=if_match)


def test_an_if_match_listing_several_etags_succeeds_when_one_matches(reviewer_client):
    claim, other = make_claim(), make_claim()
    current = reviewer_client.get(f"/api/v1/claims/{claim.pk}/")["ETag"]
    listed = f'"claim-{other.pk}-v0", "claim-{claim.pk}-v7", {current}'
    created = post_verdict(reviewer_client, claim, listed)
    assert created.status_code == 201, created.json()
    # The same list again: none of its tags is current any more.
    assert post_verdict(reviewer_client, claim, listed).status_code == 412
    assert post_verdict(reviewer_client, claim, f'"claim-{other.pk}-v0", "x"').status_code == 412


def test_if_match_star_matches_any_current_claim(reviewer_client):
    claim = make_claim()
    assert post_verdict(reviewer_client, claim, "*").status_code == 201
    assert post_verdict(reviewer_client, claim, " * ").status_code == 201
