"""Queues and assignments: 'take the next claim', assigning, releasing, who may decide an assigned claim,
re-running failed pipeline stages, and the races (real threads, real database)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from claims.models import ArticleStatus, Claim, ClaimStatus
from reviewers import queues
from reviewers.models import Assignment
from reviewers.services import (
    ClaimTaken,
    assign_claim,
    record_verdict,
    release_claim,
    rerun_failed_stage,
    take_next_claim,
)
from tests.conftest import client_for, make_user
from tests.factories import make_article, make_claim
from tests.support.concurrency import run_at_once

pytestmark = pytest.mark.django_db


def test_take_next_gives_the_most_check_worthy_unassigned_claim(reviewer, second_reviewer):
    article = make_article()
    low = make_claim(article, score=0.55, start=0)
    high = make_claim(article, score=0.95, start=100)
    make_claim(article, score=0.99, start=200, status=ClaimStatus.PENDING)  # sources still being gathered
    assert take_next_claim(reviewer=reviewer) == high
    assert take_next_claim(reviewer=second_reviewer) == low
    assert take_next_claim(reviewer=second_reviewer, another=True) is None
    assert Assignment.objects.open().get(claim=high).reviewer == reviewer
    assert not Assignment.objects.open().filter(claim=low).exists()


def test_take_next_filters_by_article_and_language(reviewer):
    german = make_claim(make_article(language="de"), language="de", score=0.6)
    english = make_claim(score=0.9)
    assert take_next_claim(reviewer=reviewer, language="de") == german
    assert take_next_claim(reviewer=reviewer, article_id=english.article_id) == english


def test_second_reviews_come_first_and_never_to_the_first_reviewer(settings, reviewer, second_reviewer):
    settings.FACTCHECK_REVIEWS_REQUIRED = 2
    decided = make_claim(score=0.6)
    fresh = make_claim(score=0.9)
    record_verdict(claim=decided, reviewer=reviewer, label="verified", rationale="x")
    assert take_next_claim(reviewer=second_reviewer) == decided
    assert take_next_claim(reviewer=reviewer) == fresh
    assert take_next_claim(reviewer=reviewer, another=True) is None


def test_escalated_claims_go_to_leads_first(settings, reviewer, second_reviewer, lead):
    settings.FACTCHECK_REVIEWS_REQUIRED = 2
    claim = make_claim(score=0.5)
    make_claim(score=0.9)
    record_verdict(claim=claim, reviewer=reviewer, label="verified", rationale="x")
    claim.refresh_from_db()
    record_verdict(claim=claim, reviewer=second_reviewer, label="disputed", rationale="y")
    third = make_user("third", "reviewers", staff=True)
    assert take_next_claim(reviewer=third) != claim
    assert take_next_claim(reviewer=lead) == claim


def test_consumers_cannot_take_or_be_given_claims(consumer, lead):
    claim = make_claim()
    with pytest.raises(PermissionDenied):
        take_next_claim(reviewer=consumer)
    with pytest.raises(PermissionDenied):
        assign_claim(claim=claim, reviewer=consumer, by=consumer)
    with pytest.raises(ValidationError):
        assign_claim(claim=claim, reviewer=consumer, by=lead)
    assert not Assignment.objects.exists()


def test_reviewers_take_for_themselves_only_and_never_from_someone_else(reviewer, second_reviewer):
    claim = make_claim()
    with pytest.raises(PermissionDenied, match="Only leads"):
        assign_claim(claim=claim, reviewer=second_reviewer, by=reviewer)
    assign_claim(claim=claim, reviewer=reviewer, by=reviewer)
    with pytest.raises(ClaimTaken, match="reviewer"):
        assign_claim(claim=claim, reviewer=second_reviewer, by=second_reviewer)
    assert assign_claim(claim=claim, reviewer=reviewer, by=reviewer).reviewer == reviewer  # idempotent


def test_leads_reassign_and_the_old_assignment_is_kept_as_history(reviewer, second_reviewer, lead):
    claim = make_claim()
    assign_claim(claim=claim, reviewer=reviewer, by=reviewer)
    assign_claim(claim=claim, reviewer=second_reviewer, by=lead)
    rows = list(
        Assignment.objects.filter(claim=claim)
        .order_by("id")
        .values_list("reviewer__username", "release_reason")
    )
    assert rows == [("reviewer", "reassigned"), ("second-reviewer", "")]


def test_only_the_holder_or_a_lead_may_release(reviewer, second_reviewer, lead):
    claim = make_claim()
    assign_claim(claim=claim, reviewer=reviewer, by=reviewer)
    with pytest.raises(PermissionDenied):
        release_claim(claim=claim, by=second_reviewer)
    assert release_claim(claim=claim, by=lead) is True
    assert release_claim(claim=claim, by=reviewer) is False
    assert not Assignment.objects.open().exists()


def test_a_claim_held_by_someone_else_can_only_be_decided_by_them_or_a_lead(reviewer, second_reviewer, lead):
    claim = make_claim()
    assign_claim(claim=claim, reviewer=reviewer, by=reviewer)
    with pytest.raises(PermissionDenied, match="assigned to reviewer"):
        record_verdict(claim=claim, reviewer=second_reviewer, label="verified", rationale="x")
    claim.refresh_from_db()
    assert claim.version == 0  # the refused attempt changed nothing
    record_verdict(claim=claim, reviewer=lead, label="verified", rationale="lead decides")


def test_a_verdict_releases_the_assignment_and_leaves_my_queue(reviewer):
    claim = make_claim()
    take_next_claim(reviewer=reviewer)
    mine = lambda: list(queues.in_queue(queues.with_review(), queues.MINE, reviewer))  # noqa: E731
    assert mine() == [claim]
    record_verdict(claim=claim, reviewer=reviewer, label="verified", rationale="x")
    assert mine() == []
    assert Assignment.objects.get(claim=claim).release_reason == "decided"


def test_queue_counts(settings, reviewer, second_reviewer):
    settings.FACTCHECK_REVIEWS_REQUIRED = 2
    held, provisional, _unassigned = make_claim(), make_claim(), make_claim()
    assign_claim(claim=held, reviewer=reviewer, by=reviewer)
    record_verdict(claim=provisional, reviewer=second_reviewer, label="verified", rationale="x")
    counts = queues.counts(reviewer)
    assert (counts["mine"], counts["unassigned"], counts["second"], counts["final"]) == (1, 1, 1, 0)


def test_leads_rerun_failed_stages_reviewers_may_not(reviewer, lead):
    failed = make_article(status=ArticleStatus.FAILED, error_code="timeout", error_message="Timed out.")
    with pytest.raises(PermissionDenied):
        rerun_failed_stage(article=failed, user=reviewer)
    assert rerun_failed_stage(article=failed, user=lead) == "pipeline"
    failed.refresh_from_db()
    assert (failed.status, failed.error_code) == (ArticleStatus.QUEUED, "")
    assert rerun_failed_stage(article=failed, user=lead) == ""  # nothing failed any more

    ready = make_article()
    searched = make_claim(ready, status=ClaimStatus.SOURCES_FAILED)
    fine = make_claim(ready, start=100, status=ClaimStatus.SOURCED)
    assert rerun_failed_stage(article=ready, user=lead) == "sources of 1 claim(s)"
    ready.refresh_from_db()
    assert ready.status == ArticleStatus.SOURCING
    assert Claim.objects.get(pk=searched.pk).status == ClaimStatus.PENDING
    assert Claim.objects.get(pk=fine.pk).status == ClaimStatus.SOURCED
    assert rerun_failed_stage(article=ready, user=lead) == ""


def test_take_next_and_assign_over_the_api(reviewer_client, consumer_client, reviewer, second_reviewer, lead):
    claim = make_claim()
    assert consumer_client.post("/api/v1/claims/next/").status_code == 403
    taken = reviewer_client.post("/api/v1/claims/next/", {}, format="json")
    assert taken.status_code == 200
    assert taken.json()["id"] == claim.pk
    assert taken["ETag"] == f'"claim-{claim.pk}-v0"'
    assert reviewer_client.post("/api/v1/claims/next/").json()["id"] == claim.pk  # the one they hold
    assert reviewer_client.post("/api/v1/claims/next/", {"another": True}, format="json").status_code == 204
    assert (
        reviewer_client.post("/api/v1/claims/next/").status_code == 204
    )  # the skipped one is left for others
    assert reviewer_client.post(f"/api/v1/claims/{claim.pk}/assign/", {}, format="json").status_code == 200
    conflict = client_for(second_reviewer).post(f"/api/v1/claims/{claim.pk}/assign/", {}, format="json")
    assert (conflict.status_code, conflict.json()["code"]) == (409, "already_assigned")
    moved = client_for(lead).post(
        f"/api/v1/claims/{claim.pk}/assign/", {"reviewer": "second-reviewer"}, format="json"
    )
    assert (moved.status_code, moved.json()["reviewer"]) == (200, "second-reviewer")
    refused = reviewer_client.post(f"/api/v1/claims/{claim.pk}/assign/", {"reviewer": None}, format="json")
    assert refused.status_code == 403
    released = client_for(second_reviewer).post(
        f"/api/v1/claims/{claim.pk}/assign/", {"reviewer": None}, format="json"
    )
    assert released.json() == {"claim": claim.pk, "reviewer": None, "assigned_at": None}
    unknown = client_for(lead).post(
        f"/api/v1/claims/{claim.pk}/assign/", {"reviewer": "ghost"}, format="json"
    )
    assert unknown.status_code == 400


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_taking_the_next_claim_at_once_never_get_the_same_one(reviewer, second_reviewer):
    only = make_claim()
    got: dict[str, object] = {}
    both_take_next = (
        lambda: got.__setitem__("a", take_next_claim(reviewer=reviewer)),
        lambda: got.__setitem__("b", take_next_claim(reviewer=second_reviewer)),
    )
    assert run_at_once(*both_take_next) == []
    assert sorted([got["a"] is None, got["b"] is None]) == [False, True]
    assert Assignment.objects.open().filter(claim=only).count() == 1
    holder = reviewer if got["a"] else second_reviewer
    record_verdict(claim=only, reviewer=holder, label="verified", rationale="Done with it.")

    first, second = make_claim(score=0.8), make_claim(score=0.7)
    assert run_at_once(*both_take_next) == []
    assert {got["a"], got["b"]} == {first, second}


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_assigning_the_same_claim_at_once_one_gets_it(reviewer, second_reviewer):
    claim = make_claim()
    outcomes: list[str] = []

    def take(user):
        try:
            assign_claim(claim=claim, reviewer=user, by=user)
            outcomes.append("assigned")
        except ClaimTaken:
            outcomes.append("taken")

    assert run_at_once(lambda: take(reviewer), lambda: take(second_reviewer)) == []
    assert sorted(outcomes) == ["assigned", "taken"]
    assert Assignment.objects.open().filter(claim=claim).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_second_reviews_at_once_one_wins_the_other_gets_412(settings, reviewer, second_reviewer):
    settings.FACTCHECK_REVIEWS_REQUIRED = 2
    claim = make_claim()
    record_verdict(claim=claim, reviewer=make_user("first", "reviewers"), label="verified", rationale="x")
    etag = f'"claim-{claim.pk}-v1"'
    statuses: list[int] = []

    def confirm(user):
        response = client_for(user).post(
            f"/api/v1/claims/{claim.pk}/verdict/",
            {"label": "verified", "rationale": f"{user} agrees"},
            format="json",
            HTTP_IF_MATCH=etag,
        )
        statuses.append(response.status_code)

    assert run_at_once(lambda: confirm(reviewer), lambda: confirm(second_reviewer)) == []
    assert sorted(statuses) == [201, 412]
    assert claim.verdicts.count() == 2
    assert claim.verdicts.order_by("-claim_version").first().state == "final"
