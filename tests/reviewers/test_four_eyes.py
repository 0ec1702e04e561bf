"""Four eyes: with FACTCHECK_REVIEWS_REQUIRED=2 a verdict is provisional until a second reviewer agrees;
a disagreement goes to the leads; leads may override. Verdict rows never change: the state is decided
when a verdict is inserted."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from claims.models import Claim
from reviewers.models import ReviewState, Verdict
from reviewers.services import decide_state, record_verdict
from tests.conftest import client_for, make_user
from tests.factories import make_claim

pytestmark = pytest.mark.django_db


@pytest.fixture
def four_eyes(settings):
    settings.FACTCHECK_REVIEWS_REQUIRED = 2


def decide(claim: Claim, user, label: str, **kwargs) -> Verdict:
    claim.refresh_from_db()
    return record_verdict(claim=claim, reviewer=user, label=label, rationale=f"{user} says {label}", **kwargs)


def test_with_the_default_setting_every_verdict_is_final(reviewer):
    verdict = decide(make_claim(), reviewer, "verified")
    assert verdict.state == ReviewState.FINAL and verdict.final


def test_the_first_verdict_is_provisional_until_a_second_reviewer_agrees(
    four_eyes, reviewer, second_reviewer
):
    claim = make_claim()
    first = decide(claim, reviewer, "disputed")
    assert first.state == ReviewState.PROVISIONAL
    second = decide(claim, second_reviewer, "disputed")
    assert second.state == ReviewState.FINAL
    assert second.supersedes == first
    # The first row was not touched: history shows exactly what each reviewer did, and when.
    assert Verdict.objects.get(pk=first.pk).state == ReviewState.PROVISIONAL


def test_a_reviewer_cannot_be_their_own_second_reviewer(four_eyes, reviewer):
    claim = make_claim()
    decide(claim, reviewer, "verified")
    with pytest.raises(ValidationError, match="another reviewer"):
        decide(claim, reviewer, "verified")
    assert Verdict.objects.filter(claim=claim).count() == 1


def test_a_reviewer_may_correct_their_own_provisional_verdict(four_eyes, reviewer, second_reviewer):
    claim = make_claim()
    decide(claim, reviewer, "verified")
    corrected = decide(claim, reviewer, "disputed")
    assert corrected.state == ReviewState.PROVISIONAL
    assert decide(claim, second_reviewer, "disputed").state == ReviewState.FINAL


def test_a_disagreement_goes_to_the_leads(four_eyes, reviewer, second_reviewer, lead):
    claim = make_claim()
    decide(claim, reviewer, "verified")
    disagreeing = decide(claim, second_reviewer, "disputed")
    assert disagreeing.state == ReviewState.ESCALATED
    third = make_user("third", "reviewers", staff=True)
    with pytest.raises(PermissionDenied, match="lead decides"):
        decide(claim, third, "disputed")
    settled = decide(claim, lead, "disputed")
    assert settled.state == ReviewState.FINAL


def test_only_leads_may_override(four_eyes, reviewer, lead):
    claim = make_claim()
    with pytest.raises(PermissionDenied, match="Only leads may override"):
        decide(claim, reviewer, "verified", override=True)
    verdict = decide(claim, lead, "unsupported", override=True)
    assert (verdict.state, verdict.override) == (ReviewState.FINAL, True)


def test_a_lead_without_override_counts_as_one_review(four_eyes, reviewer, lead):
    claim = make_claim()
    assert decide(claim, lead, "verified").state == ReviewState.PROVISIONAL
    assert decide(claim, reviewer, "verified").state == ReviewState.FINAL


def test_a_new_verdict_on_a_final_claim_needs_its_own_agreement(four_eyes, reviewer, second_reviewer, lead):
    claim = make_claim()
    decide(claim, reviewer, "verified")
    decide(claim, second_reviewer, "verified")
    reopened = decide(claim, lead, "disputed")
    assert reopened.state == ReviewState.PROVISIONAL  # a final verdict is not the start of a disagreement
    assert decide(claim, reviewer, "disputed").state == ReviewState.FINAL


def test_three_required_reviews_count_distinct_reviewers(settings, reviewer, second_reviewer, lead):
    settings.FACTCHECK_REVIEWS_REQUIRED = 3
    claim = make_claim()
    states = [decide(claim, user, "verified").state for user in (reviewer, second_reviewer, lead)]
    assert states == [ReviewState.PROVISIONAL, ReviewState.PROVISIONAL, ReviewState.FINAL]


def test_decide_state_is_a_pure_function_of_the_history(four_eyes):
    provisional = Verdict(label="verified", reviewer_id=1, state=ReviewState.PROVISIONAL)
    assert (
        decide_state(history=[], reviewer_id=1, label="verified", lead=False, override=False) == "provisional"
    )
    assert (
        decide_state(history=[provisional], reviewer_id=2, label="verified", lead=False, override=False)
        == "final"
    )
    assert decide_state(
        history=[provisional], reviewer_id=2, label="disputed", lead=False, override=False
    ) == ("escalated")


def test_the_api_says_whether_a_verdict_is_final(four_eyes, reviewer, second_reviewer):
    claim = make_claim()
    client = client_for(reviewer)
    body = {"label": "disputed", "rationale": "The minutes say 10 million."}
    first = client.post(f"/api/v1/claims/{claim.pk}/verdict/", body, format="json")
    assert first.status_code == 201
    assert (first.json()["final"], first.json()["state"]) == (False, "provisional")
    assert client_for(second_reviewer).get(f"/api/v1/claims/{claim.pk}/").json()["verdict"]["final"] is False
    second = client_for(second_reviewer).post(f"/api/v1/claims/{claim.pk}/verdict/", body, format="json")
    assert (second.json()["final"], second.json()["state"]) == (True, "final")
    feed = client.get("/api/v1/verdicts/").json()["results"]
    assert [v["final"] for v in feed] == [False, True]


def test_the_api_refuses_a_reviewer_on_an_escalated_claim_with_403(four_eyes, reviewer, second_reviewer):
    claim = make_claim()
    decide(claim, reviewer, "verified")
    decide(claim, second_reviewer, "disputed")
    third = make_user("third", "reviewers", staff=True)
    response = client_for(third).post(
        f"/api/v1/claims/{claim.pk}/verdict/", {"label": "verified", "rationale": "x"}, format="json"
    )
    assert response.status_code == 403
    assert "lead" in response.json()["detail"]


def test_the_api_lets_a_lead_override(four_eyes, lead):
    claim = make_claim()
    response = client_for(lead).post(
        f"/api/v1/claims/{claim.pk}/verdict/",
        {"label": "verified", "rationale": "Checked the minutes.", "override": True},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["final"] is True
